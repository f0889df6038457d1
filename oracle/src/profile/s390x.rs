//! Linux `kexec_file_load` on s390x: the generic kernel/kexec_file.c layout with
//! arch/s390/kernel/machine_kexec_file.c and machine_kexec_reloc.c.

use crate::arch::{Arch, Howto};

use crate::message::{Loader, LoaderMessage};
use crate::symbols::{SymbolStep, KERNEL_DIGESTS, S390_UPDATE_PURGATORY};

use super::{Profile, ProfileId, Rule};

/// Linux kexec_file on s390x (6.x): big-endian fields, no overflow checks at all, PLT32DBL applied as
/// PC32DBL, the purgatory placed right after the kernel and initrd (no hole search).
#[derive(Debug, Clone, Copy)]
pub struct LinuxS390x;

/// Where the s390 loader typically puts the purgatory: after a 16 MiB kernel and a 64 MiB initrd.
const TYPICAL_END_OF_KERNEL_AND_INITRD: u64 = 0x500_0000;

impl Profile for LinuxS390x {
    fn id(&self) -> ProfileId {
        ProfileId::LinuxS390x
    }
    fn summary(&self) -> String {
        "kexec_file_load, s390x (6.x): big-endian; 8/12/16/20/32/64, PC16/PC32/PC64, PC16DBL/PC32DBL (and PLT32DBL as PC32DBL), RELATIVE; nothing overflow-checked.".into()
    }
    fn arch(&self) -> Arch {
        Arch::S390x
    }
    fn loader(&self) -> Loader {
        Loader::LinuxS390x
    }
    // Symbol problems: the trait's default, which is s390's arch_kexec_apply_relocations_add too.
    fn rule(&self, r_type: u32, _howto: &Howto) -> Rule {
        match r_type {
            0..=5 | 12 | 16 | 17 | 19 | 20 | 22 | 23 | 57 => Rule::Apply { checked: false },
            r_type => Rule::Reject(LoaderMessage::UnknownRelocation { loader: Loader::LinuxS390x, r_type }),
        }
    }
    fn typical_load_address(&self, _memsz: u64, _align: u64) -> (u64, String) {
        (
            TYPICAL_END_OF_KERNEL_AND_INITRD,
            "right after a 16 MiB kernel and a 64 MiB initrd (s390 presets the address; no hole search)".into(),
        )
    }
    /// kexec_file_add_purgatory → kexec_file_update_purgatory: silent -EINVAL returns, no trailer.
    fn loader_symbol_steps(&self) -> &'static [SymbolStep] {
        &S390_UPDATE_PURGATORY
    }
    fn digest_symbol_steps(&self) -> &'static [SymbolStep] {
        &KERNEL_DIGESTS
    }
}
