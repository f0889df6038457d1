//! Linux `kexec_file_load` on riscv64: the generic kernel/kexec_file.c layout with
//! arch/riscv/kernel/elf_kexec.c (which has no pr_fmt, so its messages carry no prefix).

use crate::arch::{Arch, Formula, Howto};
use crate::elf::Object;

use crate::message::{Finding, Loader, LoaderMessage};
use crate::symbols::{SymbolStep, KERNEL_DIGESTS, RISCV_KERNEL_ENTRY};

use super::{top_down, Profile, ProfileId, Rule, SymbolProblem};

/// Linux kexec_file on riscv64 (6.x): instruction immediates patched with no overflow checks, an undefined
/// symbol silently based at 0, PCREL_LO12_I assumed to follow its PCREL_HI20, purgatory top-down above the kernel.
#[derive(Debug, Clone, Copy)]
pub struct LinuxRiscv64;

/// Top of a typical 2 GiB RAM bank at 0x80000000 (QEMU virt).
const TYPICAL_RAM_END: u64 = 0xffff_ffff;

impl Profile for LinuxRiscv64 {
    fn id(&self) -> ProfileId {
        ProfileId::LinuxRiscv64
    }
    fn summary(&self) -> String {
        "kexec_file_load, riscv64 (6.x): BRANCH/JAL/RVC, PCREL_HI20 and CALL patched with the next instruction, ADD/SUB16/32, 64; nothing checked; undefined symbols get base 0 without an error.".into()
    }
    fn arch(&self) -> Arch {
        Arch::Riscv64
    }
    fn loader(&self) -> Loader {
        Loader::LinuxRiscv64
    }
    fn rule(&self, r_type: u32, howto: &Howto) -> Rule {
        // arch/riscv64.rs lists exactly the kernel's switch cases; everything else is its default.
        match howto.formula {
            Formula::Unsupported => {
                Rule::Reject(LoaderMessage::UnknownRelocation { loader: Loader::LinuxRiscv64, r_type })
            }
            _ => Rule::Apply { checked: false },
        }
    }
    /// arch_kexec_apply_relocations_add (riscv): no SHN_UNDEF check; a COMMON or out-of-range index is
    /// "Invalid section".
    fn symbol_message(&self, problem: SymbolProblem, name: &str) -> Option<LoaderMessage> {
        let (loader, name) = (Loader::LinuxRiscv64, name.to_string());
        match problem {
            // sechdrs[SHN_UNDEF].sh_addr is 0: the kernel relocates against address 0 and goes on.
            SymbolProblem::Undefined { .. } => None,
            SymbolProblem::Common => {
                Some(LoaderMessage::InvalidSection { loader, shndx: crate::elf::consts::SHN_COMMON, name })
            }
            SymbolProblem::BadSection(shndx) => Some(LoaderMessage::InvalidSection { loader, shndx, name }),
        }
    }
    fn failure_trailer(&self) -> Vec<LoaderMessage> {
        vec![LoaderMessage::LoadingPurgatoryFailed { loader: Loader::LinuxRiscv64, ret: -8 }]
    }
    fn typical_load_address(&self, memsz: u64, align: u64) -> (u64, String) {
        (
            top_down(TYPICAL_RAM_END, memsz, align),
            format!("top-down in a typical RAM bank ending at {TYPICAL_RAM_END:#x}"),
        )
    }
    fn loader_symbol_steps(&self) -> &'static [SymbolStep] {
        &RISCV_KERNEL_ENTRY
    }
    /// `if (ret) pr_err("Error update purgatory ret=%d\n", ret);` and the load goes on: the initrd and DTB
    /// kexec_add_buffer calls overwrite `ret`.
    fn loader_symbol_failure_stops(&self) -> bool {
        false
    }
    fn digest_symbol_steps(&self) -> &'static [SymbolStep] {
        &KERNEL_DIGESTS
    }
    fn silent_misapplications(&self, obj: &Object) -> Vec<Finding> {
        detached_lo12(obj)
    }
}

/// The kernel applies each PCREL_LO12_I by patching the instruction right after its auipc, so a LO12_I
/// elsewhere (the compiler scheduled something between) keeps a zero immediate while the instruction after
/// the auipc is corrupted.
fn detached_lo12(obj: &Object) -> Vec<Finding> {
    let mut out = Vec::new();
    for rs in &obj.relocs {
        let Some(symtab) = obj.symtab(rs.symtab) else { continue };
        for r in obj.entries(rs).iter().filter(|r| r.r_type == R_RISCV_PCREL_LO12_I) {
            let Some(label) = symtab.get(r.sym as usize) else { continue };
            let follows = label.shndx == rs.target && label.value.wrapping_add(4) == r.offset;
            if !follows {
                out.push(Finding::DetachedLo12 {
                    section: obj.section_name(rs.target).to_string(),
                    offset: r.offset,
                    auipc_section: obj.section_name(label.shndx).to_string(),
                    auipc: label.value,
                });
            }
        }
    }
    out
}

const R_RISCV_PCREL_LO12_I: u32 = 24;
