//! kreloc-gen: UB-free, purgatory-like programs in C and Rust from one AST, derived with `arbitrary` so the
//! same generator serves `cargo fuzz` bytes and a seeded RNG.
//!
//! It must not compile, load or run anything: it only builds programs, emits their source and evaluates
//! their expected checksum.

pub mod ast;
pub mod emit_c;
pub mod emit_rust;
pub mod eval;
pub mod loader_data;
pub mod reduce;

use arbitrary::{Arbitrary, Unstructured};
use rand::{RngCore, SeedableRng};

pub use ast::Program;
pub use emit_c::emit_c;
pub use emit_rust::emit_rust;
pub use reduce::Edit;

/// The assembly entry both emitters carry (AT&T syntax), like arch/x86/purgatory/entry64.S: switch to the
/// program's own stack at `stack_end` (in `.data`, as stack.S has it), call the C `purgatory()`, then return
/// on the caller's stack. The stack is checked against a second reference to `stack_end` (`ud2` if they
/// differ): a stack misplaced within the image computes the same checksum, and would go unseen.
pub const ENTRY_ASM: &str = "\t.pushsection .text; .globl purgatory_start; .type purgatory_start, @function
purgatory_start:
\tpush %rbx; mov %rsp, %rbx
\tlea stack_end(%rip), %rsp
\tlea stack_end(%rip), %rax; cmp %rax, %rsp; je 2f; ud2
2:\tcall purgatory
\tmov %rbx, %rsp; pop %rbx; ret
\t.size purgatory_start, .-purgatory_start; .popsection
\t.pushsection .data; .balign 16; .skip 8192
\t.globl stack_end
stack_end:
\t.popsection";

/// The kernel idioms (issue 25), as [`Program::features`] names them: what the tests require the generator to
/// carry and compiled code to compute right.
pub const KERNEL_IDIOMS: [&str; 12] = [
    "function-in-named-section",
    "inline-asm-pushsection",
    "switch",
    "weak-function",
    "alias-symbol",
    "unlikely-path",
    "struct-copy-memcpy",
    "zero-init-memset",
    "large-stack-array",
    "function-pointer-table",
    "string-table",
    "sha256-region-loop",
];

/// The program budgets (in input bytes) a fuzz input's first byte chooses among: [`Program::from_fuzz_bytes`].
pub const SIZE_CLASSES: [usize; 12] = [32, 64, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072];

/// The size class a fuzz input asks for (its first byte; the smallest for an empty input).
pub fn size_class(bytes: &[u8]) -> usize {
    bytes.first().map_or(0, |&b| b as usize % SIZE_CLASSES.len())
}

impl Program {
    /// A program from libFuzzer bytes, whose size does not follow their length (libFuzzer keeps inputs at a
    /// few bytes for minutes): the first byte picks a budget from [`SIZE_CLASSES`], and the rest, extended
    /// up to that budget by a stream seeded with a hash of every byte, shapes the program. A longer input is
    /// its own budget, as with [`Program::from_bytes`].
    pub fn from_fuzz_bytes(bytes: &[u8]) -> Program {
        let budget = SIZE_CLASSES[size_class(bytes)];
        let mut body = bytes.get(1..).unwrap_or_default().to_vec();
        let seed = hash_bytes(bytes);
        let have = body.len() as u64;
        body.extend((have..budget as u64).map(|k| ast::word(seed, k) as u8));
        Program::from_bytes(&body)
    }

    /// A program from fuzz bytes; never fails (too few bytes give a small default program). Every byte
    /// counts: the structure is derived from all of them (counts grow with the length) and the salt, which
    /// seeds every datum, is a hash of the whole string.
    pub fn from_bytes(bytes: &[u8]) -> Program {
        let mut u = Unstructured::new(bytes);
        let mut p = Program::generate(&mut u, ast::Caps::for_budget(bytes.len()))
            .unwrap_or_else(|_| Program::default_program());
        p.salt = hash_bytes(bytes);
        p.normalized(bytes.len())
    }

    /// Draws every field from `u`, with node counts between half the cap and the cap (`arbitrary`'s own
    /// collections stay short whatever the input length).
    fn generate(u: &mut Unstructured, caps: ast::Caps) -> arbitrary::Result<Program> {
        fn many<'a, T: Arbitrary<'a>>(u: &mut Unstructured<'a>, cap: usize) -> arbitrary::Result<Vec<T>> {
            let n = u.int_in_range(cap / 2..=cap)?;
            (0..n).map(|_| T::arbitrary(u)).collect()
        }
        Ok(Program {
            salt: 0,
            arrays: many(u, caps.arrays)?,
            strings: many(u, caps.strings)?,
            string_table: u.arbitrary()?,
            ptr_tables: many(u, caps.ptr_tables)?,
            funcs: many(u, caps.funcs)?,
            fnptr_table: u.arbitrary()?,
            copy_loop: u.arbitrary()?,
            set_loop: u.arbitrary()?,
            sha_regions: many(u, ast::SHA_REGIONS)?,
            struct_copy: u.arbitrary()?,
            zero_init: u.arbitrary()?,
            rounds: u.arbitrary()?,
            stack_array: u.arbitrary()?,
            sha256: u.arbitrary()?,
        })
    }

    /// A program from a seed: the same seed gives the same program everywhere; `size` bytes shape it.
    pub fn from_seed(seed: u64, size: usize) -> Program {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut bytes = vec![0u8; size.max(64)];
        rng.fill_bytes(&mut bytes);
        Program::from_bytes(&bytes)
    }

    /// The smallest interesting program: one array, one function.
    pub fn default_program() -> Program {
        Program {
            salt: 0x5eed,
            arrays: vec![ast::Array {
                len: 4,
                large: false,
                konst: false,
                sect: ast::Sect::Default,
                vis: ast::Vis::Default,
                weak: false,
                addr_fn: false,
                seed: 1,
            }],
            strings: Vec::new(),
            string_table: false,
            ptr_tables: Vec::new(),
            funcs: vec![ast::Func {
                kind: ast::FuncKind::Arith { mul: 3, add: 1, shift: 7 },
                temp: ast::Temp::Normal,
                vis: ast::Vis::Static,
                sect: None,
                link: ast::Link::Plain,
            }],
            fnptr_table: false,
            copy_loop: false,
            set_loop: false,
            sha_regions: Vec::new(),
            struct_copy: None,
            zero_init: None,
            rounds: 1,
            stack_array: None,
            sha256: false,
        }
        .normalized(0)
    }

    /// The checksum `kreloc_entry` must leave in `out[0]`.
    pub fn expected_checksum(&self) -> u64 {
        eval::checksum(self)
    }

    /// Constructs present, for reports.
    pub fn features(&self) -> Vec<&'static str> {
        use ast::{FuncKind, Link, Sect, Temp, Vis};
        let mut f = Vec::new();
        let mut add = |cond: bool, name| {
            if cond {
                f.push(name)
            }
        };
        add(true, "kexec-purgatory-section");
        add(self.arrays.iter().any(|a| matches!(a.sect, Sect::Named(_))), "explicit-section");
        add(self.arrays.iter().any(|a| a.konst), "const-table");
        add(self.funcs.iter().any(|x| matches!(x.kind, FuncKind::Switch { .. })), "switch");
        add(self.fnptr_table && !self.funcs.is_empty(), "function-pointer-table");
        add(!self.strings.is_empty(), "string-literal");
        add(self.ptr_tables.iter().any(|t| self.ptr_target(t).is_some()), "pointer-initialised-data");
        add(self.arrays.iter().any(|a| a.addr_fn), "address-taking");
        add(self.arrays.iter().any(|a| a.large), "large-array");
        add(
            self.arrays.iter().any(|a| a.vis == Vis::Static) || self.funcs.iter().any(|x| x.vis == Vis::Static),
            "static",
        );
        add(
            self.arrays.iter().any(|a| a.vis == Vis::Hidden) || self.funcs.iter().any(|x| x.vis == Vis::Hidden),
            "hidden",
        );
        add(
            self.arrays.iter().any(|a| a.vis == Vis::Default) || self.funcs.iter().any(|x| x.vis == Vis::Default),
            "default-visibility",
        );
        add(self.arrays.iter().any(|a| a.weak && a.vis != Vis::Static), "weak");
        add(self.funcs.iter().any(|x| x.temp != Temp::Normal), "hot-cold");
        add(self.copy_plan().is_some(), "memcpy-loop");
        add(self.set_plan().is_some(), "memset-loop");
        add(!self.regions().is_empty(), "sha-regions-digest-loop");
        add(self.string_table && !self.strings.is_empty(), "string-table");
        add(self.struct_words().is_some(), "struct-copy-memcpy");
        add(self.zero_words().is_some(), "zero-init-memset");
        add(self.funcs.iter().any(|x| matches!(x.kind, FuncKind::Rare { .. })), "unlikely-path");
        add(
            self.funcs
                .iter()
                .any(|x| matches!(x.kind, FuncKind::Arith { mul, add, .. } if mul >> 32 != 0 || add >> 32 != 0)),
            "64-bit-constant",
        );
        add(self.funcs.iter().any(|x| x.section().is_some()), "function-in-named-section");
        add(self.funcs.iter().any(|x| matches!(x.kind, FuncKind::PushSection { .. })), "inline-asm-pushsection");
        add(self.funcs.iter().any(|x| x.link == Link::Weak), "weak-function");
        add(self.funcs.iter().any(|x| x.link == Link::Alias), "alias-symbol");
        add(self.stack_words().is_some(), "large-stack-array");
        add(self.sha256, "sha256-region-loop");
        f.extend(["sha-regions-pair", "entry64_regs", "asm-entry-stack_end", "purgatory_start"]);
        f
    }
}

/// FNV-1a then a splitmix finish: a salt that every input byte changes.
fn hash_bytes(bytes: &[u8]) -> u64 {
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3));
    ast::word(h, bytes.len() as u64)
}
