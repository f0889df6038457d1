//! Compile configurations: the flag axes the matrix varies, and the named sets users refer to.

use serde::{Deserialize, Serialize};

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

/// One point of the flag matrix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CompileConfig {
    pub mcmodel: CodeModel,
    pub pic: Pic,
    /// `-O` level: `0`, `1`, `2`, `3`, `s`, `z`.
    pub opt: String,
    pub visibility: Visibility,
    pub lto: bool,
    /// Further flags, passed as given (C drivers only).
    pub extra: Vec<String>,
}

impl Default for CompileConfig {
    fn default() -> Self {
        CompileConfig { mcmodel: CodeModel::Small, pic: Pic::None, opt: "2".into(), visibility: Visibility::Default, lto: false, extra: Vec::new() }
    }
}

impl CompileConfig {
    /// The gcc/clang spelling of this configuration (drivers add their own fixed flags).
    pub fn c_flags(&self) -> Vec<String> {
        let mut f = vec![
            format!("-mcmodel={}", match self.mcmodel {
                CodeModel::Small => "small",
                CodeModel::Kernel => "kernel",
                CodeModel::Medium => "medium",
                CodeModel::Large => "large",
            }),
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
        f.extend(self.extra.iter().cloned());
        f
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
                f => c.extra.push(f.to_string()),
            }
        }
        c
    }
}

/// A named configuration.
#[derive(Debug, Clone, Serialize)]
pub struct NamedConfig {
    pub name: &'static str,
    pub about: &'static str,
    pub flags: &'static [&'static str],
}

impl NamedConfig {
    pub fn config(&self) -> CompileConfig {
        CompileConfig::from_flags(self.flags)
    }
}

/// Every named configuration.
pub const NAMED: &[NamedConfig] = &[
    NamedConfig {
        name: "kernel-2018",
        about: "arch/x86/purgatory before 2019: -mcmodel=large",
        flags: &["-mcmodel=large", "-fno-pic", "-O2", "-ffreestanding", "-fno-zero-initialized-in-bss"],
    },
    NamedConfig {
        name: "kernel-2019",
        about: "seed 000: b059f801a937 let KBUILD_CFLAGS (-mcmodel=kernel) leak into purgatory",
        flags: &[
            "-mcmodel=kernel", "-fno-pic", "-O2", "-mno-red-zone", "-ffreestanding", "-fno-zero-initialized-in-bss", "-mno-sse", "-mno-mmx",
            "-mno-sse2", "-fno-stack-protector",
        ],
    },
    NamedConfig {
        name: "kernel-2024",
        about: "cba786af84a0: small model, pic, hidden visibility",
        flags: &[
            "-mcmodel=small", "-fpic", "-fvisibility=hidden", "-O2", "-ffreestanding", "-fno-stack-protector", "-fno-zero-initialized-in-bss", "-g0",
        ],
    },
    NamedConfig { name: "small-nopic", about: "-mcmodel=small -fno-pic: R_X86_64_32/32S, below 2-4 GiB only", flags: &["-mcmodel=small", "-fno-pic", "-O2"] },
    NamedConfig { name: "small-pie", about: "-fpie with default visibility", flags: &["-mcmodel=small", "-fpie", "-O2"] },
    NamedConfig { name: "pic-hidden", about: "-fpic -fvisibility=hidden: PC-relative only", flags: &["-mcmodel=small", "-fpic", "-fvisibility=hidden", "-O2"] },
    NamedConfig { name: "pic-default", about: "-fpic with default visibility: GOT relocations", flags: &["-mcmodel=small", "-fpic", "-O2"] },
    NamedConfig { name: "kernel", about: "-mcmodel=kernel -fno-pic", flags: &["-mcmodel=kernel", "-fno-pic", "-O2", "-mno-red-zone"] },
    NamedConfig { name: "medium", about: "-mcmodel=medium -fno-pic", flags: &["-mcmodel=medium", "-fno-pic", "-O2"] },
    NamedConfig { name: "large", about: "-mcmodel=large -fno-pic", flags: &["-mcmodel=large", "-fno-pic", "-O2"] },
    NamedConfig { name: "large-lto", about: "-mcmodel=large -fno-pic -flto (link through the driver)", flags: &["-mcmodel=large", "-fno-pic", "-O2", "-flto"] },
];

/// A named configuration by name.
pub fn named(name: &str) -> Option<&'static NamedConfig> {
    NAMED.iter().find(|n| n.name == name)
}
