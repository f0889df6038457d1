//! A Linux tree: its version, `make defconfig` (or a distribution's config) with CONFIG_KEXEC_FILE, and
//! `make arch/x86/purgatory/` with a flag set substituted for PURGATORY_CFLAGS.

use std::path::{Path, PathBuf};

use kreloc_oracle::profile::KernelVersion;
use kreloc_oracle::ProfileId;
use kreloc_toolchains::config::{CodeModel, CompileConfig, Dialect, KernelFlag};
use kreloc_toolchains::process::{shell_quote, Child};
use kreloc_toolchains::Toolchain;

use crate::make::{run_make, MAKE_TIMEOUT};
use crate::{Error, Tree, TreeKind};

/// A Linux tree at `src`, judged under `profile` (default: linux-x86_64 of the tree's version).
pub fn open(
    src: &Path,
    profile: Option<ProfileId>,
    addresses: Vec<u64>,
    build_dir: Option<PathBuf>,
    kconfig: Option<&Path>,
    llvm: bool,
) -> Result<Tree, Error> {
    let version = tree_version(src)?;
    let (major, minor) = (version[0], version[1]);
    let tree = Tree {
        src: std::fs::canonicalize(src).unwrap_or_else(|_| src.to_path_buf()),
        version: version.iter().map(u32::to_string).collect::<Vec<_>>().join("."),
        profile: profile.unwrap_or(ProfileId::LinuxX86_64(Some(KernelVersion::series(major, minor)))),
        addresses,
        build_dir,
        kconfig: kconfig.map(|k| std::fs::canonicalize(k).unwrap_or_else(|_| k.to_path_buf())),
        llvm,
        kind: TreeKind::Linux,
    };
    if let Some(k) = &tree.kconfig {
        std::fs::metadata(k).map_err(|source| Error::Kconfig { path: k.clone(), source })?;
    }
    Ok(tree)
}

/// `VERSION`, `PATCHLEVEL` and `SUBLEVEL` (0 when absent) of the tree's Makefile.
fn tree_version(src: &Path) -> Result<[u32; 3], Error> {
    let makefile = src.join("Makefile");
    let text = std::fs::read_to_string(&makefile).map_err(|source| Error::NotATree {
        path: makefile.clone(),
        expected: "a Linux tree",
        source,
    })?;
    let field = |k: &'static str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k)?.trim_start().strip_prefix('=')?.trim().parse::<u32>().ok())
            .ok_or(Error::NoVersionField { field: k })
    };
    Ok([field("VERSION")?, field("PATCHLEVEL")?, field("SUBLEVEL").unwrap_or(0)])
}

/// The literal flags of the tree's own PURGATORY_CFLAGS (make variables such as $(DISABLE_STACKLEAK_PLUGIN),
/// empty in a defconfig, are left out), so the tree's flag set can be compared flag by flag with another.
pub fn tree_flags(src: &Path) -> Result<Vec<String>, Error> {
    let makefile = src.join("arch/x86/purgatory/Makefile");
    let text = std::fs::read_to_string(&makefile).map_err(|source| Error::NotATree {
        path: makefile.clone(),
        expected: "an x86 Linux tree",
        source,
    })?;
    let values = text.lines().filter_map(|l| {
        let rest = l.strip_prefix("PURGATORY_CFLAGS")?.trim_start();
        rest.strip_prefix(":=").or_else(|| rest.strip_prefix("+="))
    });
    Ok(values
        .flat_map(str::split_whitespace)
        .filter(|f| f.starts_with('-') && !f.contains("$("))
        .map(str::to_string)
        .collect())
}

/// The commands that configure the build tree and rebuild this cell's purgatory.ro, for a bug report.
pub fn commands(tree: &Tree, out: &Path, tc: &Toolchain, overrides: Option<[String; 2]>) -> Vec<String> {
    let q = |p: &Path| shell_quote(&p.display().to_string());
    let src = &tree.src;
    let llvm = llvm_dir(tree, tc).ok().flatten().map(|d| format!(" LLVM={}/", q(&d))).unwrap_or_default();
    let make = format!("make -C {} O={} CC={}{llvm}", q(src), q(out), q(&tc.exe));
    let extra: Vec<String> = overrides.into_iter().flatten().map(|o| shell_quote(&o)).collect();
    let first = match &tree.kconfig {
        None => format!("{make} defconfig"),
        Some(k) => format!("cp {} {}/.config", q(k), q(out)),
    };
    let options: Vec<String> = config_options(tree).iter().map(|o| shell_quote(o)).collect();
    vec![
        first,
        format!("{}/scripts/config --file {}/.config {}", q(src), q(out), options.join(" ")),
        format!("{make} olddefconfig"),
        format!("{make} arch/x86/purgatory/ {}", extra.join(" ")).trim_end().to_string(),
    ]
}

/// What `scripts/config` sets before `olddefconfig`: KEXEC_FILE (purgatory is built for it), and for a
/// distribution's config its signing keys cleared, as a rebuild of a distribution config does (the key
/// files live in the distribution's packaging, not in the tree; modules are signed outside the build).
fn config_options(tree: &Tree) -> Vec<&'static str> {
    let mut options = vec!["--enable", "KEXEC_FILE"];
    if tree.kconfig.is_some() {
        options.extend([
            "--set-str",
            "SYSTEM_TRUSTED_KEYS",
            "",
            "--set-str",
            "SYSTEM_REVOCATION_KEYS",
            "",
            "--set-str",
            "MODULE_SIG_KEY",
            "certs/signing_key.pem",
            "--disable",
            "MODULE_SIG_ALL",
            "--disable",
            "SYSTEM_EXTRA_CERTIFICATE",
        ]);
    }
    options
}

/// The directory LLVM=… names for a clang toolchain under `--llvm` (the one its clang really lives in, e.g.
/// Debian's /usr/lib/llvm-19/bin, where ld.lld and the llvm binutils of the same release are), None when
/// the toolchain builds with GNU binutils; an error when those tools are missing.
pub fn llvm_dir(tree: &Tree, tc: &Toolchain) -> Result<Option<PathBuf>, Error> {
    if !tree.llvm_for(tc) {
        return Ok(None);
    }
    let clang = std::fs::canonicalize(&tc.exe).map_err(Error::io(&tc.exe))?;
    let dir = clang.parent().unwrap_or(Path::new("/"));
    let missing: Vec<&'static str> = LLVM_TOOLS.iter().copied().filter(|t| !dir.join(t).exists()).collect();
    if missing.is_empty() {
        Ok(Some(dir.to_path_buf()))
    } else {
        Err(Error::MissingLlvmTools { missing, clang })
    }
}

/// The tools LLVM=1 takes from the clang's release instead of GNU binutils.
const LLVM_TOOLS: &[&str] = &["ld.lld", "llvm-objcopy", "llvm-nm", "llvm-ar", "llvm-strip", "llvm-readelf"];

fn make(tree: &Tree, out: &Path, tc: &Toolchain) -> Result<Child, Error> {
    let make = Child::new("make", MAKE_TIMEOUT)
        .current_dir(&tree.src)
        .arg(format!("O={}", out.display()))
        .arg(format!("CC={}", tc.exe.display()))
        .arg("-s");
    Ok(match llvm_dir(tree, tc)? {
        Some(dir) => make.arg(format!("LLVM={}/", dir.display())),
        None => make,
    })
}

/// `make defconfig` (or the `--kconfig` file) with CONFIG_KEXEC_FILE=y, through `make olddefconfig`, once per
/// build tree (a stamp marks a finished one).
pub fn configure(tree: &Tree, out: &Path, tc: &Toolchain) -> Result<(), Error> {
    let stamp = out.join(".kreloc-configured");
    if stamp.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(out).map_err(Error::io(out))?;
    match &tree.kconfig {
        None => run_make(make(tree, out, tc)?.arg("defconfig"), "make defconfig")?,
        Some(k) => {
            std::fs::copy(k, out.join(".config")).map_err(|source| Error::Kconfig { path: k.clone(), source })?;
        }
    }
    let options = config_options(tree);
    let set = Child::new(tree.src.join("scripts/config"), MAKE_TIMEOUT)
        .arg("--file")
        .arg(out.join(".config"))
        .args(options.iter().copied());
    run_make(set, "scripts/config")?;
    run_make(make(tree, out, tc)?.arg("olddefconfig"), "make olddefconfig")?;
    std::fs::write(&stamp, tc.id()).map_err(Error::io(&stamp))
}

/// PURGATORY_CFLAGS and PURGATORY_CFLAGS_REMOVE for a historical flag set: its flags replace the tree's, and
/// the tree's removals stay except those of options the set itself carries (the leak it reproduces).
pub fn make_overrides(cfg: &CompileConfig, dialect: Dialect) -> [String; 2] {
    let has = |f: fn(&KernelFlag) -> bool| cfg.kernel.iter().any(f);
    let mut remove = Vec::new();
    if cfg.mcmodel != CodeModel::Kernel {
        remove.push("-mcmodel=kernel");
    }
    if !has(|k| matches!(k, KernelFlag::Pg | KernelFlag::Fentry)) {
        remove.push("$(CC_FLAGS_FTRACE)");
    }
    if !has(|k| matches!(k, KernelFlag::StackProtector { .. })) {
        remove.extend(["-fstack-protector", "-fstack-protector-strong"]);
    }
    if !has(|k| matches!(k, KernelFlag::RetpolineExternal | KernelFlag::ReturnThunkExtern)) {
        remove.push("$(RETPOLINE_CFLAGS)");
    }
    if !has(|k| matches!(k, KernelFlag::Kcfi)) {
        remove.push("$(CC_FLAGS_CFI)");
    }
    [
        format!("PURGATORY_CFLAGS={}", cfg.c_flags_for(dialect).join(" ")),
        format!("PURGATORY_CFLAGS_REMOVE={}", remove.join(" ")),
    ]
}

/// `make arch/x86/purgatory/` (with the overrides) and the resulting purgatory.ro.
pub fn build(tree: &Tree, out: &Path, tc: &Toolchain, overrides: Option<[String; 2]>) -> Result<Vec<u8>, Error> {
    let ro = out.join("arch/x86/purgatory/purgatory.ro");
    let _ = std::fs::remove_file(&ro);
    run_make(
        make(tree, out, tc)?.arg("arch/x86/purgatory/").args(overrides.into_iter().flatten()),
        "make arch/x86/purgatory/",
    )?;
    std::fs::read(&ro).map_err(Error::io(&ro))
}
