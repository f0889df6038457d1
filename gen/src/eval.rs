//! The reference interpreter: the checksum a correct compile and load must produce (a third opinion
//! next to the C and Rust emitters). Every datum, table entry, pointer target and string is folded in, so
//! a misrelocated reference changes the result.

use crate::ast::{FuncKind, Program, RegionObject, LARGE_LEN};

/// The constants of [`mix`]; both emitters spell exactly these.
pub const MIX_K1: u64 = 0x9e37_79b9_7f4a_7c15;
pub const MIX_K2: u64 = 0xd6e8_feb8_6659_fd93;
pub const MIX_K3: u64 = 0x632b_e59b_d9b4_e019;
/// The cold function's multiplier.
pub const RARE_K: u64 = 0x2545_f491_4f6c_dd1d;

/// One mixing step: a bijection in `x` for every `h` (rotate, xor, multiply-xorshift twice, add), so a
/// changed datum always changes the state, and `mix(h, h)` never collapses to a fixed value.
pub fn mix(h: u64, x: u64) -> u64 {
    let mut h = h.rotate_left(23) ^ x;
    h = h.wrapping_mul(MIX_K1);
    h ^= h >> 32;
    h = h.wrapping_mul(MIX_K2);
    (h ^ (h >> 29)).wrapping_add(MIX_K3)
}

/// Indices of a large array the fold samples.
pub fn sample(len: usize) -> impl Iterator<Item = usize> {
    (0..16).map(move |i| (i * 7919) % len)
}

/// The start of the hash (`purgatory()`'s first value).
pub fn h0(p: &Program) -> u64 {
    p.salt | 1
}

/// The cold function an unlikely path calls.
pub fn rare(x: u64) -> u64 {
    (x >> 3).wrapping_mul(RARE_K).wrapping_add(1)
}

/// Values of helper `f` at `x`, given the current array contents.
fn call(p: &Program, arrays: &[Vec<u64>], f: usize, x: u64) -> u64 {
    match &p.funcs[f].kind {
        FuncKind::Arith { mul, add, shift } => x.wrapping_mul(*mul).wrapping_add(*add) ^ (x >> shift),
        FuncKind::Switch { cases, default } => {
            let k = x % (cases.len() as u64 + 1);
            match usize::try_from(k).ok().and_then(|k| cases.get(k)) {
                Some(c) => c.wrapping_add(x),
                None => default ^ x,
            }
        }
        FuncKind::Lookup { array } => {
            if arrays.is_empty() {
                return x;
            }
            let a = *array as usize % arrays.len();
            arrays[a][(x % arrays[a].len() as u64) as usize].wrapping_add(x)
        }
        FuncKind::Rare { add } => {
            if x & 3 == 0 {
                rare(x ^ add)
            } else {
                x.wrapping_mul(5).wrapping_add(*add)
            }
        }
        // The back-reference resolves to the asm's own address: nothing is added.
        FuncKind::PushSection { k } => x.wrapping_add(*k),
    }
}

/// The bytes of a region's object.
fn region_bytes(p: &Program, arrays: &[Vec<u64>], o: RegionObject) -> Vec<u8> {
    match o {
        RegionObject::Array(i) => arrays[i].iter().flat_map(|w| w.to_le_bytes()).collect(),
        RegionObject::Str(i) => p.strings[i].text.clone(),
        RegionObject::Digest => (0..32).map(|k| p.digest_byte(k)).collect(),
    }
}

/// What `kreloc_digest()` returns: every byte of every region, like purgatory's sha256 over its regions
/// (with `sha256`, the bytes of SHA-256 over them all, computed here by the `sha2` crate).
pub fn digest(p: &Program, arrays: &[Vec<u64>]) -> u64 {
    let bytes = p.regions().into_iter().flat_map(|o| region_bytes(p, arrays, o));
    let bytes: Vec<u8> = if p.sha256 {
        use sha2::Digest;
        sha2::Sha256::digest(bytes.collect::<Vec<u8>>()).to_vec()
    } else {
        bytes.collect()
    };
    bytes.into_iter().fold(!p.salt, |d, b| mix(d, u64::from(b)))
}

/// The SHA-256 round constants (the emitters' `kreloc_sha_k` table).
pub const SHA256_K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
];

/// SHA-256's initial state.
pub const SHA256_H0: [u32; 8] =
    [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/// What `kreloc_stack(h)` returns: the array is filled with `mix(h, k)`, then read back from the end.
pub fn stack_array(h: u64, words: usize) -> u64 {
    let buf: Vec<u64> = (0..words as u64).map(|k| mix(h, k)).collect();
    buf.iter().rev().fold(h, |h, &w| mix(h, w))
}

/// What `kreloc_zero(h)` returns.
fn zero_buffer(h: u64, words: usize) -> u64 {
    let mut buf = vec![0u64; words];
    buf[(h % words as u64) as usize] = h;
    buf.iter().fold(h, |h, &w| mix(h, w))
}

/// `kreloc_entry`'s `out[0]`: what `purgatory()` leaves in `kreloc_result[0]`.
pub fn checksum(p: &Program) -> u64 {
    let mut arrays: Vec<Vec<u64>> =
        (0..p.arrays.len())
            .map(|i| {
                if p.arrays[i].large {
                    vec![0; LARGE_LEN]
                } else {
                    (0..p.array_len(i)).map(|k| p.init(i, k)).collect()
                }
            })
            .collect();
    let mut h = h0(p);
    h = mix(h, digest(p, &arrays));
    for k in 0..32 {
        h = mix(h, u64::from(p.digest_byte(k)));
    }
    for i in p.large_arrays() {
        let (a, b) = p.fill_consts(i);
        for (k, w) in arrays[i].iter_mut().enumerate() {
            *w = (k as u64 ^ a).wrapping_mul(b);
        }
    }
    if let Some((dst, src, n)) = p.copy_plan() {
        let from = arrays[src][..n].to_vec();
        arrays[dst][..n].copy_from_slice(&from);
    }
    if let Some((dst, byte)) = p.set_plan() {
        let v = u64::from_le_bytes([byte; 8]);
        for x in arrays[dst].iter_mut() {
            *x = v;
        }
    }
    if let Some(n) = p.struct_words() {
        for k in 0..n {
            h = mix(h, p.blob_word(k));
        }
    }
    if let Some(n) = p.zero_words() {
        h = zero_buffer(h, n);
    }
    if let Some(n) = p.stack_words() {
        h = stack_array(h, n);
    }
    for _ in 0..p.rounds {
        for i in 0..arrays.len() {
            if p.arrays[i].large {
                for k in sample(arrays[i].len()) {
                    h = mix(h, arrays[i][k]);
                }
            } else {
                h = arrays[i].iter().fold(h, |h, &w| mix(h, w));
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
        if p.string_table {
            for s in &p.strings {
                for &b in &s.text {
                    h = mix(h, u64::from(b));
                }
            }
        }
        for t in &p.ptr_tables {
            if let Some(a) = p.ptr_target(t) {
                for &k in &t.idxs {
                    h = mix(h, arrays[a][k as usize % arrays[a].len()]);
                }
            }
        }
        for (f, func) in p.funcs.iter().enumerate() {
            let n = func.paths();
            for k in 0..n {
                h = mix(h, call(p, &arrays, f, (h >> 16) * n + k));
            }
        }
        if p.fnptr_table {
            for f in 0..p.funcs.len() {
                h = mix(h, call(p, &arrays, f, h));
            }
        }
        for i in p.writable_arrays() {
            let k = (h % arrays[i].len() as u64) as usize;
            arrays[i][k] = h;
        }
    }
    // The last round's writes are observed too.
    for i in p.writable_arrays() {
        for &w in &arrays[i] {
            h = mix(h, w);
        }
    }
    h
}
