//! The symbol steps of a load after relocation: the image loader's own gets and sets (bzImage64's
//! `entry64_regs`, `stack_end`, ...), kexec-tools' `arch_update_purgatory()` settings, and the digest writes
//! (`purgatory_sha_regions`, `purgatory_sha256_digest`).
//! Each rule names the real function it follows.

use serde::Serialize;

use crate::elf::consts::SHN_UNDEF;
use crate::elf::{Object, Symbol};
use crate::message::{Access, Loader, LoaderMessage};

/// One get/set/address lookup the loader makes on the relocated purgatory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SymbolStep {
    pub name: &'static str,
    /// Bytes the loader reads or writes (unused for `Access::Address`).
    pub size: u64,
    pub access: Access,
}

const fn step(name: &'static str, size: u64, access: Access) -> SymbolStep {
    SymbolStep { name, size, access }
}

/// kernel/kexec_file.c `kexec_calculate_store_digests()`: KEXEC_SEGMENT_MAX (16) × {start, len} and a SHA-256.
pub const KERNEL_DIGESTS: [SymbolStep; 2] =
    [step("purgatory_sha_regions", 256, Access::Set), step("purgatory_sha256_digest", 32, Access::Set)];

/// arch/x86/kernel/kexec-bzimage64.c `bzImage64_load()`: get `entry64_regs` (struct kexec_entry64_regs,
/// 17 × u64), `kexec_purgatory_get_symbol_addr("stack_end")`, set `entry64_regs`.
pub const BZIMAGE64: [SymbolStep; 3] = [
    step("entry64_regs", 136, Access::Get),
    step("stack_end", 0, Access::Address),
    step("entry64_regs", 136, Access::Set),
];

/// arch/s390/kernel/machine_kexec_file.c `kexec_file_update_purgatory()` (a kexec, not a kdump load).
pub const S390_UPDATE_PURGATORY: [SymbolStep; 2] =
    [step("kernel_entry", 8, Access::Set), step("kernel_type", 8, Access::Set)];

/// arch/riscv/kernel/elf_kexec.c `elf_kexec_load()` / machine_kexec_file.c `load_extra_segments()`.
pub const RISCV_KERNEL_ENTRY: [SymbolStep; 1] = [step("riscv_kernel_entry", 8, Access::Set)];

/// kexec-tools kexec/arch/x86_64/kexec-bzImage64.c `do_bzImage64_load()`, in its order: get `entry64_regs`,
/// `regs64.rsp = elf_rel_get_addr("stack_end")`, set `entry64_regs`, set `cmdline_end` (an unsigned long).
pub const KEXEC_TOOLS_BZIMAGE64: [SymbolStep; 4] = [
    step("entry64_regs", 136, Access::Get),
    step("stack_end", 0, Access::Address),
    step("entry64_regs", 136, Access::Set),
    step("cmdline_end", 8, Access::Set),
];

/// kexec-tools kexec/arch/i386/kexec-bzImage.c `do_bzImage_load()`, protected-mode entry (the default, and the
/// only entry `kexec -p` accepts): `regs32.esp = elf_rel_get_addr("stack_end")`, set `entry32_regs` (struct
/// entry32_regs, 9 × u32), set `cmdline_end` (an unsigned long). It no longer gets `entry32_regs` first
/// (kexec-tools commit 72df887, 2013: "Remove unnecessary symbol value get").
pub const KEXEC_TOOLS_BZIMAGE: [SymbolStep; 3] =
    [step("stack_end", 0, Access::Address), step("entry32_regs", 36, Access::Set), step("cmdline_end", 4, Access::Set)];

/// The same with `--real-mode` (`kexec -l` only; kexec_debug off): get `entry16_regs` (struct entry16_regs,
/// 8 × u32 + 8 × u16), `stack_end` for regs32.esp and again for regs16.ss, `entry16` for regs32.eip, then set
/// `entry16_regs`, `entry16_debug_regs`, `entry32_regs` and `cmdline_end`.
pub const KEXEC_TOOLS_BZIMAGE_REAL_MODE: [SymbolStep; 8] = [
    step("entry16_regs", 48, Access::Get),
    step("stack_end", 0, Access::Address),
    step("stack_end", 0, Access::Address),
    step("entry16", 0, Access::Address),
    step("entry16_regs", 48, Access::Set),
    step("entry16_debug_regs", 48, Access::Set),
    step("entry32_regs", 36, Access::Set),
    step("cmdline_end", 4, Access::Set),
];

/// kexec-tools `arch_update_purgatory()` (kexec/arch/x86_64/kexec-x86_64.c and kexec/arch/i386/kexec-x86.c
/// alike), which kexec/kexec.c `update_purgatory()` runs before the digests: the `arch_options` console fields
/// (u8, u16, u32, u8, u8), `backup_src_start`/`backup_src_size` (unsigned long), `backup_start` only for
/// `kexec -p` (KEXEC_ON_CRASH), then `panic_kernel` (u8). `$l` is the arch's sizeof(unsigned long).
macro_rules! arch_update_purgatory {
    ($l:expr $(, $crash:expr)?) => {
        [
            step("reset_vga", 1, Access::Set),
            step("serial_base", 2, Access::Set),
            step("serial_baud", 4, Access::Set),
            step("console_vga", 1, Access::Set),
            step("console_serial", 1, Access::Set),
            step("backup_src_start", $l, Access::Set),
            step("backup_src_size", $l, Access::Set),
            $(step($crash, $l, Access::Set),)?
            step("panic_kernel", 1, Access::Set),
        ]
    };
}

/// `arch_update_purgatory()` of x86_64 kexec-tools for `kexec -p`.
pub const KEXEC_TOOLS_X86_64_UPDATE_CRASH: [SymbolStep; 9] = arch_update_purgatory!(8, "backup_start");
/// `arch_update_purgatory()` of i386 kexec-tools for `kexec -p`.
pub const KEXEC_TOOLS_I386_UPDATE_CRASH: [SymbolStep; 9] = arch_update_purgatory!(4, "backup_start");
/// `arch_update_purgatory()` of i386 kexec-tools for `kexec -l` (no `backup_start`).
pub const KEXEC_TOOLS_I386_UPDATE: [SymbolStep; 8] = arch_update_purgatory!(4);

/// kexec-tools kexec/kexec.c `update_purgatory()`: 16 × {u64 start, u64 len} and a SHA-256.
pub const KEXEC_TOOLS_DIGESTS: [SymbolStep; 2] =
    [step("sha256_regions", 256, Access::Set), step("sha256_digest", 32, Access::Set)];

/// Which symbol-lookup code a loader runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// kernel/kexec_file.c `kexec_purgatory_find_symbol()` + `kexec_purgatory_get_set_symbol()`:
    /// failures return -EINVAL, printing only for a size mismatch or a NOBITS section.
    Kernel,
    /// kexec-tools kexec/kexec-elf-rel.c `elf_rel_find_symbol()` + `elf_rel_{get,set}_symbol()` /
    /// `elf_rel_get_addr()`: every failure `die()`s with a message.
    KexecTools,
}

/// Why a symbol step failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepFailure {
    pub step: SymbolStep,
    /// What the loader prints (nothing: the kernel's silent -EINVAL).
    pub message: Option<LoaderMessage>,
    /// kreloc's account of the silent cases.
    pub why: SilentReason,
}

/// What the lookup found wrong, whether or not the loader says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SilentReason {
    /// No STB_GLOBAL symbol of that name (a local or weak one does not count).
    Missing,
    /// The first global of that name is undefined, SHN_ABS, SHN_COMMON or otherwise past e_shnum.
    BadSection,
    SizeMismatch,
    InBss,
}

impl SilentReason {
    /// What is wrong with the symbol, after its name: `is in a bss section`.
    pub fn describe(self) -> &'static str {
        match self {
            SilentReason::Missing => "is not a global symbol of the purgatory",
            SilentReason::BadSection => "is undefined, absolute or common (kexec_purgatory_find_symbol refuses it)",
            SilentReason::SizeMismatch => "has the wrong size",
            SilentReason::InBss => "is in a bss section",
        }
    }
}

/// The first global of each name in section order, as both lookups scan: each name is looked up once per
/// load, however many steps (and stages) ask for it.
pub struct Globals<'o> {
    obj: &'o Object,
    found: [(&'static str, Option<&'o Symbol>); 16],
    len: usize,
}

impl<'o> Globals<'o> {
    pub fn new(obj: &'o Object) -> Self {
        Globals { obj, found: [("", None); 16], len: 0 }
    }

    /// The first STB_GLOBAL symbol named `name`.
    pub fn get(&mut self, name: &'static str) -> Option<&'o Symbol> {
        if let Some((_, s)) = self.found[..self.len].iter().find(|(n, _)| *n == name) {
            return *s;
        }
        let sym = self.obj.global_symbol(name);
        if self.len < self.found.len() {
            self.found[self.len] = (name, sym);
            self.len += 1;
        }
        sym
    }
}

/// Runs the steps in order; the first failure stops the loader (`Err`). A failing step whose loader goes on
/// (riscv's `riscv_kernel_entry`) is the caller's business: it gets the failure all the same.
pub fn run(obj: &Object, loader: Loader, lookup: Lookup, steps: &[SymbolStep]) -> Result<(), StepFailure> {
    run_with(&mut Globals::new(obj), loader, lookup, steps)
}

/// `run` with lookups shared between stages.
pub fn run_with(
    globals: &mut Globals<'_>,
    loader: Loader,
    lookup: Lookup,
    steps: &[SymbolStep],
) -> Result<(), StepFailure> {
    steps.iter().try_for_each(|s| run_step(globals, loader, lookup, *s))
}

fn run_step(globals: &mut Globals<'_>, loader: Loader, lookup: Lookup, step: SymbolStep) -> Result<(), StepFailure> {
    let obj = globals.obj;
    let shnum = obj.sections.len() as u32;
    let fail = |message: Option<LoaderMessage>, why| Err(StepFailure { step, message, why });
    let name = || step.name.to_string();
    let sym = match globals.get(step.name) {
        None => {
            // Kernel: silent, except bzImage64's pr_err for stack_end. kexec-tools: die.
            let message = match (lookup, step.access) {
                (Lookup::Kernel, Access::Address) => {
                    Some(LoaderMessage::SymbolNotFound { loader, name: name(), access: step.access })
                }
                (Lookup::Kernel, _) => None,
                (Lookup::KexecTools, access) => Some(LoaderMessage::SymbolNotFound { loader, name: name(), access }),
            };
            return fail(message, SilentReason::Missing);
        }
        Some(s) => s,
    };
    match lookup {
        // kexec_purgatory_find_symbol: st_shndx == SHN_UNDEF || >= e_shnum → NULL (pr_debug only).
        Lookup::Kernel if sym.shndx == SHN_UNDEF || sym.shndx >= shnum => {
            let message = (step.access == Access::Address).then(|| LoaderMessage::SymbolNotFound {
                loader,
                name: name(),
                access: step.access,
            });
            return fail(message, SilentReason::BadSection);
        }
        // elf_rel_find_symbol: st_shndx == STN_UNDEF || > e_shnum → die.
        Lookup::KexecTools if sym.shndx == SHN_UNDEF || sym.shndx > shnum => {
            return fail(
                Some(LoaderMessage::SymbolBadIndex { name: name(), shndx: sym.shndx }),
                SilentReason::BadSection,
            );
        }
        _ => {}
    }
    if step.access == Access::Address {
        return Ok(());
    }
    if sym.size != step.size {
        return fail(
            Some(LoaderMessage::SymbolSizeMismatch { loader, name: name(), st_size: sym.size, wanted: step.size }),
            SilentReason::SizeMismatch,
        );
    }
    if obj.sections.get(sym.shndx as usize).is_some_and(|s| s.is_nobits()) {
        return fail(
            Some(LoaderMessage::SymbolInBss { loader, name: name(), access: step.access }),
            SilentReason::InBss,
        );
    }
    Ok(())
}
