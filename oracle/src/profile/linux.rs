//! Linux `kexec_file_load` on x86_64: kernel/kexec_file.c and arch/x86/kernel/machine_kexec_64.c.

use crate::arch::{x86_64::R_X86_64_PLT32, Arch, Howto};
use crate::elf::{consts::EM_X86_64, Class, Object};
use crate::entry::EntryRule;
use crate::layout::LayoutRule;

use crate::message::{HeaderProblem, Loader, LoaderMessage};
use crate::symbols::{SymbolStep, BZIMAGE64, KERNEL_DIGESTS};

use super::{header_result, top_down, x86_header_checks, KernelVersion, Profile, ProfileId, Rule};

/// A span of kernel releases with one set of purgatory-loading semantics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinuxEra {
    /// ≤ 4.15: header checks, legacy layout, first exec match wins silently, no PLT32.
    Legacy,
    /// 4.16: as Legacy, plus R_X86_64_PLT32 ("x86: Treat R_X86_64_PLT32 as R_X86_64_PC32").
    LegacyPlt32,
    /// 4.17–6.3: no header checks, offset layout, every exec match recomputes the entry.
    Recompute,
    /// 6.4–6.19 (8652d44f466a, 2023): first exec match wins, a later match fires WARN_ON.
    WarnOnSecondMatch,
    /// 7.0+ (480e1d5c64bb, 2026): the `purgatory_start` symbol, falling back to the WARN scan.
    PurgatoryStartSymbol,
}

impl LinuxEra {
    pub const ALL: [LinuxEra; 5] = [
        LinuxEra::Legacy,
        LinuxEra::LegacyPlt32,
        LinuxEra::Recompute,
        LinuxEra::WarnOnSecondMatch,
        LinuxEra::PurgatoryStartSymbol,
    ];

    /// The era of kernel release `major.minor`.
    pub fn of(major: u32, minor: u32) -> LinuxEra {
        match (major, minor) {
            (0..=3, _) | (4, 0..=15) => LinuxEra::Legacy,
            (4, 16) => LinuxEra::LegacyPlt32,
            (4, _) | (5, _) | (6, 0..=3) => LinuxEra::Recompute,
            (6, _) => LinuxEra::WarnOnSecondMatch,
            _ => LinuxEra::PurgatoryStartSymbol,
        }
    }

    /// A representative release, the one the catalogue names.
    pub fn representative(self) -> KernelVersion {
        let (major, minor) = match self {
            LinuxEra::Legacy => (4, 15),
            LinuxEra::LegacyPlt32 => (4, 16),
            LinuxEra::Recompute => (5, 4),
            LinuxEra::WarnOnSecondMatch => (6, 6),
            LinuxEra::PurgatoryStartSymbol => (7, 0),
        };
        KernelVersion::series(major, minor)
    }

    fn is_legacy(self) -> bool {
        matches!(self, LinuxEra::Legacy | LinuxEra::LegacyPlt32)
    }
}

/// Linux kexec_file on x86_64 in a given era. The default (`linux-x86_64`) is the 6.x LTS behaviour
/// that seed 001 hit: no input checks, offset layout with `ALIGN(x, 0) == 0`, WARN on a second entry match,
/// types 0/1/2/4/10/11, overflow checks on 32/32S only, PC32/PLT32 truncated silently.
#[derive(Debug, Clone, Copy)]
pub struct LinuxX86_64 {
    pub era: LinuxEra,
    explicit: bool,
}

impl LinuxX86_64 {
    /// The profile for an explicit era (`linux-x86_64@VERSION`).
    pub fn new(era: LinuxEra) -> Self {
        LinuxX86_64 { era, explicit: true }
    }
    /// `linux-x86_64`: the 6.x LTS semantics.
    pub fn current() -> Self {
        LinuxX86_64 { era: LinuxEra::WarnOnSecondMatch, explicit: false }
    }
}

/// End of the typical kdump reservation the linux and kexec-tools x86_64 profiles place into
/// (`crashkernel=256M,high` ending at 5 GiB, as in seed 001's QEMU guest).
pub const TYPICAL_CRASH_END: u64 = 0x1_3fff_ffff;

impl Profile for LinuxX86_64 {
    fn id(&self) -> ProfileId {
        ProfileId::LinuxX86_64(self.explicit.then(|| self.era.representative()))
    }

    fn summary(&self) -> String {
        let era = match self.era {
            LinuxEra::Legacy => {
                "Linux ≤ 4.15: ELF header checks, legacy layout, first exec match wins silently, PLT32 unknown"
            }
            LinuxEra::LegacyPlt32 => "Linux 4.16: legacy layout and header checks, PLT32 treated as PC32",
            LinuxEra::Recompute => {
                "Linux 4.17–6.3: no checks, offset layout, every exec section containing e_entry recomputes the entry"
            }
            LinuxEra::WarnOnSecondMatch => {
                "Linux 6.4–6.x: first exec match sets the entry, a second match WARNs (seed 001)"
            }
            LinuxEra::PurgatoryStartSymbol => "Linux 7.0+: entry from the purgatory_start symbol, else the WARN scan",
        };
        format!("kexec_file_load, x86_64. {era}. Types 0/1/2/4/10/11; 32/32S overflow-checked; PC32/PLT32 silently truncated.")
    }

    fn arch(&self) -> Arch {
        Arch::X86_64
    }

    fn class(&self) -> Class {
        Class::Elf64
    }

    fn loader(&self) -> Loader {
        Loader::LinuxX86_64
    }

    fn validate(&self, obj: &Object) -> Result<(), Vec<LoaderMessage>> {
        // Only the legacy kernels checked the header (silently: -ENOEXEC).
        if !self.era.is_legacy() {
            return Ok(());
        }
        let mut errs = x86_header_checks(obj, Class::Elf64, EM_X86_64);
        if obj.shentsize != 64 {
            errs.push(HeaderProblem::ShentSize { found: obj.shentsize });
        }
        header_result(Loader::LinuxX86_64, errs)
    }

    fn layout_rule(&self) -> LayoutRule {
        if self.era.is_legacy() {
            LayoutRule::KernelLegacy
        } else {
            LayoutRule::KernelOffsets
        }
    }

    fn entry_rule(&self) -> EntryRule {
        match self.era {
            LinuxEra::Legacy | LinuxEra::LegacyPlt32 => EntryRule::FirstMatchSilent,
            LinuxEra::Recompute => EntryRule::RecomputeEveryMatch,
            LinuxEra::WarnOnSecondMatch => EntryRule::FirstMatchWarn,
            LinuxEra::PurgatoryStartSymbol => EntryRule::SymbolThenScan,
        }
    }

    fn rule(&self, r_type: u32, _howto: &Howto) -> Rule {
        match r_type {
            0..=2 => Rule::Apply { checked: false },
            R_X86_64_PLT32 if self.era != LinuxEra::Legacy => Rule::Apply { checked: false },
            10 | 11 => Rule::Apply { checked: true },
            // arch_kexec_apply_relocations_add's default case.
            r_type => Rule::Reject(LoaderMessage::UnknownRelocation { loader: Loader::LinuxX86_64, r_type }),
        }
    }

    // Symbol problems: the trait's default, arch_kexec_apply_relocations_add's checks in every era
    // ("Undefined symbol: %s", -ENOEXEC, then bzImage64_load's "Loading purgatory failed").

    fn failure_trailer(&self) -> Vec<LoaderMessage> {
        // bzImage64_load: pr_err("Loading purgatory failed\n") after kexec_load_purgatory returns -ENOEXEC.
        vec![LoaderMessage::LoadingPurgatoryFailed { loader: Loader::LinuxX86_64, ret: -8 }]
    }

    fn typical_load_address(&self, memsz: u64, align: u64) -> (u64, String) {
        let at = top_down(TYPICAL_CRASH_END, memsz, align);
        (at, format!("top-down in a typical crashkernel=256M,high reservation ending at {TYPICAL_CRASH_END:#x}"))
    }

    fn loader_symbol_steps(&self) -> &'static [SymbolStep] {
        &BZIMAGE64
    }

    fn digest_symbol_steps(&self) -> &'static [SymbolStep] {
        &KERNEL_DIGESTS
    }
}
