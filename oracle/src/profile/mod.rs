//! Loader profiles: each one a named, documented type saying how a real loader treats a purgatory.

mod id;
mod kexec_tools;
mod linux;
mod riscv64;
mod s390x;
mod strict;

pub use id::{KernelVersion, ProfileId, UnknownProfile};
pub use kexec_tools::{I386Mode, KexecToolsI386, KexecToolsX86_64};
pub use linux::{LinuxEra, LinuxX86_64};
pub use riscv64::LinuxRiscv64;
pub use s390x::LinuxS390x;
pub use strict::StrictX86_64;

use crate::arch::{Arch, Howto};
use crate::elf::{Class, Object};
use crate::entry::EntryRule;
use crate::layout::LayoutRule;
use crate::message::{Finding, HeaderProblem, Loader, LoaderMessage};
use crate::symbols::{Lookup, SymbolStep};

/// What a profile does with one relocation type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Apply the howto; `checked` says whether an out-of-range value is an error or silently truncated.
    Apply { checked: bool },
    /// Refuse the object with this loader message.
    Reject(LoaderMessage),
}

/// A symbol a relocation cannot use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolProblem {
    /// `notype`: ELF st_type is STT_NOTYPE (kexec-tools relocates those against 0).
    Undefined {
        notype: bool,
    },
    Common,
    BadSection(u32),
}

/// How a loader treats a relocatable purgatory.
pub trait Profile: Send + Sync {
    /// Which profile this is; its name and placement window come from there.
    fn id(&self) -> ProfileId;
    /// The name users type, e.g. `linux-x86_64@6.6`.
    fn name(&self) -> String {
        self.id().to_string()
    }
    /// One paragraph: which loader and era this models.
    fn summary(&self) -> String;
    fn arch(&self) -> Arch;
    /// Whose words the messages are in.
    fn loader(&self) -> Loader;
    // The defaults below are the generic kernel/kexec_file.c of 6.x, which arch profiles share.
    fn class(&self) -> Class {
        Class::Elf64
    }
    /// The input checks the loader makes before layout; `Err` carries its messages.
    fn validate(&self, _obj: &Object) -> Result<(), Vec<LoaderMessage>> {
        Ok(())
    }
    fn layout_rule(&self) -> LayoutRule {
        LayoutRule::KernelOffsets
    }
    fn entry_rule(&self) -> EntryRule {
        EntryRule::FirstMatchWarn
    }
    /// `None` when SHT_REL sections are applied (addend in place), else the rejection message
    /// (kernel/kexec_file.c's weak `arch_kexec_apply_relocations`).
    fn rel_sections(&self) -> Option<LoaderMessage> {
        Some(LoaderMessage::RelUnsupported { loader: self.loader() })
    }
    /// What the loader does with a relocation type.
    fn rule(&self, r_type: u32, howto: &Howto) -> Rule;
    /// The loader's message for an unusable symbol (`None`: the loader uses base 0 and goes on). The default is
    /// the kernel's `arch_kexec_apply_relocations_add` symbol checks (x86_64 and s390 alike).
    fn symbol_message(&self, problem: SymbolProblem, name: &str) -> Option<LoaderMessage> {
        let (loader, name) = (self.loader(), name.to_string());
        Some(match problem {
            SymbolProblem::Undefined { .. } => LoaderMessage::UndefinedSymbol { loader, name },
            SymbolProblem::Common => LoaderMessage::CommonSymbol { loader, name },
            SymbolProblem::BadSection(shndx) => LoaderMessage::InvalidSection { loader, shndx, name },
        })
    }
    /// Lines the loader prints after a failed purgatory load.
    fn failure_trailer(&self) -> Vec<LoaderMessage> {
        Vec::new()
    }
    /// The loader's purgatory window `[buf_min, buf_max]`.
    fn placement_window(&self) -> (u64, u64) {
        self.id().placement_window()
    }
    /// The address the loader picks on a typical machine, with the reason.
    fn typical_load_address(&self, memsz: u64, align: u64) -> (u64, String);
    /// How the loader finds the symbols it gets and sets after relocation.
    fn symbol_lookup(&self) -> Lookup {
        Lookup::Kernel
    }
    /// The image loader's own symbol steps after relocation (bzImage64's `entry64_regs`, ...).
    fn loader_symbol_steps(&self) -> &'static [SymbolStep] {
        &[]
    }
    /// kexec-tools' `arch_update_purgatory()`, which `update_purgatory()` runs after the image loader and
    /// before the digest writes.
    fn arch_symbol_steps(&self) -> &'static [SymbolStep] {
        &[]
    }
    /// A failed loader symbol step ends the load (riscv prints and goes on).
    fn loader_symbol_failure_stops(&self) -> bool {
        true
    }
    /// The digest writes after the image loader returns (kernel `kexec_calculate_store_digests`).
    fn digest_symbol_steps(&self) -> &'static [SymbolStep] {
        &[]
    }
    /// Places where this loader would silently patch the wrong bytes, whatever the load address.
    fn silent_misapplications(&self, _obj: &Object) -> Vec<Finding> {
        Vec::new()
    }
}

/// Every profile name `parse` accepts, with a one-line description.
pub fn catalogue() -> Vec<(String, String)> {
    ProfileId::catalogue().into_iter().map(|id| (id.to_string(), id.profile().summary())).collect()
}

/// Parses a profile name such as `linux-x86_64`, `linux-x86_64@4.15`, `kexec-tools-i386`, `strict-x86_64`.
pub fn parse(name: &str) -> Result<Box<dyn Profile>, UnknownProfile> {
    name.parse::<ProfileId>().map(ProfileId::profile)
}

/// Top-down placement in a typical kdump reservation ending at `region_end` (inclusive).
pub(crate) fn top_down(region_end: u64, memsz: u64, align: u64) -> u64 {
    let start = region_end.wrapping_sub(memsz).wrapping_add(1);
    start & !(align.max(1).wrapping_sub(1))
}

/// The x86_64 ELF header checks shared by kexec-tools, old kernels and the strict profile.
pub(crate) fn x86_header_checks(obj: &Object, class: Class, machine: u16) -> Vec<HeaderProblem> {
    let mut errs = Vec::new();
    if obj.class != class {
        errs.push(HeaderProblem::Class { found: format!("{:?}", obj.class), expected: format!("{class:?}") });
    }
    if obj.e_type != crate::elf::consts::ET_REL {
        errs.push(HeaderProblem::Type { e_type: obj.e_type });
    }
    if obj.machine != machine {
        errs.push(HeaderProblem::Machine { found: obj.machine, expected: machine });
    }
    errs
}

/// Header problems as the loader's messages, `Err` when there are any.
pub(crate) fn header_result(loader: Loader, problems: Vec<HeaderProblem>) -> Result<(), Vec<LoaderMessage>> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.into_iter().map(|problem| LoaderMessage::Header { loader, problem }).collect())
    }
}
