//! A kexec-tools tree: its version, `SRC/configure CC=…` in a build tree per (tree, toolchain) (a git
//! checkout is `./bootstrap`ped in place first, as its INSTALL says), then `make purgatory/purgatory.ro`. A
//! flag set replaces the purgatory's CFLAGS on the make command line; kexec-tools' make does not track
//! flags, so purgatory/ is removed before each build.

use std::path::{Path, PathBuf};

use kreloc_oracle::ProfileId;
use kreloc_toolchains::config::{CompileConfig, Dialect};
use kreloc_toolchains::process::{shell_quote, Child};
use kreloc_toolchains::Toolchain;

use crate::make::{run_make, MAKE_TIMEOUT};
use crate::{Error, Tree, TreeKind};

/// A kexec-tools tree at `src`, judged under `profile`.
pub fn open(src: &Path, profile: ProfileId, addresses: Vec<u64>, build_dir: Option<PathBuf>) -> Result<Tree, Error> {
    Ok(Tree {
        version: version(src)?,
        src: std::fs::canonicalize(src).unwrap_or_else(|_| src.to_path_buf()),
        profile,
        addresses,
        build_dir,
        kconfig: None,
        llvm: false,
        kind: TreeKind::KexecTools,
    })
}

/// The version `AC_INIT` of configure.ac names (`2.0.25`, `2.0.32.git`).
fn version(src: &Path) -> Result<String, Error> {
    let path = src.join("configure.ac");
    let text = std::fs::read_to_string(&path).map_err(|source| Error::NotATree {
        path: path.clone(),
        expected: "a kexec-tools tree",
        source,
    })?;
    let init = text.lines().find_map(|l| l.trim_start().strip_prefix("AC_INIT"));
    let version = init
        .and_then(|args| args.split(',').nth(1))
        .map(|v| v.trim_matches(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | '(' | ')')).to_string());
    match version {
        Some(v) if !v.is_empty() && src.join("purgatory/Makefile").is_file() => Ok(v),
        _ => Err(Error::NoKexecToolsVersion { configure_ac: path }),
    }
}

/// `configure CC=…` in the build tree, once (a stamp marks a finished one); `./bootstrap` first in a checkout.
pub fn configure(src: &Path, out: &Path, tc: &Toolchain) -> Result<(), Error> {
    let stamp = out.join(".kreloc-configured");
    if stamp.exists() {
        return Ok(());
    }
    if !src.join("configure").is_file() {
        let bootstrap = Child::new("sh", MAKE_TIMEOUT).current_dir(src).arg("bootstrap");
        run_make(bootstrap, "./bootstrap (a git checkout needs autoconf; a release tarball carries configure)")?;
    }
    std::fs::create_dir_all(out).map_err(Error::io(out))?;
    let configure =
        Child::new(src.join("configure"), MAKE_TIMEOUT).current_dir(out).arg(format!("CC={}", tc.exe.display()));
    run_make(configure, "configure")?;
    std::fs::write(&stamp, tc.id()).map_err(Error::io(&stamp))
}

/// CFLAGS for a flag set; the arch's extra flags also reach CPPFLAGS, after CFLAGS: they must go too.
pub fn make_overrides(cfg: &CompileConfig, dialect: Dialect) -> [String; 2] {
    [format!("CFLAGS={}", cfg.c_flags_for(dialect).join(" ")), "x86_64_PURGATORY_EXTRA_CFLAGS=".into()]
}

pub fn build(out: &Path, overrides: Option<[String; 2]>) -> Result<Vec<u8>, Error> {
    let objects = out.join("purgatory");
    if objects.exists() {
        std::fs::remove_dir_all(&objects).map_err(Error::io(&objects))?;
    }
    let make = Child::new("make", MAKE_TIMEOUT).current_dir(out).arg("-s").arg("purgatory/purgatory.ro");
    run_make(make.args(overrides.into_iter().flatten()), "make purgatory/purgatory.ro")?;
    let ro = objects.join("purgatory.ro");
    std::fs::read(&ro).map_err(Error::io(&ro))
}

/// The commands that configure the build tree and rebuild one cell's purgatory.ro.
pub fn commands(src: &Path, out: &Path, tc: &Toolchain, overrides: Option<[String; 2]>) -> Vec<String> {
    let q = |p: &Path| shell_quote(&p.display().to_string());
    let extra: Vec<String> = overrides.into_iter().flatten().map(|o| shell_quote(&o)).collect();
    vec![
        format!("mkdir -p {0} && cd {0} && {1}/configure CC={2}", q(out), q(src), q(&tc.exe)),
        format!("rm -rf {}/purgatory", q(out)),
        format!("make -C {} purgatory/purgatory.ro {}", q(out), extra.join(" ")).trim_end().to_string(),
    ]
}

/// The literal flags of purgatory/Makefile's `$(PURGATORY): CFLAGS` statement (continuation lines joined),
/// with the arch's `x86_64_PURGATORY_EXTRA_CFLAGS` and configure's PURGATORY_EXTRA_CFLAGS (what it finds
/// every gcc and clang takes) in place of their references; other make variables are left out.
pub fn tree_flags(src: &Path) -> Result<Vec<String>, Error> {
    let read = |rel: &str| {
        let path = src.join(rel);
        std::fs::read_to_string(&path).map_err(|source| Error::NotATree {
            path,
            expected: "a kexec-tools tree",
            source,
        })
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
        .ok_or_else(|| Error::NoPurgatoryCflags { makefile: src.join("purgatory/Makefile") })?;
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
