//! The data every modelled loader gets and sets in a purgatory after relocation, with the sizes it checks,
//! defined where the real purgatories define them: `entry64_regs` in `.data` (arch/x86/purgatory/entry64.S,
//! kexec-tools purgatory/arch/x86_64/entry64.S), kexec-tools' `cmdline_end`, console, backup and
//! `panic_kernel` variables in `.data` (purgatory/arch/x86_64/purgatory-x86_64.c, console-x86.c,
//! crashdump_backup.c), and the digest symbols of both loaders in `.kexec-purgatory`.
//!
//! Every initial value is zero, as in the real purgatories. entry64.S places its zeros in `.data` by hand; the
//! C definitions here, like kexec-tools' own, are kept out of `.bss` (where both loaders refuse them) by
//! `-fno-zero-initialized-in-bss`, which the purgatory flags carry: a compiler that ignores it, or a config
//! without it, shows in the loader-symbols stage. rustc has no such switch, so Rust names the section.

/// The element type of one datum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem {
    U8,
    U16,
    U32,
    U64,
}

impl Elem {
    /// The C typedef and the Rust type (the same spelling in both emitters).
    pub fn name(self) -> &'static str {
        match self {
            Elem::U8 => "u8",
            Elem::U16 => "u16",
            Elem::U32 => "u32",
            Elem::U64 => "u64",
        }
    }

    pub fn bytes(self) -> u64 {
        match self {
            Elem::U8 => 1,
            Elem::U16 => 2,
            Elem::U32 => 4,
            Elem::U64 => 8,
        }
    }
}

/// One global a loader gets or sets: `count` elements (`1`: a scalar).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datum {
    pub name: &'static str,
    pub elem: Elem,
    pub count: usize,
    /// In `.kexec-purgatory` (the digest symbols), else in `.data`.
    pub kexec_purgatory: bool,
}

impl Datum {
    /// `st_size` as the loaders check it.
    pub fn size(&self) -> u64 {
        self.elem.bytes() * self.count as u64
    }
}

const fn data(name: &'static str, elem: Elem, count: usize) -> Datum {
    Datum { name, elem, count, kexec_purgatory: false }
}

const fn digest(name: &'static str, elem: Elem, count: usize) -> Datum {
    Datum { name, elem, count, kexec_purgatory: true }
}

/// Everything bzImage64 (kernel and kexec-tools) and kexec-tools' `arch_update_purgatory()` and
/// `update_purgatory()` get or set, besides `purgatory_sha_regions`/`purgatory_sha256_digest` (which the
/// program itself reads) and `stack_end` (an address, defined by the assembly entry).
pub const LOADER_DATA: [Datum; 13] = [
    // struct kexec_entry64_regs: rax..r15, rip.
    data("entry64_regs", Elem::U64, crate::ast::ENTRY64_REGS_WORDS),
    data("cmdline_end", Elem::U64, 1),
    data("reset_vga", Elem::U8, 1),
    data("serial_base", Elem::U16, 1),
    data("serial_baud", Elem::U32, 1),
    data("console_vga", Elem::U8, 1),
    data("console_serial", Elem::U8, 1),
    data("backup_src_start", Elem::U64, 1),
    data("backup_src_size", Elem::U64, 1),
    data("backup_start", Elem::U64, 1),
    data("panic_kernel", Elem::U8, 1),
    // kexec-tools' struct sha256_region { u64 start, len; } sha256_regions[16].
    digest("sha256_regions", Elem::U64, 2 * crate::ast::SHA_REGIONS),
    digest("sha256_digest", Elem::U8, 32),
];
