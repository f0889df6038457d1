//! kexec-tools (user space `kexec -l/-p` without `-s`): kexec/kexec-elf-rel.c and kexec/arch/{x86_64,i386}.

use crate::arch::{x86_64::R_X86_64_PLT32, Arch, Howto};
use crate::elf::{
    consts::{EM_386, EM_X86_64},
    Class, Object,
};
use crate::entry::EntryRule;
use crate::layout::LayoutRule;

use crate::message::{HeaderProblem, Loader, LoaderMessage};
use crate::symbols::{
    Lookup, SymbolStep, KEXEC_TOOLS_BZIMAGE, KEXEC_TOOLS_BZIMAGE64, KEXEC_TOOLS_BZIMAGE_REAL_MODE, KEXEC_TOOLS_DIGESTS,
    KEXEC_TOOLS_I386_UPDATE, KEXEC_TOOLS_I386_UPDATE_CRASH, KEXEC_TOOLS_X86_64_UPDATE_CRASH,
};

use super::{header_result, top_down, x86_header_checks, Profile, ProfileId, Rule, SymbolProblem};

/// kexec-tools' parse checks: header fields plus every non-NOBITS section inside the file (done by our parser).
fn validate(
    obj: &Object,
    loader: Loader,
    class: Class,
    machine: u16,
    shentsize: u16,
) -> Result<(), Vec<LoaderMessage>> {
    let mut errs = x86_header_checks(obj, class, machine);
    if obj.shentsize != shentsize {
        errs.push(HeaderProblem::ShentSize { found: obj.shentsize });
    }
    for s in &obj.sections {
        if s.addr.checked_add(s.size).is_none() {
            errs.push(HeaderProblem::AddressWraps { section: s.index });
        }
    }
    header_result(loader, errs)
}

/// kexec/kexec-elf-rel.c `elf_rel_load()`'s symbol loop: an undefined symbol dies only when its type is not
/// STT_NOTYPE ("TOC symbols appear as undefined"); an STT_NOTYPE one relocates against section 0's address (0).
/// COMMON dies, SHN_ABS is base 0, an index past e_shnum dies.
fn symbol_message(loader: Loader, problem: SymbolProblem, name: &str) -> Option<LoaderMessage> {
    let name = name.to_string();
    match problem {
        SymbolProblem::Undefined { notype: true } => None,
        SymbolProblem::Undefined { notype: false } => Some(LoaderMessage::UndefinedSymbol { loader, name }),
        SymbolProblem::Common => Some(LoaderMessage::CommonSymbol { loader, name }),
        SymbolProblem::BadSection(shndx) => Some(LoaderMessage::InvalidSection { loader, shndx, name }),
    }
}

/// kexec-tools on x86_64 with the bzImage64 loader (`kexec -p`): purgatory window 0x3000..ULONG_MAX, top-down; types
/// NONE/64/32/32S/PC32/PLT32 with the kernel's arithmetic; REL applied with addend 0; errors `die()`.
#[derive(Debug, Clone, Copy)]
pub struct KexecToolsX86_64;

impl Profile for KexecToolsX86_64 {
    fn id(&self) -> ProfileId {
        ProfileId::KexecToolsX86_64
    }
    fn summary(&self) -> String {
        "kexec-tools (kexec_load), x86_64 bzImage64 loader (kexec -p): window 0x3000..ULONG_MAX top-down; strict ELF parse; REL and RELA; 32/32S checked, PC32/PLT32 not.".into()
    }
    fn arch(&self) -> Arch {
        Arch::X86_64
    }
    fn class(&self) -> Class {
        Class::Elf64
    }
    fn loader(&self) -> Loader {
        Loader::KexecToolsX86_64
    }
    fn validate(&self, obj: &Object) -> Result<(), Vec<LoaderMessage>> {
        validate(obj, self.loader(), Class::Elf64, EM_X86_64, 64)
    }
    fn layout_rule(&self) -> LayoutRule {
        LayoutRule::KexecTools
    }
    fn entry_rule(&self) -> EntryRule {
        EntryRule::FirstMatchSilent
    }
    fn rel_sections(&self) -> Option<LoaderMessage> {
        None
    }
    /// kexec/arch/x86_64/kexec-elf-rel-x86_64.c `machine_apply_elf_rel()`; the message names the type from
    /// `reloc_name()`'s old table (see `message::kexec_tools_x86_64_name`).
    fn rule(&self, r_type: u32, _howto: &Howto) -> Rule {
        match r_type {
            0 | 1 | 2 | R_X86_64_PLT32 => Rule::Apply { checked: false },
            10 | 11 => Rule::Apply { checked: true },
            r_type => Rule::Reject(LoaderMessage::UnknownRelocation { loader: Loader::KexecToolsX86_64, r_type }),
        }
    }
    fn symbol_message(&self, problem: SymbolProblem, name: &str) -> Option<LoaderMessage> {
        symbol_message(self.loader(), problem, name)
    }
    fn symbol_lookup(&self) -> Lookup {
        Lookup::KexecTools
    }
    fn loader_symbol_steps(&self) -> &'static [SymbolStep] {
        &KEXEC_TOOLS_BZIMAGE64
    }
    fn arch_symbol_steps(&self) -> &'static [SymbolStep] {
        &KEXEC_TOOLS_X86_64_UPDATE_CRASH
    }
    fn digest_symbol_steps(&self) -> &'static [SymbolStep] {
        &KEXEC_TOOLS_DIGESTS
    }
    fn typical_load_address(&self, memsz: u64, align: u64) -> (u64, String) {
        let end = super::linux::TYPICAL_CRASH_END;
        (
            top_down(end, memsz, align),
            format!("top-down in a typical crashkernel=256M,high reservation ending at {end:#x}"),
        )
    }
}

/// kexec-tools on i386 with the bzImage loader: an ELF32 purgatory, `R_386_32`/`R_386_PC32` as `*loc += value`
/// with no overflow checks, window 0x3000..0x7fffffff for a relocatable kernel in protected mode or
/// 0x3000..0xA0000 otherwise (seed 003); `mode` picks the `do_bzImage_load()` path and so the symbol steps.
#[derive(Debug, Clone, Copy)]
pub struct KexecToolsI386 {
    pub mode: I386Mode,
}

/// Which `do_bzImage_load()` path (kexec/arch/i386/kexec-bzImage.c) a load takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum I386Mode {
    /// `kexec -p` of a relocatable bzImage (crash kernels must be relocatable and enter in protected mode).
    Crash,
    /// `kexec -l` of a non-relocatable bzImage, protected-mode entry.
    NonRelocatable,
    /// `kexec -l --real-mode`: the kernel is entered through the purgatory's `entry16`.
    RealMode,
}

impl KexecToolsI386 {
    /// `kexec -p` with a relocatable kernel (window capped at 0x7fffffff).
    pub fn relocatable() -> Self {
        KexecToolsI386 { mode: I386Mode::Crash }
    }
    /// `kexec -l` with a non-relocatable kernel (window capped at 640 KiB).
    pub fn non_relocatable() -> Self {
        KexecToolsI386 { mode: I386Mode::NonRelocatable }
    }
    /// `kexec -l --real-mode` (window capped at 640 KiB).
    pub fn real_mode() -> Self {
        KexecToolsI386 { mode: I386Mode::RealMode }
    }
}

impl Profile for KexecToolsI386 {
    fn id(&self) -> ProfileId {
        ProfileId::KexecToolsI386(self.mode)
    }
    fn summary(&self) -> String {
        let max = self.placement_window().1;
        let how = match self.mode {
            I386Mode::Crash => "kexec -p, relocatable kernel",
            I386Mode::NonRelocatable => "kexec -l, non-relocatable kernel",
            I386Mode::RealMode => "kexec -l --real-mode",
        };
        format!("kexec-tools (kexec_load), i386 bzImage loader ({how}): ELF32 purgatory, window 0x3000..{max:#x}; R_386_32/PC32 add in place, never checked.")
    }
    fn arch(&self) -> Arch {
        Arch::I386
    }
    fn class(&self) -> Class {
        Class::Elf32
    }
    fn loader(&self) -> Loader {
        Loader::KexecToolsI386
    }
    fn validate(&self, obj: &Object) -> Result<(), Vec<LoaderMessage>> {
        validate(obj, self.loader(), Class::Elf32, EM_386, 40)
    }
    fn layout_rule(&self) -> LayoutRule {
        LayoutRule::KexecTools
    }
    fn entry_rule(&self) -> EntryRule {
        EntryRule::FirstMatchSilent
    }
    fn rel_sections(&self) -> Option<LoaderMessage> {
        None
    }
    /// kexec/arch/i386/kexec-elf-rel-x86.c `machine_apply_elf_rel()`: R_386_NONE is not a case either.
    fn rule(&self, r_type: u32, _howto: &Howto) -> Rule {
        match r_type {
            1 | 2 => Rule::Apply { checked: false },
            r_type => Rule::Reject(LoaderMessage::UnknownRelocation { loader: Loader::KexecToolsI386, r_type }),
        }
    }
    fn symbol_message(&self, problem: SymbolProblem, name: &str) -> Option<LoaderMessage> {
        symbol_message(self.loader(), problem, name)
    }
    fn symbol_lookup(&self) -> Lookup {
        Lookup::KexecTools
    }
    fn loader_symbol_steps(&self) -> &'static [SymbolStep] {
        match self.mode {
            I386Mode::RealMode => &KEXEC_TOOLS_BZIMAGE_REAL_MODE,
            _ => &KEXEC_TOOLS_BZIMAGE,
        }
    }
    /// A native i386 kernel: `arch_compat_trampoline()` (an x86_64 kernel under i386 kexec-tools) sets nothing.
    fn arch_symbol_steps(&self) -> &'static [SymbolStep] {
        match self.mode {
            I386Mode::Crash => &KEXEC_TOOLS_I386_UPDATE_CRASH,
            _ => &KEXEC_TOOLS_I386_UPDATE,
        }
    }
    fn digest_symbol_steps(&self) -> &'static [SymbolStep] {
        &KEXEC_TOOLS_DIGESTS
    }
    fn typical_load_address(&self, memsz: u64, align: u64) -> (u64, String) {
        let end = self.placement_window().1;
        (top_down(end, memsz, align), format!("top-down under the loader's cap {end:#x}"))
    }
}
