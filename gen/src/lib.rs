//! kreloc-gen: UB-free, purgatory-like programs in C and Rust from one AST, derived with `arbitrary` so the
//! same generator serves `cargo fuzz` bytes and a seeded RNG.

pub mod ast;
pub mod emit_c;
pub mod emit_rust;
pub mod eval;
pub mod reduce;

use arbitrary::{Arbitrary, Unstructured};
use rand::{RngCore, SeedableRng};

pub use ast::Program;
pub use emit_c::emit_c;
pub use emit_rust::emit_rust;
pub use reduce::Edit;

impl Program {
    /// A program from fuzz bytes; never fails (too few bytes give a small default program).
    pub fn from_bytes(bytes: &[u8]) -> Program {
        let mut u = Unstructured::new(bytes);
        Program::arbitrary(&mut u).unwrap_or_else(|_| Program::default_program()).normalized()
    }

    /// A program from a seed: the same seed gives the same program everywhere.
    pub fn from_seed(seed: u64, size: usize) -> Program {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut bytes = vec![0u8; size.max(64)];
        rng.fill_bytes(&mut bytes);
        Program::from_bytes(&bytes)
    }

    /// The smallest interesting program: one array, one function.
    pub fn default_program() -> Program {
        Program {
            arrays: vec![ast::Array { len: 4, large: false, konst: false, sect: ast::Sect::Default, vis: ast::Vis::Default, weak: false, addr_fn: false, seed: 1 }],
            strings: Vec::new(),
            ptr_tables: Vec::new(),
            funcs: vec![ast::Func { kind: ast::FuncKind::Arith { mul: 3, add: 1, shift: 7 }, temp: ast::Temp::Normal, vis: ast::Vis::Static }],
            fnptr_table: false,
            copy_loop: false,
            set_loop: false,
            sha_pair: true,
            rounds: 1,
        }
        .normalized()
    }

    /// The checksum `kreloc_entry` must leave in `out[0]`.
    pub fn expected_checksum(&self) -> u64 {
        eval::checksum(self)
    }

    /// Constructs present, for reports.
    pub fn features(&self) -> Vec<&'static str> {
        use ast::{FuncKind, Sect, Temp, Vis};
        let mut f = Vec::new();
        let mut add = |cond: bool, name| {
            if cond {
                f.push(name)
            }
        };
        add(self.arrays.iter().any(|a| a.sect == Sect::KexecPurgatory) || self.sha_pair, "kexec-purgatory-section");
        add(self.arrays.iter().any(|a| matches!(a.sect, Sect::Named(_))), "explicit-section");
        add(self.arrays.iter().any(|a| a.konst), "const-table");
        add(self.funcs.iter().any(|x| matches!(x.kind, FuncKind::Switch { .. })), "switch");
        add(self.fnptr_table && !self.funcs.is_empty(), "function-pointer-table");
        add(!self.strings.is_empty(), "string-literal");
        add(self.ptr_tables.iter().any(|t| self.ptr_target(t).is_some()), "pointer-initialised-data");
        add(self.arrays.iter().any(|a| a.addr_fn), "address-taking");
        add(self.arrays.iter().any(|a| a.large), "large-array");
        add(self.arrays.iter().any(|a| a.vis == Vis::Static) || self.funcs.iter().any(|x| x.vis == Vis::Static), "static");
        add(self.arrays.iter().any(|a| a.vis == Vis::Hidden) || self.funcs.iter().any(|x| x.vis == Vis::Hidden), "hidden");
        add(self.arrays.iter().any(|a| a.vis == Vis::Default) || self.funcs.iter().any(|x| x.vis == Vis::Default), "default-visibility");
        add(self.arrays.iter().any(|a| a.weak && a.vis != Vis::Static), "weak");
        add(self.funcs.iter().any(|x| x.temp != Temp::Normal), "hot-cold");
        add(self.copy_plan().is_some(), "memcpy-loop");
        add(self.set_plan().is_some(), "memset-loop");
        add(self.sha_pair, "sha-regions-pair");
        f.push("purgatory_start");
        f
    }
}
