//! The reference interpreter: the checksum a correct compile and load must produce (a third opinion
//! next to the C and Rust emitters).

use crate::ast::{FuncKind, Program};

/// Start value of the hash.
pub const H0: u64 = 0x9e37_79b9_7f4a_7c15;

/// One mixing step; both emitters spell exactly this.
pub fn mix(h: u64, x: u64) -> u64 {
    let h = (h ^ x).wrapping_mul(0x0000_0100_0000_01b3);
    h ^ (h >> 29)
}

/// Indices of a large array the fold samples.
pub fn sample(len: usize) -> impl Iterator<Item = usize> {
    (0..16).map(move |i| (i * 7919) % len)
}

/// Values of helper `f` at `x`, given the current array contents.
fn call(p: &Program, arrays: &[Vec<u64>], f: usize, x: u64) -> u64 {
    match &p.funcs[f].kind {
        FuncKind::Arith { mul, add, shift } => x.wrapping_mul(u64::from(*mul)).wrapping_add(u64::from(*add)) ^ (x >> shift),
        FuncKind::Switch { cases, default } => {
            let n = cases.len() as u64;
            match usize::try_from(x % n) {
                Ok(i) if i < cases.len() => u64::from(cases[i]).wrapping_add(x),
                _ => u64::from(*default),
            }
        }
        FuncKind::Lookup { array } => {
            if arrays.is_empty() {
                return x;
            }
            let a = *array as usize % arrays.len();
            arrays[a][(x % arrays[a].len() as u64) as usize].wrapping_add(x)
        }
    }
}

/// `kreloc_entry`'s `out[0]`.
pub fn checksum(p: &Program) -> u64 {
    let mut arrays: Vec<Vec<u64>> = (0..p.arrays.len()).map(|i| (0..p.array_len(i)).map(|k| p.init(i, k)).collect()).collect();
    let mut h = H0;
    if let Some((dst, src, n)) = p.copy_plan() {
        for k in 0..n {
            arrays[dst][k] = arrays[src][k];
        }
    }
    if let Some((dst, byte)) = p.set_plan() {
        let v = u64::from_le_bytes([byte; 8]);
        for x in arrays[dst].iter_mut() {
            *x = v;
        }
    }
    if p.sha_pair {
        h = mix(h, SHA_REGION0_LEN);
        h = mix(h, u64::from(SHA_DIGEST0));
    }
    for _ in 0..p.rounds {
        for i in 0..arrays.len() {
            if p.arrays[i].large {
                for k in sample(arrays[i].len()) {
                    h = mix(h, arrays[i][k]);
                }
            } else {
                for k in 0..arrays[i].len() {
                    h = mix(h, arrays[i][k]);
                }
            }
            if p.arrays[i].addr_fn {
                h = mix(h, arrays[i][(h % arrays[i].len() as u64) as usize]);
            }
        }
        for s in &p.strings {
            for &b in &s.text {
                h = mix(h, u64::from(b));
            }
        }
        for t in &p.ptr_tables {
            if let Some(a) = p.ptr_target(t) {
                for &k in &t.idxs {
                    h = mix(h, arrays[a][k as usize % arrays[a].len()]);
                }
            }
        }
        for f in 0..p.funcs.len() {
            h = mix(h, call(p, &arrays, f, h));
        }
        if p.fnptr_table && !p.funcs.is_empty() {
            let f = (h % p.funcs.len() as u64) as usize;
            h = mix(h, call(p, &arrays, f, h));
        }
        for i in p.writable_arrays() {
            let k = (h % arrays[i].len() as u64) as usize;
            arrays[i][k] = h;
        }
    }
    h
}

/// `purgatory_sha_regions[0].len`, and `purgatory_sha256_digest[0]` (non-zero: the pair stays out of bss).
pub const SHA_REGION0_LEN: u64 = 0x1000;
pub const SHA_DIGEST0: u8 = 0x5a;
