//! Compile configurations: the flag axes the matrix varies, and the named sets users refer to.

use serde::{Deserialize, Serialize};

mod kexec_tools;

/// `-mcmodel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CodeModel {
    Small,
    Kernel,
    Medium,
    Large,
}

/// Position independence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pic {
    None,
    Pie,
    Pic,
}

/// Symbol visibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Default,
    Hidden,
}

/// Which C driver spells the flags: the kernel itself spells some options per compiler (RETPOLINE_CFLAGS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Gcc,
    Clang,
}

/// `-fstack-protector[-strong|-all]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StackProtector {
    Default,
    Strong,
    All,
}

/// `-fcf-protection=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CfProtection {
    None,
    Branch,
    Return,
    Full,
}

/// A code-generation option of the kernel's KBUILD_CFLAGS that arch/x86/purgatory removes: each makes the
/// compiler call or reference something purgatory does not define, or adds sections and entry padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "flag")]
pub enum KernelFlag {
    /// `-pg`: a call to `mcount` in every function (`__fentry__` with `Fentry`).
    Pg,
    /// `-mfentry`: the `-pg` call goes to `__fentry__` before the prologue.
    Fentry,
    /// Calls `__stack_chk_fail`.
    StackProtector { level: StackProtector },
    /// Retpoline through external thunks (`__x86_indirect_thunk_*`): gcc `-mindirect-branch=thunk-extern`,
    /// clang `-mretpoline-external-thunk`.
    RetpolineExternal,
    /// gcc `-mindirect-branch-register` (implied by clang's retpoline).
    IndirectBranchRegister,
    /// `-mfunction-return=thunk-extern`: returns jump to `__x86_return_thunk` (rethunk).
    ReturnThunkExtern,
    /// `-fcf-protection=`: ENDBR64 landing pads (IBT).
    CfProtection { kind: CfProtection },
    /// `-mharden-sls=all`: INT3 after returns and indirect jumps.
    HardenSls,
    /// `-fpatchable-function-entry=TOTAL,BEFORE`: NOP padding and a `__patchable_function_entries` section.
    PatchableEntry { total: u32, before: u32 },
    /// clang `-fsanitize=kcfi`: type hashes before functions, checks at indirect calls.
    Kcfi,
    /// clang `-flto=thin`: the object is LLVM bitcode until a final link.
    ThinLto,
}

impl KernelFlag {
    /// The driver's spelling (empty when the driver needs nothing for it).
    pub fn spelling(&self, d: Dialect) -> Vec<String> {
        let one = |s: &str| vec![s.to_string()];
        match self {
            KernelFlag::Pg => one("-pg"),
            KernelFlag::Fentry => one("-mfentry"),
            KernelFlag::StackProtector { level: StackProtector::Default } => one("-fstack-protector"),
            KernelFlag::StackProtector { level: StackProtector::Strong } => one("-fstack-protector-strong"),
            KernelFlag::StackProtector { level: StackProtector::All } => one("-fstack-protector-all"),
            KernelFlag::RetpolineExternal if d == Dialect::Clang => one("-mretpoline-external-thunk"),
            KernelFlag::RetpolineExternal => one("-mindirect-branch=thunk-extern"),
            KernelFlag::IndirectBranchRegister if d == Dialect::Clang => Vec::new(),
            KernelFlag::IndirectBranchRegister => one("-mindirect-branch-register"),
            KernelFlag::ReturnThunkExtern => one("-mfunction-return=thunk-extern"),
            KernelFlag::CfProtection { kind } => one(match kind {
                CfProtection::None => "-fcf-protection=none",
                CfProtection::Branch => "-fcf-protection=branch",
                CfProtection::Return => "-fcf-protection=return",
                CfProtection::Full => "-fcf-protection=full",
            }),
            KernelFlag::HardenSls => one("-mharden-sls=all"),
            KernelFlag::PatchableEntry { total, before } => {
                vec![format!("-fpatchable-function-entry={total},{before}")]
            }
            KernelFlag::Kcfi => one("-fsanitize=kcfi"),
            KernelFlag::ThinLto => one("-flto=thin"),
        }
    }

    /// The flag that turns this one off again, which a later position in a flag list makes win.
    pub fn negation(&self) -> Option<&'static str> {
        match self {
            KernelFlag::Pg => Some("-no-pg"),
            KernelFlag::Fentry => Some("-mno-fentry"),
            KernelFlag::StackProtector { .. } => Some("-fno-stack-protector"),
            KernelFlag::RetpolineExternal => Some("-mindirect-branch=keep"),
            KernelFlag::ReturnThunkExtern => Some("-mfunction-return=keep"),
            KernelFlag::Kcfi => Some("-fno-sanitize=kcfi"),
            KernelFlag::ThinLto => Some("-fno-lto"),
            _ => None,
        }
    }

    fn same_kind(&self, other: &KernelFlag) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }

    /// Reads one flag (either dialect's spelling).
    pub fn parse(flag: &str) -> Option<KernelFlag> {
        use KernelFlag::*;
        Some(match flag {
            "-pg" => Pg,
            "-mfentry" => Fentry,
            "-fstack-protector" => StackProtector { level: self::StackProtector::Default },
            "-fstack-protector-strong" => StackProtector { level: self::StackProtector::Strong },
            "-fstack-protector-all" => StackProtector { level: self::StackProtector::All },
            "-mindirect-branch=thunk-extern" | "-mretpoline-external-thunk" => RetpolineExternal,
            "-mindirect-branch-register" => IndirectBranchRegister,
            "-mfunction-return=thunk-extern" => ReturnThunkExtern,
            "-fcf-protection=none" => CfProtection { kind: self::CfProtection::None },
            "-fcf-protection=branch" => CfProtection { kind: self::CfProtection::Branch },
            "-fcf-protection=return" => CfProtection { kind: self::CfProtection::Return },
            "-fcf-protection=full" | "-fcf-protection" => CfProtection { kind: self::CfProtection::Full },
            "-mharden-sls=all" => HardenSls,
            "-fsanitize=kcfi" => Kcfi,
            "-flto=thin" => ThinLto,
            f => {
                let spec = f.strip_prefix("-fpatchable-function-entry=")?;
                let (total, before) = spec.split_once(',').unwrap_or((spec, "0"));
                PatchableEntry { total: total.parse().ok()?, before: before.parse().ok()? }
            }
        })
    }
}

/// One point of the flag matrix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CompileConfig {
    pub mcmodel: CodeModel,
    pub pic: Pic,
    /// `-O` level: `0`, `1`, `2`, `3`, `s`, `z`.
    pub opt: String,
    pub visibility: Visibility,
    pub lto: bool,
    /// The kernel's own code-generation options (ftrace, stack protector, retpoline, ...), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kernel: Vec<KernelFlag>,
    /// Further flags, passed as given (C drivers only).
    pub extra: Vec<String>,
}

impl Default for CompileConfig {
    fn default() -> Self {
        CompileConfig {
            mcmodel: CodeModel::Small,
            pic: Pic::None,
            opt: "2".into(),
            visibility: Visibility::Default,
            lto: false,
            kernel: Vec::new(),
            extra: Vec::new(),
        }
    }
}

impl CompileConfig {
    /// The gcc spelling of this configuration (drivers add their own fixed flags).
    pub fn c_flags(&self) -> Vec<String> {
        self.c_flags_for(Dialect::Gcc)
    }

    /// The spelling for a gcc-like or clang-like driver.
    pub fn c_flags_for(&self, dialect: Dialect) -> Vec<String> {
        let mut f = vec![
            format!(
                "-mcmodel={}",
                match self.mcmodel {
                    CodeModel::Small => "small",
                    CodeModel::Kernel => "kernel",
                    CodeModel::Medium => "medium",
                    CodeModel::Large => "large",
                }
            ),
            match self.pic {
                Pic::None => "-fno-pic",
                Pic::Pie => "-fpie",
                Pic::Pic => "-fpic",
            }
            .to_string(),
            format!("-O{}", self.opt),
        ];
        if self.visibility == Visibility::Hidden {
            f.push("-fvisibility=hidden".into());
        }
        if self.lto {
            f.push("-flto".into());
        }
        f.extend(self.kernel.iter().flat_map(|k| k.spelling(dialect)));
        f.extend(self.extra.iter().cloned());
        f
    }

    /// The driver's LTO flag, if the object comes out as bitcode for a link to finish (`-flto`, or the
    /// kernel's ThinLTO).
    pub fn lto_flag(&self) -> Option<&'static str> {
        if self.lto {
            Some("-flto")
        } else if self.kernel.contains(&KernelFlag::ThinLto) {
            Some("-flto=thin")
        } else {
            None
        }
    }

    /// Reads a flag list back into a configuration; flags outside the axes go to `extra`, in order.
    pub fn from_flags<S: AsRef<str>>(flags: &[S]) -> CompileConfig {
        let mut c = CompileConfig::default();
        for flag in flags.iter().map(AsRef::as_ref) {
            match flag {
                "-mcmodel=small" => c.mcmodel = CodeModel::Small,
                "-mcmodel=kernel" => c.mcmodel = CodeModel::Kernel,
                "-mcmodel=medium" => c.mcmodel = CodeModel::Medium,
                "-mcmodel=large" => c.mcmodel = CodeModel::Large,
                "-fno-pic" | "-fno-pie" | "-fno-PIC" | "-fno-PIE" => c.pic = Pic::None,
                "-fpie" | "-fPIE" => c.pic = Pic::Pie,
                "-fpic" | "-fPIC" => c.pic = Pic::Pic,
                "-fvisibility=hidden" => c.visibility = Visibility::Hidden,
                "-fvisibility=default" => c.visibility = Visibility::Default,
                "-flto" => c.lto = true,
                f if f.starts_with("-O") && f.len() <= 3 => c.opt = f[2..].to_string(),
                // The later of a flag and its negation wins, as with the compiler.
                f => match KernelFlag::parse(f) {
                    Some(k) => {
                        c.kernel.retain(|x| !x.same_kind(&k));
                        c.extra.retain(|e| Some(e.as_str()) != k.negation());
                        c.kernel.push(k);
                    }
                    None => {
                        c.kernel.retain(|x| x.negation() != Some(f));
                        c.extra.push(f.to_string());
                    }
                },
            }
        }
        c
    }
}

/// The project whose history a flag set comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Upstream {
    /// arch/x86/purgatory of Linux.
    Linux,
    /// purgatory/ of kexec-tools.
    KexecTools,
}

/// The commit a flag set comes from (a Linux commit unless `upstream` says otherwise). `verified` is false
/// where the id or the exact flags were reconstructed rather than read from the commit itself.
#[derive(Debug, Clone, Serialize)]
pub struct KernelCommit {
    pub id: &'static str,
    pub title: &'static str,
    pub verified: bool,
    pub upstream: Upstream,
}

/// A named configuration.
#[derive(Debug, Clone, Serialize)]
pub struct NamedConfig {
    pub name: &'static str,
    pub about: &'static str,
    pub flags: &'static [&'static str],
    /// For the kernel's own flag sets: the year, and the commit that introduced or fixed them.
    pub year: Option<u16>,
    pub commit: Option<KernelCommit>,
}

impl NamedConfig {
    pub fn config(&self) -> CompileConfig {
        CompileConfig::from_flags(self.flags)
    }

    /// `2019 b059f801a937 "x86/purgatory: ..."` (`?` after an unverified id; `kexec-tools` before a
    /// kexec-tools commit), or empty.
    pub fn provenance(&self) -> String {
        let year = self.year.map(|y| y.to_string()).unwrap_or_default();
        match &self.commit {
            Some(c) => format!(
                "{year} {}{}{} \"{}\"",
                if c.upstream == Upstream::KexecTools { "kexec-tools " } else { "" },
                c.id,
                if c.verified { "" } else { "?" },
                c.title
            ),
            None => year,
        }
    }
}

const fn plain(name: &'static str, about: &'static str, flags: &'static [&'static str]) -> NamedConfig {
    NamedConfig { name, about, flags, year: None, commit: None }
}

const fn kernel(
    name: &'static str,
    year: u16,
    commit: KernelCommit,
    about: &'static str,
    flags: &'static [&'static str],
) -> NamedConfig {
    NamedConfig { name, about, flags, year: Some(year), commit: Some(commit) }
}

const fn commit(id: &'static str, title: &'static str, verified: bool) -> KernelCommit {
    KernelCommit { id, title, verified, upstream: Upstream::Linux }
}

const CORE_2014: KernelCommit = commit("8fc5b4d4121c", "purgatory: core purgatory functionality", true);
const CFLAGS_REMOVE_2019: KernelCommit =
    commit("b059f801a937", "x86/purgatory: Use CFLAGS_REMOVE rather than reset KBUILD_CFLAGS", true);
const LARGE_2019: KernelCommit = commit(
    "e16c2983fba0",
    "x86/purgatory: Change compiler flags from -mcmodel=kernel to -mcmodel=large to fix kexec relocation errors",
    true,
);
const PIC_2024: KernelCommit =
    commit("cba786af84a0", "x86/purgatory: Switch to the position-independent small code model", true);

/// The flags gcc-12 compiles a kernel C file with in Linux 6.1 (Debian's linux-source-6.1, 6.1.192), derived
/// from the tree rather than written by hand: `make O=… CC=gcc-12 defconfig`, then `scripts/config --enable`
/// KEXEC_FILE RETPOLINE CPU_UNRET_ENTRY RETHUNK X86_KERNEL_IBT SLS STACKPROTECTOR_STRONG FUNCTION_TRACER
/// DYNAMIC_FTRACE (what a distribution kernel has), `make olddefconfig`, `make V=1 kernel/fork.o`, and this
/// list is `kernel/.fork.o.cmd` in order, without what is file-specific or does not change code: -I,
/// -include, -D, -nostdinc, -Wp,-MMD, -fmacro-prefix-map, the -W/-Werror warnings (with -Werror a generated
/// program's warnings would become compile errors) and the second -fno-jump-tables. Two hardening flags of
/// later or other configs are appended, as purgatory would inherit them: ZERO_CALL_USED_REGS's
/// -fzero-call-used-regs=used-gpr and CALL_PADDING's -fpatchable-function-entry=16,16 (x86 from 6.2, as in
/// 6.12). -fstrict-flex-arrays=3 (6.5 on) is left out: gcc-12 lacks it (kbuild-flex-arrays has it). These are
/// gcc's spellings: clang-19 refuses several (-mpreferred-stack-boundary, -fconserve-stack, -mrecord-mcount),
/// as the kernel's Makefiles know.
const KBUILD_6X: &[&str] = &[
    "-fno-strict-aliasing",
    "-fno-common",
    "-fshort-wchar",
    "-fno-PIE",
    "-std=gnu11",
    "-mno-sse",
    "-mno-mmx",
    "-mno-sse2",
    "-mno-3dnow",
    "-mno-avx",
    "-fcf-protection=branch",
    "-fno-jump-tables",
    "-m64",
    "-falign-jumps=1",
    "-falign-loops=1",
    "-mno-80387",
    "-mno-fp-ret-in-387",
    "-mpreferred-stack-boundary=3",
    "-mskip-rax-setup",
    "-mtune=generic",
    "-mno-red-zone",
    "-mcmodel=kernel",
    "-fno-asynchronous-unwind-tables",
    "-mindirect-branch=thunk-extern",
    "-mindirect-branch-register",
    "-mindirect-branch-cs-prefix",
    "-mfunction-return=thunk-extern",
    "-mharden-sls=all",
    "-fno-delete-null-pointer-checks",
    "-O2",
    "-fno-allow-store-data-races",
    "-fstack-protector-strong",
    "-ftrivial-auto-var-init=zero",
    "-fno-stack-clash-protection",
    "-pg",
    "-mrecord-mcount",
    "-mfentry",
    "-fno-strict-overflow",
    "-fno-stack-check",
    "-fconserve-stack",
    "-fno-builtin-wcslen",
    "-fzero-call-used-regs=used-gpr",
    "-fpatchable-function-entry=16,16",
];

/// kernel-2024's code model flags (without its -fno-stack-protector) plus the given leaked flags.
macro_rules! with_2024_pic {
    ($($flag:literal),*) => {
        &["-mcmodel=small", "-fpic", "-fvisibility=hidden", "-O2", "-ffreestanding", "-fno-zero-initialized-in-bss", $($flag),*]
    };
}

// --- Today's hardening flags (issue 25): the commits that put each into KBUILD_CFLAGS, or took it out of
// purgatory's. `kbuild-*`: a flag purgatory inherits (its Makefile does not remove it); `leak-*`: one it
// removes, so a leak if the removal breaks. Each is kernel-2024's flags plus the one flag.
const AUTO_VAR_INIT_2020: KernelCommit =
    commit("f0fe00d4972a", "security: allow using Clang's zero initialization for stack variables", true);
const ZERO_CALL_USED_REGS_2021: KernelCommit =
    commit("a82adfd5c7cb", "hardening: Introduce CONFIG_ZERO_CALL_USED_REGS", true);
const SLS_2021: KernelCommit = commit("e463a09af2f0", "x86: Add straight-line-speculation mitigation", true);
const CS_PREFIX_2021: KernelCommit =
    commit("68cf4f2a72ef", "x86: Use -mindirect-branch-cs-prefix for RETPOLINE builds", true);
const IBT_2022: KernelCommit = commit("156ff4a544ae", "x86/ibt: Base IBT bits", true);
const PADDING_2022: KernelCommit = commit("bea75b33895f", "x86/Kconfig: Introduce function padding", true);
const NO_JUMP_TABLES_2019: KernelCommit =
    commit("a9d57ef15cbe", "x86/retpolines: Disable switch jump tables when retpolines are enabled", false);
const FLEX_ARRAYS_2023: KernelCommit = commit("df8fc4e934c1", "kbuild: Enable -fstrict-flex-arrays=3", true);
// --- end of today's hardening flags' commits

/// Every named configuration.
pub const NAMED: &[NamedConfig] = &[
    kernel(
        "kernel-2014",
        2014,
        CORE_2014,
        "arch/x86/purgatory's first flags: KBUILD_CFLAGS reset, -Os -mcmodel=large",
        &["-mcmodel=large", "-fno-pic", "-Os", "-fno-strict-aliasing", "-fno-zero-initialized-in-bss", "-fno-builtin", "-ffreestanding", "-m64"],
    ),
    kernel(
        "kernel-2018",
        2018,
        CORE_2014,
        "arch/x86/purgatory before 2019: -mcmodel=large (8fc5b4d4121c's reset, until b059f801a937)",
        &["-mcmodel=large", "-fno-pic", "-O2", "-ffreestanding", "-fno-zero-initialized-in-bss"],
    ),
    kernel(
        "kernel-2019",
        2019,
        CFLAGS_REMOVE_2019,
        "seed 000: KBUILD_CFLAGS (-mcmodel=kernel) leak into purgatory",
        &[
            "-mcmodel=kernel", "-fno-pic", "-O2", "-mno-red-zone", "-ffreestanding", "-fno-zero-initialized-in-bss", "-mno-sse", "-mno-mmx",
            "-mno-sse2", "-fno-stack-protector",
        ],
    ),
    kernel(
        "kernel-2019-fix",
        2019,
        LARGE_2019,
        "the seed 000 fix: KBUILD_CFLAGS with -mcmodel=kernel removed and -mcmodel=large added",
        &[
            "-mcmodel=large", "-fno-pic", "-O2", "-mno-red-zone", "-ffreestanding", "-fno-zero-initialized-in-bss", "-mno-sse", "-mno-mmx",
            "-mno-sse2", "-fno-stack-protector",
        ],
    ),
    kernel(
        "kernel-2020",
        2020,
        commit("e2ac07c06058", "x86/purgatory: Disable various profiling and sanitizing options", true),
        "-mcmodel=large plus -DDISABLE_BRANCH_PROFILING and no sanitizers",
        &[
            "-mcmodel=large", "-fno-pic", "-O2", "-mno-red-zone", "-ffreestanding", "-fno-zero-initialized-in-bss", "-mno-sse", "-mno-mmx",
            "-mno-sse2", "-fno-stack-protector", "-DDISABLE_BRANCH_PROFILING",
        ],
    ),
    kernel(
        "kernel-2024",
        2024,
        PIC_2024,
        "small model, pic, hidden visibility",
        &[
            "-mcmodel=small", "-fpic", "-fvisibility=hidden", "-O2", "-ffreestanding", "-fno-stack-protector", "-fno-zero-initialized-in-bss", "-g0",
        ],
    ),
    kernel(
        "leak-ftrace",
        2019,
        CFLAGS_REMOVE_2019,
        "kernel-2024 + CC_FLAGS_FTRACE (-pg -mfentry), which purgatory removes: calls __fentry__",
        with_2024_pic!("-pg", "-mfentry"),
    ),
    kernel(
        "leak-stack-protector",
        2019,
        CFLAGS_REMOVE_2019,
        "kernel-2024 + -fstack-protector-strong, which purgatory removes: calls __stack_chk_fail",
        with_2024_pic!("-fstack-protector-strong"),
    ),
    kernel(
        "leak-retpoline",
        2019,
        CFLAGS_REMOVE_2019,
        "kernel-2024 + RETPOLINE_CFLAGS, which purgatory removes: calls __x86_indirect_thunk_*",
        with_2024_pic!("-mindirect-branch=thunk-extern", "-mindirect-branch-register"),
    ),
    kernel(
        "leak-rethunk",
        2022,
        commit("0b53c374b9ef", "x86/retpoline: Use -mfunction-return", true),
        "kernel-2024 + -mfunction-return=thunk-extern (RETHUNK_CFLAGS, part of RETPOLINE_CFLAGS, which purgatory removes): returns jump to __x86_return_thunk",
        with_2024_pic!("-mfunction-return=thunk-extern"),
    ),
    kernel(
        "leak-kcfi",
        2022,
        commit("a4b7a12c5594", "x86/purgatory: Disable CFI", true),
        "kernel-2024 + CC_FLAGS_CFI (clang -fsanitize=kcfi), which purgatory removes",
        with_2024_pic!("-fsanitize=kcfi"),
    ),
    kernel(
        "leak-lto",
        2023,
        commit("75b2f7e", "x86/purgatory: Remove LTO flags", true),
        "kernel-2024 + CC_FLAGS_LTO (clang -flto=thin), which purgatory filters out",
        with_2024_pic!("-flto=thin"),
    ),
    NamedConfig {
        name: "kbuild-all",
        about: "gcc-12's code-generation flags for a kernel C file of a 6.1 defconfig with a distribution's mitigations (retpoline, rethunk, fentry, stack protector, IBT, SLS, auto-var-init) plus zero-call-used-regs and 6.2's call padding, nothing removed",
        flags: KBUILD_6X,
        year: Some(2024),
        commit: None,
    },
    // --- Today's hardening flags (issue 25), each as purgatory gets it from a distribution's KBUILD_CFLAGS.
    kernel(
        "kbuild-auto-var-init",
        2020,
        AUTO_VAR_INIT_2020,
        "kernel-2024 + -ftrivial-auto-var-init=zero (INIT_STACK_ALL_ZERO; Debian 6.1 has it), which purgatory inherits: may insert memset calls",
        with_2024_pic!("-ftrivial-auto-var-init=zero"),
    ),
    kernel(
        "kbuild-zero-call-regs",
        2021,
        ZERO_CALL_USED_REGS_2021,
        "kernel-2024 + -fzero-call-used-regs=used-gpr (ZERO_CALL_USED_REGS), which purgatory inherits",
        with_2024_pic!("-fzero-call-used-regs=used-gpr"),
    ),
    kernel(
        "kbuild-ibt",
        2022,
        IBT_2022,
        "kernel-2024 + -fcf-protection=branch -fno-jump-tables (X86_KERNEL_IBT: endbr64 landing pads), which purgatory inherits",
        with_2024_pic!("-fcf-protection=branch", "-fno-jump-tables"),
    ),
    kernel(
        "kbuild-sls",
        2021,
        SLS_2021,
        "kernel-2024 + -mharden-sls=all (SLS; Debian 6.1 has it), which purgatory inherits: int3 after ret and indirect jmp",
        with_2024_pic!("-mharden-sls=all"),
    ),
    kernel(
        "leak-cs-prefix",
        2021,
        CS_PREFIX_2021,
        "kernel-2024 + retpoline with -mindirect-branch-cs-prefix (RETPOLINE_CFLAGS, which purgatory removes)",
        with_2024_pic!("-mindirect-branch=thunk-extern", "-mindirect-branch-register", "-mindirect-branch-cs-prefix"),
    ),
    kernel(
        "kbuild-padding",
        2022,
        PADDING_2022,
        "kernel-2024 + -fpatchable-function-entry=16,16 (CALL_PADDING, 6.2 on), which purgatory inherits: NOPs before each function and __patchable_function_entries",
        with_2024_pic!("-fpatchable-function-entry=16,16"),
    ),
    kernel(
        "kbuild-no-jump-tables",
        2019,
        NO_JUMP_TABLES_2019,
        "kernel-2024 + -fno-jump-tables (gcc retpoline builds, and IBT), which purgatory inherits",
        with_2024_pic!("-fno-jump-tables"),
    ),
    kernel(
        "kbuild-flex-arrays",
        2023,
        FLEX_ARRAYS_2023,
        "kernel-2024 + -fstrict-flex-arrays=3 (6.5 on; gcc 13 and clang 16 on), which purgatory inherits",
        with_2024_pic!("-fstrict-flex-arrays=3"),
    ),
    // --- end of today's hardening flags
    plain("small-nopic", "-mcmodel=small -fno-pic: R_X86_64_32/32S, below 2-4 GiB only", &["-mcmodel=small", "-fno-pic", "-O2"]),
    plain("small-pie", "-fpie with default visibility", &["-mcmodel=small", "-fpie", "-O2"]),
    plain("pic-hidden", "-fpic -fvisibility=hidden: PC-relative only", &["-mcmodel=small", "-fpic", "-fvisibility=hidden", "-O2"]),
    plain("pic-default", "-fpic with default visibility: GOT relocations", &["-mcmodel=small", "-fpic", "-O2"]),
    plain("kernel", "-mcmodel=kernel -fno-pic", &["-mcmodel=kernel", "-fno-pic", "-O2", "-mno-red-zone"]),
    plain("medium", "-mcmodel=medium -fno-pic", &["-mcmodel=medium", "-fno-pic", "-O2"]),
    plain("large", "-mcmodel=large -fno-pic", &["-mcmodel=large", "-fno-pic", "-O2"]),
    plain("large-lto", "-mcmodel=large -fno-pic -flto (link through the driver)", &["-mcmodel=large", "-fno-pic", "-O2", "-flto"]),
    // kexec-tools' own purgatory flags, era by era (config/kexec_tools.rs).
    kexec_tools::KEXEC_TOOLS_2012,
    kexec_tools::KEXEC_TOOLS_2015,
    kexec_tools::KEXEC_TOOLS_2019,
    kexec_tools::KEXEC_TOOLS_2022,
    kexec_tools::KEXEC_TOOLS_2025,
    kexec_tools::KEXEC_TOOLS_2022_V3,
    kexec_tools::KEXEC_TOOLS_2025_V3,
];

/// A named configuration by name.
pub fn named(name: &str) -> Option<&'static NamedConfig> {
    NAMED.iter().find(|n| n.name == name)
}

/// The name of a compile config as cells carry it: one of `NAMED`, or a name a caller gave its own flags.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConfigName(pub String);

impl ConfigName {
    /// The named config this is, if it is one.
    pub fn named(&self) -> Option<&'static NamedConfig> {
        named(&self.0)
    }
}

impl std::fmt::Display for ConfigName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
