//! `kreloc kexec-tools`: build a kexec-tools tree's own purgatory (`purgatory/purgatory.ro`) with each
//! toolchain, under the tree's flags and under each named flag set (kexec-tools' eras, the kernel's), and
//! judge it as `kreloc kernel` judges a Linux tree's: the same cells, runs, root causes and triage.
//!
//! A build tree per (tree, toolchain): `SRC/configure CC=…` in it (a git checkout is `./bootstrap`ped in
//! place first, as its INSTALL says), then `make purgatory/purgatory.ro`. A flag set replaces the
//! purgatory's CFLAGS on the make command line; kexec-tools' make does not track flags, so purgatory/ is
//! removed before each build.

use std::path::{Path, PathBuf};

use clap::Args;
use kreloc_toolchains::config::{CompileConfig, Dialect};
use kreloc_toolchains::process::Child;
use kreloc_toolchains::Toolchain;
use serde::{Deserialize, Serialize};

use super::kernel::{self, run_make, Tree, TreeRunArgs, MAKE_TIMEOUT};

/// Every kexec-tools era, oldest first, then the x86-64-v3 compiler's view of the last two.
const ERAS: &str = "tree,kexec-tools-2012,kexec-tools-2015,kexec-tools-2019,kexec-tools-2022,kexec-tools-2025,kexec-tools-2022-v3,kexec-tools-2025-v3";

#[derive(Debug, Args)]
pub struct KexecToolsArgs {
    /// A kexec-tools source tree (a release tarball, or a git checkout: bootstrapped in place with autoconf)
    #[arg(long)]
    pub src: PathBuf,
    /// Toolchains, comma-separated (gcc and clang drivers)
    #[arg(long, value_delimiter = ',', default_value = "gcc@12,clang-19")]
    pub toolchains: Vec<String>,
    /// Flag sets: `tree` (the tree's own Makefile) and named configs with a year (see `kreloc toolchains list`)
    #[arg(long, value_delimiter = ',', default_value = ERAS)]
    pub configs: Vec<String>,
    /// Loader profile
    #[arg(long, short, default_value = "kexec-tools-x86_64", value_parser = kreloc_cli::values::Profile)]
    pub profile: kreloc_oracle::ProfileId,
    #[command(flatten)]
    pub run: TreeRunArgs,
}

/// Runs `kreloc kexec-tools`: exit codes as `kreloc kernel`'s.
pub fn kexec_tools(a: &KexecToolsArgs, json: bool) -> i32 {
    let tree = version(&a.src).map(|version| Tree {
        src: std::fs::canonicalize(&a.src).unwrap_or_else(|_| a.src.clone()),
        version,
        profile: a.profile,
        addresses: a.run.at.clone(),
        build_dir: a.run.build_dir.clone(),
        kconfig: None,
        llvm: false,
        kind: TreeKind::KexecTools,
    });
    kernel::finish(&a.run.out, tree.and_then(|tree| kernel::cells(tree, &a.toolchains, &a.configs, json)), json)
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

    pub fn configure(self, tree: &Tree, out: &Path, tc: &Toolchain) -> Result<(), String> {
        match self {
            TreeKind::Linux => kernel::configure(tree, out, tc),
            TreeKind::KexecTools => configure(&tree.src, out, tc),
        }
    }

    /// The make variables that substitute a flag set for the tree's purgatory flags.
    pub fn overrides(self, cfg: &CompileConfig, dialect: Dialect) -> [String; 2] {
        match self {
            TreeKind::Linux => kernel::make_overrides(cfg, dialect),
            // The arch's extra flags also reach CPPFLAGS, after CFLAGS: they must go too.
            TreeKind::KexecTools => {
                [format!("CFLAGS={}", cfg.c_flags_for(dialect).join(" ")), "x86_64_PURGATORY_EXTRA_CFLAGS=".into()]
            }
        }
    }

    pub fn build(
        self,
        tree: &Tree,
        out: &Path,
        tc: &Toolchain,
        overrides: Option<[String; 2]>,
    ) -> Result<Vec<u8>, String> {
        match self {
            TreeKind::Linux => kernel::build(tree, out, tc, overrides),
            TreeKind::KexecTools => build(out, overrides),
        }
    }

    /// The literal flags the tree's own Makefiles give its purgatory.
    pub fn flags(self, src: &Path) -> Result<Vec<String>, String> {
        match self {
            TreeKind::Linux => kernel::tree_flags(src),
            TreeKind::KexecTools => tree_flags(src),
        }
    }

    /// The commands that configure the build tree and rebuild one cell's purgatory.ro.
    pub fn commands(self, tree: &Tree, out: &Path, tc: &Toolchain, overrides: Option<[String; 2]>) -> Vec<String> {
        use kreloc_toolchains::process::shell_quote;
        match self {
            TreeKind::Linux => kernel::commands(tree, out, tc, overrides),
            TreeKind::KexecTools => {
                let src = &tree.src;
                let q = |p: &Path| shell_quote(&p.display().to_string());
                let extra: Vec<String> = overrides.into_iter().flatten().map(|o| shell_quote(&o)).collect();
                vec![
                    format!("mkdir -p {0} && cd {0} && {1}/configure CC={2}", q(out), q(src), q(&tc.exe)),
                    format!("rm -rf {}/purgatory", q(out)),
                    format!("make -C {} purgatory/purgatory.ro {}", q(out), extra.join(" ")).trim_end().to_string(),
                ]
            }
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

/// The version `AC_INIT` of configure.ac names (`2.0.25`, `2.0.32.git`).
fn version(src: &Path) -> Result<String, String> {
    let path = src.join("configure.ac");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e} (is --src a kexec-tools tree?)", path.display()))?;
    let init = text.lines().find_map(|l| l.trim_start().strip_prefix("AC_INIT"));
    let version = init
        .and_then(|args| args.split(',').nth(1))
        .map(|v| v.trim_matches(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | '(' | ')')).to_string());
    match version {
        Some(v) if !v.is_empty() && src.join("purgatory/Makefile").is_file() => Ok(v),
        _ => Err(format!(
            "{}: no AC_INIT version, or no purgatory/Makefile beside it (is --src a kexec-tools tree?)",
            path.display()
        )),
    }
}

/// `configure CC=…` in the build tree, once (a stamp marks a finished one); `./bootstrap` first in a checkout.
fn configure(src: &Path, out: &Path, tc: &Toolchain) -> Result<(), String> {
    let stamp = out.join(".kreloc-configured");
    if stamp.exists() {
        return Ok(());
    }
    if !src.join("configure").is_file() {
        let bootstrap = Child::new("sh", MAKE_TIMEOUT).current_dir(src).arg("bootstrap");
        run_make(bootstrap, "./bootstrap (a git checkout needs autoconf; a release tarball carries configure)")?;
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let configure =
        Child::new(src.join("configure"), MAKE_TIMEOUT).current_dir(out).arg(format!("CC={}", tc.exe.display()));
    run_make(configure, "configure")?;
    std::fs::write(&stamp, tc.id()).map_err(|e| format!("{}: {e}", stamp.display()))
}

fn build(out: &Path, overrides: Option<[String; 2]>) -> Result<Vec<u8>, String> {
    let objects = out.join("purgatory");
    if objects.exists() {
        std::fs::remove_dir_all(&objects).map_err(|e| format!("{}: {e}", objects.display()))?;
    }
    let make = Child::new("make", MAKE_TIMEOUT).current_dir(out).arg("-s").arg("purgatory/purgatory.ro");
    run_make(make.args(overrides.into_iter().flatten()), "make purgatory/purgatory.ro")?;
    let ro = objects.join("purgatory.ro");
    std::fs::read(&ro).map_err(|e| format!("{}: {e}", ro.display()))
}

/// The literal flags of purgatory/Makefile's `$(PURGATORY): CFLAGS` statement (continuation lines joined),
/// with the arch's `x86_64_PURGATORY_EXTRA_CFLAGS` and configure's PURGATORY_EXTRA_CFLAGS (what it finds
/// every gcc and clang takes) in place of their references; other make variables are left out.
pub fn tree_flags(src: &Path) -> Result<Vec<String>, String> {
    let read = |rel: &str| {
        let path = src.join(rel);
        std::fs::read_to_string(&path).map_err(|e| format!("{}: {e} (is --src a kexec-tools tree?)", path.display()))
    };
    let joined = |text: String| text.replace("\\\n", " ");
    let purgatory = joined(read("purgatory/Makefile")?);
    let arch = joined(read("purgatory/arch/x86_64/Makefile").unwrap_or_default());
    let value = |text: &str, var: &str| -> Option<String> {
        text.lines().find_map(|l| {
            let rest = l.trim_start().strip_prefix(var)?.trim_start();
            let rest =
                rest.strip_prefix("+=").or_else(|| rest.strip_prefix(":=")).or_else(|| rest.strip_prefix('='))?;
            Some(rest.to_string())
        })
    };
    let cflags = value(&purgatory, "$(PURGATORY): CFLAGS")
        .ok_or_else(|| format!("{}: no $(PURGATORY): CFLAGS", src.join("purgatory/Makefile").display()))?;
    let arch_flags = value(&arch, "x86_64_PURGATORY_EXTRA_CFLAGS").unwrap_or_default();
    Ok(cflags
        .split_whitespace()
        .flat_map(|f| match f {
            "$($(ARCH)_PURGATORY_EXTRA_CFLAGS)" => arch_flags.split_whitespace().map(str::to_string).collect(),
            "$(PURGATORY_EXTRA_CFLAGS)" => vec!["-fno-zero-initialized-in-bss".to_string()],
            f if f.starts_with('-') && !f.contains("$(") => vec![f.to_string()],
            _ => Vec::new(),
        })
        .collect())
}
