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
    /// Zero-initialised and filled at run time (a large zero initialisation, then position-dependent words).
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

/// A string literal (bytes from a small printable alphabet, never empty).
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
    /// 64-bit constants (movabs).
    Arith { mul: u64, add: u64, shift: u8 },
    /// A dense switch on `x % (cases + 1)` (big enough for a jump table); the last value takes `default`.
    Switch { cases: Vec<u64>, default: u64 },
    /// Reads an array (modulo their count).
    Lookup { array: u8 },
    /// An unlikely path (`x & 3 == 0`) into a cold function: hot/cold splitting.
    Rare { add: u64 },
    /// Inline asm that puts `k` and a PC-relative back-reference into `.rodata.kreloc_asm` with
    /// `.pushsection`/`.popsection` (like `_ASM_EXTABLE` or alternatives) and reads both.
    PushSection { k: u64 },
}

/// How a helper's symbol is bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Arbitrary, Serialize, Deserialize)]
pub enum Link {
    #[default]
    Plain,
    /// `__attribute__((weak))` (C only: Rust has no stable weak definitions and keeps it strong).
    Weak,
    /// Called through `kreloc_a<N>`, an alias of the function (C `alias`, Rust `.set` in `global_asm!`).
    Alias,
}

/// Named text sections a helper may be placed in, as kernel code places `noinstr`, entry and `__init` code.
pub const FUNC_SECTIONS: [&str; 3] = [".noinstr.text", ".entry.text", ".init.text"];

/// A helper `u64 f(u64)`.
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary, Serialize, Deserialize)]
pub struct Func {
    pub kind: FuncKind,
    pub temp: Temp,
    pub vis: Vis,
    /// Placed in a named text section ([`Func::section`]; one function in eight): its temperature then moves
    /// nothing.
    #[serde(default)]
    pub sect: Option<u8>,
    #[serde(default)]
    pub link: Link,
}

impl Func {
    /// The named text section the function is placed in, if any.
    pub fn section(&self) -> Option<&'static str> {
        self.sect.map(|n| FUNC_SECTIONS[n as usize / 8 % FUNC_SECTIONS.len()])
    }

    /// Distinct paths through the function: it is called once with `x % paths == k` for each `k`, so every
    /// case (and every jump-table entry) runs.
    pub fn paths(&self) -> u64 {
        match &self.kind {
            FuncKind::Switch { cases, .. } => cases.len() as u64 + 1,
            FuncKind::Rare { .. } => 4,
            _ => 1,
        }
    }
}

/// A purgatory-like program.
#[derive(Debug, Clone, PartialEq, Eq, Arbitrary, Serialize, Deserialize)]
pub struct Program {
    /// Start of the hash and seed of every datum: distinct programs compute distinct checksums.
    pub salt: u64,
    pub arrays: Vec<Array>,
    pub strings: Vec<Str>,
    /// A table of pointers to every string (`const char *const names[]`).
    pub string_table: bool,
    pub ptr_tables: Vec<PtrTable>,
    pub funcs: Vec<Func>,
    /// A table of the helpers' addresses; every entry is called through it.
    pub fnptr_table: bool,
    /// A memcpy-shaped loop between two arrays.
    pub copy_loop: bool,
    /// A memset-shaped loop over an array.
    pub set_loop: bool,
    /// What `purgatory_sha_regions` covers: indices (modulo their count) into `region_objects()`; at most 16.
    pub sha_regions: Vec<u8>,
    /// A struct of 16 + n % 112 words copied by value (compilers call memcpy).
    pub struct_copy: Option<u8>,
    /// A local buffer of 32 + n % 96 words initialised to zero (compilers call memset).
    pub zero_init: Option<u8>,
    /// A stack array of 128 + n % 384 words (up to 4 KB), not initialised but written in full before it is
    /// read: `-ftrivial-auto-var-init` adds a memset call.
    #[serde(default)]
    pub stack_array: Option<u16>,
    /// `kreloc_digest` is SHA-256 itself over the regions (purgatory's sha256_update loop, with its round
    /// constant table and a message schedule on the stack), not the byte mix.
    #[serde(default)]
    pub sha256: bool,
    pub rounds: u8,
}

/// Caps for a program derived from `budget` input bytes: counts grow linearly with the input.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    pub arrays: usize,
    pub strings: usize,
    pub ptr_tables: usize,
    pub funcs: usize,
}

impl Caps {
    pub fn for_budget(budget: usize) -> Caps {
        let k = budget / 96;
        Caps { arrays: 3 + k, strings: 2 + k / 2, ptr_tables: 2 + k / 2, funcs: 3 + k }
    }
}

pub const LARGE_LEN: usize = 9000;
/// Entries of `purgatory_sha_regions` (the kernel's KEXEC_SEGMENT_MAX).
pub const SHA_REGIONS: usize = 16;
/// Words in `entry64_regs` (rax..r15, rip: 136 bytes).
pub const ENTRY64_REGS_WORDS: usize = 17;

/// One object a sha region can cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionObject {
    Array(usize),
    Str(usize),
    /// `purgatory_sha256_digest` itself: the region when the program has no other object.
    Digest,
}

impl Program {
    /// Clamps every count and length into range for an input of `budget` bytes; idempotent.
    pub fn normalized(mut self, budget: usize) -> Program {
        let caps = Caps::for_budget(budget);
        self.arrays.truncate(caps.arrays);
        self.strings.truncate(caps.strings);
        self.ptr_tables.truncate(caps.ptr_tables);
        self.funcs.truncate(caps.funcs);
        self.sha_regions.truncate(SHA_REGIONS);
        for a in &mut self.arrays {
            a.len = a.len % 32 + 1;
            // One array in eight is large: each is 72 KB and filled at run time.
            a.large = a.large && a.seed % 4 == 0;
            if a.large {
                a.konst = false;
            }
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
            if s.text.is_empty() {
                s.text.push(0);
            }
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
            f.sect = f.sect.filter(|n| n % 8 == 0);
            if f.sect.is_some() {
                f.temp = Temp::Normal;
            }
            if f.link == Link::Weak && f.vis == Vis::Static {
                f.link = Link::Plain;
            }
            match &mut f.kind {
                FuncKind::Switch { cases, .. } => {
                    cases.truncate(10);
                    while cases.len() < 6 {
                        cases.push(cases.len() as u64 * 0x9e37_79b9 + 11);
                    }
                }
                FuncKind::Arith { shift, .. } => *shift %= 64,
                _ => {}
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

    /// Indices of large arrays (zero-initialised, filled at run time).
    pub fn large_arrays(&self) -> Vec<usize> {
        (0..self.arrays.len()).filter(|&i| self.arrays[i].large).collect()
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

    /// What sha regions may cover: small arrays (digested before anything writes them), strings, and the
    /// digest itself.
    pub fn region_objects(&self) -> Vec<RegionObject> {
        let mut v: Vec<RegionObject> =
            (0..self.arrays.len()).filter(|&i| !self.arrays[i].large).map(RegionObject::Array).collect();
        v.extend((0..self.strings.len()).map(RegionObject::Str));
        v.push(RegionObject::Digest);
        v
    }

    /// The objects `purgatory_sha_regions[0..]` cover, in order; never none, so the digest loop always
    /// reads the table.
    pub fn regions(&self) -> Vec<RegionObject> {
        let objs = self.region_objects();
        if self.sha_regions.is_empty() {
            return vec![objs[0]];
        }
        self.sha_regions.iter().map(|&r| objs[r as usize % objs.len()]).collect()
    }

    /// Words of the struct that is copied by value.
    pub fn struct_words(&self) -> Option<usize> {
        self.struct_copy.map(|n| 16 + n as usize % 112)
    }

    /// Words of the uninitialised stack array.
    pub fn stack_words(&self) -> Option<usize> {
        self.stack_array.map(|n| 128 + n as usize % 384)
    }

    /// Words of the zero-initialised local buffer.
    pub fn zero_words(&self) -> Option<usize> {
        self.zero_init.map(|n| 32 + n as usize % 96)
    }

    /// Initial value of element `k` of a small array `i` (large arrays start as zero).
    pub fn init(&self, i: usize, k: usize) -> u64 {
        word(self.salt ^ u64::from(self.arrays[i].seed) ^ (i as u64) << 56, k as u64) | 1
    }

    /// The two constants of large array `i`'s fill: element `k` becomes `(k ^ a) * b`.
    pub fn fill_consts(&self, i: usize) -> (u64, u64) {
        let s = self.salt ^ u64::from(self.arrays[i].seed) ^ (i as u64) << 56 ^ 0xf111;
        (word(s, 0), word(s, 1) | 1)
    }

    /// Byte `k` of `purgatory_sha256_digest`.
    pub fn digest_byte(&self, k: usize) -> u8 {
        word(self.salt ^ 0x00d1_6e57, k as u64) as u8
    }

    /// Word `k` of the struct copied by value.
    pub fn blob_word(&self, k: usize) -> u64 {
        word(self.salt ^ 0xb10b, k as u64)
    }

    /// Node count (the reducer's size measure).
    pub fn size(&self) -> usize {
        let funcs: usize = self
            .funcs
            .iter()
            .map(|f| {
                let placed = usize::from(f.sect.is_some()) + usize::from(f.link != Link::Plain);
                placed
                    + match &f.kind {
                        FuncKind::Switch { cases, .. } => 1 + cases.len(),
                        _ => 1,
                    }
            })
            .sum();
        self.arrays.iter().map(|a| 1 + a.len as usize).sum::<usize>()
            + self.strings.iter().map(|s| 1 + s.text.len()).sum::<usize>()
            + self.ptr_tables.iter().map(|t| 1 + t.idxs.len()).sum::<usize>()
            + funcs
            + self.sha_regions.len()
            + [
                self.fnptr_table,
                self.copy_loop,
                self.set_loop,
                self.string_table,
                self.struct_copy.is_some(),
                self.zero_init.is_some(),
                self.stack_array.is_some(),
                self.sha256,
            ]
            .iter()
            .filter(|b| **b)
            .count()
            + self.rounds as usize
    }
}

/// A position-dependent, non-zero-preserving word (splitmix64 of seed and position).
pub fn word(seed: u64, k: u64) -> u64 {
    let mut z = seed ^ k.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Characters string literals are drawn from (no escapes needed in C or Rust).
pub const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789 _-";
