//! The program model. Every cross-reference is an index taken modulo the current count, so removing any
//! node still leaves a valid program (the reducer relies on that).

use arbitrary::Arbitrary;
use serde::{Deserialize, Serialize};

/// Where a global lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary, Serialize, Deserialize)]
pub enum Sect {
    Default,
    /// `.kexec-purgatory`, like the real sha regions.
    KexecPurgatory,
    /// `.data.kreloc<N>`: an explicit section of our own.
    Named(u8),
}

/// Symbol visibility (C; Rust has no stable hidden visibility and emits `Hidden` as `Default`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary, Serialize, Deserialize)]
pub enum Vis {
    Static,
    Hidden,
    Default,
}

/// A `u64` array.
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary, Serialize, Deserialize)]
pub struct Array {
    /// Elements (1..=32), or 9000 (72 KB, past the medium model's large-data threshold) when `large`.
    pub len: u8,
    pub large: bool,
    /// A const table (read-only; never in an explicit section, which would conflict with writable ones).
    pub konst: bool,
    pub sect: Sect,
    pub vis: Vis,
    pub weak: bool,
    /// Has an out-of-line function returning `&array[0]` (address taking that is not folded away).
    pub addr_fn: bool,
    pub seed: u32,
}

/// A string literal (bytes from a small printable alphabet).
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary, Serialize, Deserialize)]
pub struct Str {
    pub text: Vec<u8>,
}

/// A table of pointers into a const array: pointer-initialised data (data relocations).
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary, Serialize, Deserialize)]
pub struct PtrTable {
    /// Which const array (modulo their count).
    pub target: u8,
    pub idxs: Vec<u8>,
}

/// Attributes that move a function to another text section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary, Serialize, Deserialize)]
pub enum Temp {
    Normal,
    Hot,
    Cold,
}

/// What a helper function computes from its argument.
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary, Serialize, Deserialize)]
pub enum FuncKind {
    Arith { mul: u32, add: u32, shift: u8 },
    /// A dense switch (big enough for a jump table).
    Switch { cases: Vec<u32>, default: u32 },
    /// Reads an array (modulo their count).
    Lookup { array: u8 },
}

/// A helper `u64 f(u64)`.
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary, Serialize, Deserialize)]
pub struct Func {
    pub kind: FuncKind,
    pub temp: Temp,
    pub vis: Vis,
}

/// A purgatory-like program.
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary, Serialize, Deserialize)]
pub struct Program {
    pub arrays: Vec<Array>,
    pub strings: Vec<Str>,
    pub ptr_tables: Vec<PtrTable>,
    pub funcs: Vec<Func>,
    /// A table of the helpers' addresses, called through.
    pub fnptr_table: bool,
    /// A memcpy-shaped loop between two arrays.
    pub copy_loop: bool,
    /// A memset-shaped loop over an array.
    pub set_loop: bool,
    /// `purgatory_sha_regions` / `purgatory_sha256_digest` in `.kexec-purgatory`.
    pub sha_pair: bool,
    pub rounds: u8,
}

/// Bounds applied after `arbitrary` so programs stay small and compile fast.
pub const MAX_ARRAYS: usize = 6;
pub const MAX_STRINGS: usize = 3;
pub const MAX_PTR_TABLES: usize = 3;
pub const MAX_FUNCS: usize = 6;
pub const LARGE_LEN: usize = 9000;

impl Program {
    /// Clamps every count and length into range; idempotent.
    pub fn normalized(mut self) -> Program {
        self.arrays.truncate(MAX_ARRAYS);
        self.strings.truncate(MAX_STRINGS);
        self.ptr_tables.truncate(MAX_PTR_TABLES);
        self.funcs.truncate(MAX_FUNCS);
        for a in &mut self.arrays {
            a.len = a.len % 32 + 1;
            if a.konst {
                a.sect = Sect::Default;
                a.weak = false;
            }
            if let Sect::Named(n) = a.sect {
                a.sect = Sect::Named(n % 4);
            }
        }
        for s in &mut self.strings {
            s.text.truncate(24);
            for b in &mut s.text {
                *b = ALPHABET[*b as usize % ALPHABET.len()];
            }
        }
        for t in &mut self.ptr_tables {
            t.idxs.truncate(8);
            if t.idxs.is_empty() {
                t.idxs.push(0);
            }
        }
        for f in &mut self.funcs {
            if let FuncKind::Switch { cases, .. } = &mut f.kind {
                cases.truncate(10);
                while cases.len() < 6 {
                    cases.push(cases.len() as u32 * 0x9e37 + 11);
                }
            }
            if let FuncKind::Arith { shift, .. } = &mut f.kind {
                *shift %= 64;
            }
        }
        self.rounds = self.rounds % 3 + 1;
        self
    }

    /// Element count of array `i`.
    pub fn array_len(&self, i: usize) -> usize {
        if self.arrays[i].large {
            LARGE_LEN
        } else {
            self.arrays[i].len as usize
        }
    }

    /// Indices of const arrays.
    pub fn const_arrays(&self) -> Vec<usize> {
        (0..self.arrays.len()).filter(|&i| self.arrays[i].konst).collect()
    }

    /// Indices of writable, small arrays (targets of writes and loops).
    pub fn writable_arrays(&self) -> Vec<usize> {
        (0..self.arrays.len()).filter(|&i| !self.arrays[i].konst && !self.arrays[i].large).collect()
    }

    /// The (dst, src, n) of the copy loop, if it can exist.
    pub fn copy_plan(&self) -> Option<(usize, usize, usize)> {
        if !self.copy_loop {
            return None;
        }
        let dst = *self.writable_arrays().first()?;
        let src = (0..self.arrays.len()).find(|&i| i != dst && !self.arrays[i].large)?;
        Some((dst, src, self.array_len(dst).min(self.array_len(src))))
    }

    /// The (dst, byte) of the set loop, if it can exist.
    pub fn set_plan(&self) -> Option<(usize, u8)> {
        if !self.set_loop {
            return None;
        }
        let dst = *self.writable_arrays().last()?;
        Some((dst, (self.rounds.wrapping_mul(37)) | 1))
    }

    /// The const array a pointer table points into.
    pub fn ptr_target(&self, t: &PtrTable) -> Option<usize> {
        let c = self.const_arrays();
        (!c.is_empty()).then(|| c[t.target as usize % c.len()])
    }

    /// Initial value of element `k` of array `i`.
    pub fn init(&self, i: usize, k: usize) -> u64 {
        let a = &self.arrays[i];
        if a.large && k > 0 {
            return 0;
        }
        let mut z = u64::from(a.seed) ^ (k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (i as u64) << 56;
        z = (z ^ (z >> 31)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        (z ^ (z >> 29)) | 1
    }

    /// Node count (the reducer's size measure).
    pub fn size(&self) -> usize {
        let funcs: usize = self
            .funcs
            .iter()
            .map(|f| match &f.kind {
                FuncKind::Switch { cases, .. } => 1 + cases.len(),
                _ => 1,
            })
            .sum();
        self.arrays.iter().map(|a| 1 + a.len as usize).sum::<usize>()
            + self.strings.iter().map(|s| 1 + s.text.len()).sum::<usize>()
            + self.ptr_tables.iter().map(|t| 1 + t.idxs.len()).sum::<usize>()
            + funcs
            + [self.fnptr_table, self.copy_loop, self.set_loop, self.sha_pair].iter().filter(|b| **b).count()
            + self.rounds as usize
    }
}

/// Characters string literals are drawn from (no escapes needed in C or Rust).
pub const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789 _-";
