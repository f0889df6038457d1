//! The x86_64 psABI read strictly: what a careful loader (or `ld` placing sections at the same addresses) accepts.

use crate::arch::{Arch, Formula, Howto};
use crate::elf::{consts::EM_X86_64, Class, Object};
use crate::entry::EntryRule;
use crate::layout::LayoutRule;

use crate::message::{HeaderProblem, Loader, LoaderMessage};

use super::{header_result, top_down, x86_header_checks, Profile, ProfileId, Rule};

/// Every overflow checked (PC32 included), GOT-type relocations refused because the loader builds no GOT,
/// header and alignment checks the kernel skips. Bytes and verdicts agree with GNU ld and ld.lld.
#[derive(Debug, Clone, Copy)]
pub struct StrictX86_64;

impl Profile for StrictX86_64 {
    fn id(&self) -> ProfileId {
        ProfileId::StrictX86_64
    }
    fn summary(&self) -> String {
        "x86_64 psABI, strictly: every overflow checked (PC32 included), GOT relocations refused, header and alignment validated.".into()
    }
    fn arch(&self) -> Arch {
        Arch::X86_64
    }
    fn class(&self) -> Class {
        Class::Elf64
    }
    fn loader(&self) -> Loader {
        Loader::Strict
    }
    fn validate(&self, obj: &Object) -> Result<(), Vec<LoaderMessage>> {
        let mut errs = x86_header_checks(obj, Class::Elf64, EM_X86_64);
        if obj.shentsize != 64 {
            errs.push(HeaderProblem::ShentSize { found: obj.shentsize });
        }
        for s in obj.sections.iter().filter(|s| s.is_alloc()) {
            if s.addralign > 1 && !s.addralign.is_power_of_two() {
                errs.push(HeaderProblem::AlignNotPowerOfTwo {
                    section: obj.name_of(s).to_string(),
                    align: s.addralign,
                });
            }
        }
        header_result(Loader::Strict, errs)
    }
    fn layout_rule(&self) -> LayoutRule {
        LayoutRule::Strict
    }
    fn entry_rule(&self) -> EntryRule {
        EntryRule::SymbolThenScan
    }
    fn rule(&self, r_type: u32, howto: &Howto) -> Rule {
        match howto.formula {
            Formula::None | Formula::Absolute | Formula::PcRelative => Rule::Apply { checked: true },
            Formula::NeedsGot => Rule::Reject(LoaderMessage::NeedsGot { r_type }),
            Formula::Unsupported => Rule::Reject(LoaderMessage::UnknownRelocation { loader: Loader::Strict, r_type }),
        }
    }
    fn typical_load_address(&self, memsz: u64, align: u64) -> (u64, String) {
        let end = super::linux::TYPICAL_CRASH_END;
        (
            top_down(end, memsz, align),
            format!("top-down in a typical crashkernel=256M,high reservation ending at {end:#x}"),
        )
    }
}
