//! Load addresses as users type them.

/// Parses `0x13fffb000`, `0X13FFFB000`, `5368709120`, `4G`, `1968M`, `64K` (underscores allowed).
pub fn parse_addr(s: &str) -> Result<u64, String> {
    let t = s.trim().replace('_', "");
    let (digits, mult) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 1 << 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 1 << 30),
        _ => (t.as_str(), 1),
    };
    let n = match digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => digits.parse(),
    }
    .map_err(|_| format!("'{s}' is not an address (use 0x13fffb000, 5368709120, 1968M or 4G)"))?;
    n.checked_mul(mult).ok_or_else(|| format!("'{s}' does not fit in 64 bits"))
}

#[cfg(test)]
mod tests {
    use super::parse_addr;

    #[test]
    fn every_spelling() {
        assert_eq!(parse_addr("0x13fffb000"), Ok(0x13fffb000));
        assert_eq!(parse_addr("0X13FFFB000"), Ok(0x13fffb000));
        assert_eq!(parse_addr("5368709120"), Ok(5368709120));
        assert_eq!(parse_addr("4G"), Ok(4 << 30));
        assert_eq!(parse_addr("1968M"), Ok(1968 << 20));
        assert_eq!(parse_addr("64k"), Ok(64 << 10));
        assert_eq!(parse_addr("0x1_0000"), Ok(0x10000));
        assert_eq!(parse_addr("0xffffffffffffffff"), Ok(u64::MAX));
    }

    #[test]
    fn junk_and_overflow_are_errors() {
        for bad in ["", "G", "0x", "12Q", "-1", "0x1ffffffffffffffff", "17179869184G"] {
            assert!(parse_addr(bad).is_err(), "{bad}");
        }
    }
}
