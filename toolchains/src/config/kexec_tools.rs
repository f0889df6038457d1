//! kexec-tools' own x86_64 purgatory flags, era by era, each with the kexec-tools commit that set them (read
//! from purgatory/Makefile and purgatory/arch/x86_64/Makefile). Only CFLAGS are modelled: the per-file
//! `-O2` of sha256.o (0a7fba8b145, 2016) and the CPPFLAGS/LDFLAGS copies of the arch flags are not.
//!
//! `-fno-zero-initialized-in-bss` is configure's PURGATORY_EXTRA_CFLAGS (edd13ae1c496, 2008) where the
//! compiler takes it, and literal from 2015 on. Before 2015 the Makefile said nothing about PIC, so the compiler's default decided: the 2012 set spells
//! what today's PIE-default gcc and clang (Debian, Ubuntu, Fedora) imply, `-fpie`.

use super::{kernel as era, KernelCommit, NamedConfig, Upstream};

/// The flags every era since 2015 shares (4a837c9a19f9's), between what comes before and after them.
macro_rules! since_2015 {
    ($($before:literal),* ; $($after:literal),*) => {
        &[$($before,)* "-mcmodel=large", "-Os", "-fno-builtin", "-ffreestanding", "-fno-zero-initialized-in-bss", "-fno-PIC", "-fno-PIE", "-fno-stack-protector", $($after),*]
    };
}

const fn kexec_tools(id: &'static str, title: &'static str) -> KernelCommit {
    KernelCommit { id, title, verified: true, upstream: Upstream::KexecTools }
}

const ANYWHERE_2012: KernelCommit =
    kexec_tools("b4f9f8599679", "kexec x86_64: Make purgatory relocatable anywhere in the 64bit address space.");
const NO_PIC_2015: KernelCommit = kexec_tools("4a837c9a19f9", "purgatory: force PIC/PIE/SSP off");
const STANDALONE_2019: KernelCommit = kexec_tools("c493af72ac79", "purgatory: Use standalond CFLAGS");
const NO_VECTORIZE_2022: KernelCommit =
    kexec_tools("1b03cf7adc3c", "purgatory: do not enable vectorization automatically for purgatory compiling");
const BASELINE_2025: KernelCommit = kexec_tools("14f48ea80e51", "x86_64: Use the x86-64 level for purgatory");

pub(super) const KEXEC_TOOLS_2012: NamedConfig = era(
    "kexec-tools-2012",
    2012,
    ANYWHERE_2012,
    "kexec-tools 2.0.4-2.0.9: -mcmodel=large -Os after the configure CFLAGS, PIC left to the compiler (here a PIE-default one: GOT relocations kexec refuses)",
    &["-fno-strict-aliasing", "-fno-zero-initialized-in-bss", "-mcmodel=large", "-fpie", "-Os", "-fno-builtin", "-ffreestanding"],
);

pub(super) const KEXEC_TOOLS_2015: NamedConfig = era(
    "kexec-tools-2015",
    2015,
    NO_PIC_2015,
    "kexec-tools 2.0.10-2.0.18: -fno-zero-initialized-in-bss (e42fc55e10fb) and -fno-PIC -fno-PIE -fno-stack-protector",
    since_2015!("-fno-strict-aliasing";),
);

pub(super) const KEXEC_TOOLS_2019: NamedConfig = era(
    "kexec-tools-2019",
    2019,
    STANDALONE_2019,
    "kexec-tools 2.0.19-2.0.23: the 2015 flags without the configure (and the user's) CFLAGS",
    since_2015!(;),
);

pub(super) const KEXEC_TOOLS_2022: NamedConfig = era(
    "kexec-tools-2022",
    2022,
    NO_VECTORIZE_2022,
    "kexec-tools 2.0.24-2.0.31: + -fno-tree-vectorize (gcc 12 vectorizes at -O2; SSE with CR4.OSFXSR clear hangs kdump)",
    since_2015!(; "-fno-tree-vectorize"),
);

pub(super) const KEXEC_TOOLS_2025: NamedConfig = era(
    "kexec-tools-2025",
    2025,
    BASELINE_2025,
    "kexec-tools 2.0.32 on: + -march=x86-64 -mno-mmx -mno-sse -mno-sse2 -mno-avx",
    since_2015!(; "-fno-tree-vectorize", "-march=x86-64", "-mno-mmx", "-mno-sse", "-mno-sse2", "-mno-avx"),
);

/// What a distribution compiler configured `--with-arch_64=x86-64-v3` (RHEL 10, CentOS Stream 10) implies
/// before any flag of the Makefile: `-march=x86-64-v3` first, so the Makefile's own `-march` wins.
pub(super) const KEXEC_TOOLS_2022_V3: NamedConfig = era(
    "kexec-tools-2022-v3",
    2025,
    BASELINE_2025,
    "kexec-tools-2022 under a compiler whose default is -march=x86-64-v3 (AVX2): what 14f48ea80e51 fixed",
    since_2015!("-march=x86-64-v3"; "-fno-tree-vectorize"),
);

pub(super) const KEXEC_TOOLS_2025_V3: NamedConfig = era(
    "kexec-tools-2025-v3",
    2025,
    BASELINE_2025,
    "kexec-tools-2025 under a compiler whose default is -march=x86-64-v3: its -march=x86-64 -mno-avx take it back",
    since_2015!("-march=x86-64-v3"; "-fno-tree-vectorize", "-march=x86-64", "-mno-mmx", "-mno-sse", "-mno-sse2", "-mno-avx"),
);
