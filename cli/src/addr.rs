//! Load addresses as users type them.

/// Parses `0x13fffb000`, `0X13FFFB000`, `5368709120`, `4G`, `1968M`, `64K` (underscores allowed): the sizes
/// `crashkernel=` takes, which placement reads the same way.
pub fn parse_addr(s: &str) -> Result<u64, String> {
    let t = s.trim().replace('_', "");
    let t = t.strip_prefix("0X").map_or(t.clone(), |hex| format!("0x{hex}"));
    kreloc_placement::memmap::parse_size(&t).ok_or_else(|| {
        format!("'{s}' is not an address that fits in 64 bits (use 0x13fffb000, 5368709120, 1968M or 4G)")
    })
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
