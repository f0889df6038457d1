//! A source tree and how it is judged, which project it is, and where its per-toolchain build trees live.

use std::path::{Path, PathBuf};

use kreloc_oracle::ProfileId;
use kreloc_toolchains::config::{CompileConfig, Dialect};
use kreloc_toolchains::identity::Kind;
use kreloc_toolchains::{Family, Toolchain};
use serde::{Deserialize, Serialize};

use crate::{kexec_tools, linux, Error};

/// Seed 001's and seed 000's crashkernel addresses: where cells load when no address is given.
pub const DEFAULT_ADDRESSES: [u64; 2] = [0x1_3fff_b000, 0x17f_7aff_d000];

/// A Linux or kexec-tools tree and how it is judged.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tree {
    pub src: PathBuf,
    /// `6.1.192`
    pub version: String,
    pub profile: ProfileId,
    pub addresses: Vec<u64>,
    pub build_dir: Option<PathBuf>,
    /// The distribution config the trees are configured with (`--kconfig`); None for `make defconfig`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kconfig: Option<PathBuf>,
    /// LLVM=1 for clang toolchains (`--llvm`).
    #[serde(default)]
    pub llvm: bool,
    /// Linux, or kexec-tools (absent in cases stored before kexec-tools trees).
    #[serde(default)]
    pub kind: TreeKind,
}

impl Tree {
    /// `linux-6.1.192` (`kexec-tools-2.0.25`), with the config's file name and `llvm` when they are not the defaults: the
    /// "program" a finding names.
    pub fn label(&self) -> String {
        let mut label = format!("{}-{}", self.kind.slug(), self.version);
        if let Some(name) = self.kconfig.as_ref().and_then(|k| k.file_name()) {
            label.push('+');
            label.push_str(&name.to_string_lossy());
        }
        if self.llvm {
            label.push_str("+llvm");
        }
        label
    }

    /// Whether this toolchain builds with LLVM=1 here.
    pub fn llvm_for(&self, tc: &Toolchain) -> bool {
        self.llvm && tc.family == Family::Llvm
    }

    /// One build tree per (source tree, config, LLVM=1 or not, toolchain), so `make` only rebuilds purgatory
    /// when flags change.
    pub fn build_dir_for(&self, tc: &Toolchain) -> PathBuf {
        let key = fnv1a(self.src.to_string_lossy().as_bytes());
        let major_minor: Vec<&str> = self.version.split('.').take(2).collect();
        let mut leaf = tc.id();
        if let Some(k) = &self.kconfig {
            // Keyed by the config's contents: an edited config gets a fresh tree.
            let bytes = std::fs::read(k).unwrap_or_else(|_| k.to_string_lossy().into_owned().into_bytes());
            leaf.push_str(&format!("-kconfig-{:016x}", fnv1a(&bytes)));
        }
        if self.llvm_for(tc) {
            leaf.push_str("-llvm");
        }
        self.build_dir
            .clone()
            .unwrap_or_else(|| kreloc_toolchains::dirs::cache_root().join(self.kind.cache_dir()))
            .join(format!("{}-{key:016x}", major_minor.join(".")))
            .join(leaf)
    }

    /// The addresses cells load at: the given ones, else the defaults.
    pub(crate) fn with_default_addresses(mut self) -> Tree {
        if self.addresses.is_empty() {
            self.addresses = DEFAULT_ADDRESSES.to_vec();
        }
        self
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// Holds a build tree for one process: two runs on one tree and toolchain would run `make` in the same
/// directory at once. The second waits.
pub fn lock_build_dir(out: &Path) -> Result<kreloc_atomic::Lock, Error> {
    kreloc_atomic::lock(out).map_err(|source| Error::Lock { path: out.to_path_buf(), source })
}

/// The driver dialect of a toolchain the trees' Makefiles can call (gcc or clang).
pub fn dialect(tc: &Toolchain) -> Result<Dialect, Error> {
    match (&tc.kind, tc.family) {
        (Kind::AptGcc | Kind::AptClang | Kind::Path, Family::Gcc) => Ok(Dialect::Gcc),
        (Kind::AptGcc | Kind::AptClang | Kind::Path, Family::Llvm) => Ok(Dialect::Clang),
        _ => Err(Error::NotADriver { toolchain: tc.id() }),
    }
}

/// Which project a tree is: what configures and builds it, and where its purgatory's flags are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TreeKind {
    #[default]
    Linux,
    KexecTools,
}

impl TreeKind {
    /// `Linux`, `kexec-tools`: how reports name the tree.
    pub fn name(self) -> &'static str {
        match self {
            TreeKind::Linux => "Linux",
            TreeKind::KexecTools => "kexec-tools",
        }
    }

    /// `linux`, `kexec-tools`: how stored cases are named (`linux-6.1.192-kernel-2019`).
    pub fn slug(self) -> &'static str {
        match self {
            TreeKind::Linux => "linux",
            TreeKind::KexecTools => "kexec-tools",
        }
    }

    /// The directory of the kreloc cache its build trees go to.
    pub fn cache_dir(self) -> &'static str {
        match self {
            TreeKind::Linux => "kernel",
            TreeKind::KexecTools => "kexec-tools",
        }
    }

    pub fn configure(self, tree: &Tree, out: &Path, tc: &Toolchain) -> Result<(), Error> {
        match self {
            TreeKind::Linux => linux::configure(tree, out, tc),
            TreeKind::KexecTools => kexec_tools::configure(&tree.src, out, tc),
        }
    }

    /// The make variables that substitute a flag set for the tree's purgatory flags.
    pub fn overrides(self, cfg: &CompileConfig, dialect: Dialect) -> [String; 2] {
        match self {
            TreeKind::Linux => linux::make_overrides(cfg, dialect),
            TreeKind::KexecTools => kexec_tools::make_overrides(cfg, dialect),
        }
    }

    /// Builds the purgatory (with the overrides) and reads purgatory.ro.
    pub fn build(
        self,
        tree: &Tree,
        out: &Path,
        tc: &Toolchain,
        overrides: Option<[String; 2]>,
    ) -> Result<Vec<u8>, Error> {
        match self {
            TreeKind::Linux => linux::build(tree, out, tc, overrides),
            TreeKind::KexecTools => kexec_tools::build(out, overrides),
        }
    }

    /// The literal flags the tree's own Makefiles give its purgatory.
    pub fn flags(self, src: &Path) -> Result<Vec<String>, Error> {
        match self {
            TreeKind::Linux => linux::tree_flags(src),
            TreeKind::KexecTools => kexec_tools::tree_flags(src),
        }
    }

    /// The commands that configure the build tree and rebuild one cell's purgatory.ro.
    pub fn commands(self, tree: &Tree, out: &Path, tc: &Toolchain, overrides: Option<[String; 2]>) -> Vec<String> {
        match self {
            TreeKind::Linux => linux::commands(tree, out, tc, overrides),
            TreeKind::KexecTools => kexec_tools::commands(&tree.src, out, tc, overrides),
        }
    }

    /// The purgatory's own source files in the tree (its size beside generated programs).
    pub fn sources(self, src: &Path) -> Vec<PathBuf> {
        let listed = |dir: &str| {
            std::fs::read_dir(src.join(dir)).into_iter().flatten().flatten().map(|e| e.path()).collect::<Vec<_>>()
        };
        let (dirs, borrowed): (&[&str], &[&str]) = match self {
            TreeKind::Linux => (&["arch/x86/purgatory"], &["lib/crypto/sha256.c", "arch/x86/boot/compressed/string.c"]),
            TreeKind::KexecTools => {
                (&["purgatory", "purgatory/arch/x86_64", "purgatory/arch/i386"], &["util_lib/sha256.c"])
            }
        };
        dirs.iter()
            .flat_map(|d| listed(d))
            .filter(|p| p.extension().is_some_and(|e| e == "c" || e == "S"))
            .chain(borrowed.iter().map(|f| src.join(f)))
            .collect()
    }
}
