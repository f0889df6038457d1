//! Linux `kexec_file_load` on riscv64: the generic kernel/kexec_file.c layout with
//! arch/riscv/kernel/elf_kexec.c (which has no pr_fmt, so its messages carry no prefix).

use crate::arch::{Arch, Formula, Howto};
use crate::elf::Object;

use super::{top_down, Profile, Rule, SymbolProblem};

/// Linux kexec_file on riscv64 (6.x): instruction immediates patched with no overflow checks, an undefined
/// symbol silently based at 0, PCREL_LO12_I assumed to follow its PCREL_HI20, purgatory top-down above the kernel.
#[derive(Debug, Clone, Copy)]
pub struct LinuxRiscv64;

/// Top of a typical 2 GiB RAM bank at 0x80000000 (QEMU virt).
const TYPICAL_RAM_END: u64 = 0xffff_ffff;

impl Profile for LinuxRiscv64 {
    fn name(&self) -> String {
        "linux-riscv64".into()
    }
    fn summary(&self) -> String {
        "kexec_file_load, riscv64 (6.x): BRANCH/JAL/RVC, PCREL_HI20 and CALL patched with the next instruction, ADD/SUB16/32, 64; nothing checked; undefined symbols get base 0 without an error.".into()
    }
    fn arch(&self) -> Arch {
        Arch::Riscv64
    }
    fn rule(&self, r_type: u32, howto: &Howto) -> Rule {
        // arch/riscv64.rs lists exactly the kernel's switch cases; everything else is its default.
        match howto.formula {
            Formula::Unsupported => Rule::Reject(format!("Unknown rela relocation: {r_type}")),
            _ => Rule::Apply { checked: false },
        }
    }
    fn overflow_message(&self, r_type: u32, _howto: &Howto, value: u64) -> String {
        format!("(the riscv loader never checks) type {r_type} value {value:#x}")
    }
    fn symbol_message(&self, problem: SymbolProblem, name: &str) -> Option<String> {
        match problem {
            // sechdrs[SHN_UNDEF].sh_addr is 0: the kernel relocates against address 0 and goes on.
            SymbolProblem::Undefined => None,
            SymbolProblem::Common => Some(format!("Invalid section {} for symbol {name}", crate::elf::consts::SHN_COMMON)),
            SymbolProblem::BadSection(i) => Some(format!("Invalid section {i} for symbol {name}")),
        }
    }
    fn failure_trailer(&self) -> Vec<String> {
        vec!["Error loading purgatory ret=-8".into()]
    }
    fn placement_window(&self) -> (u64, u64) {
        (0x8000_0000, u64::MAX)
    }
    fn typical_load_address(&self, memsz: u64, align: u64) -> (u64, String) {
        (top_down(TYPICAL_RAM_END, memsz, align), format!("top-down in a typical RAM bank ending at {TYPICAL_RAM_END:#x}"))
    }
    fn checks_kexec_symbols(&self) -> bool {
        true
    }
    fn silent_misapplications(&self, obj: &Object) -> Vec<String> {
        detached_lo12(obj)
    }
}

/// The kernel applies each PCREL_LO12_I by patching the instruction right after its auipc, so a LO12_I
/// elsewhere (the compiler scheduled something between) keeps a zero immediate while the instruction after
/// the auipc is corrupted.
fn detached_lo12(obj: &Object) -> Vec<String> {
    let mut out = Vec::new();
    for rs in &obj.relocs {
        let Some(symtab) = obj.symtab(rs.symtab) else { continue };
        for r in rs.entries.iter().filter(|r| r.r_type == R_RISCV_PCREL_LO12_I) {
            let Some(label) = symtab.get(r.sym as usize) else { continue };
            let follows = label.shndx == rs.target && label.value.wrapping_add(4) == r.offset;
            if !follows {
                let (at, auipc) = (obj.section_name(label.shndx), label.value);
                out.push(format!(
                    "R_RISCV_PCREL_LO12_I in {}+{:#x} is not the instruction after its auipc ({at}+{auipc:#x}): the kernel patches {at}+{:#x} instead",
                    obj.section_name(rs.target),
                    r.offset,
                    auipc.wrapping_add(4)
                ));
            }
        }
    }
    out
}

const R_RISCV_PCREL_LO12_I: u32 = 24;
