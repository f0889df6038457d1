//! `kreloc kernel`: build a Linux tree's own purgatory with each toolchain, under the tree's flags and under
//! each historical flag set (substituted for PURGATORY_CFLAGS), and judge every purgatory.ro.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use kreloc_oracle::profile::KernelVersion;
use kreloc_oracle::ProfileId;
use kreloc_toolchains::config::{self, CodeModel, CompileConfig, Dialect, KernelFlag};
use kreloc_toolchains::identity::Kind;
use kreloc_toolchains::process::Child;
use kreloc_toolchains::{Family, Toolchain};
use serde::Serialize;

use super::exit::{self, cannot_test};
use super::kexec_tools::TreeKind;
use kreloc_cli::parse_addr;

pub const MAKE_TIMEOUT: Duration = Duration::from_secs(1800);

#[derive(Debug, Args)]
pub struct KernelArgs {
    /// A Linux source tree (e.g. Debian's linux-source-6.1, unpacked)
    #[arg(long)]
    pub src: PathBuf,
    /// Toolchains, comma-separated (gcc and clang drivers)
    #[arg(long, value_delimiter = ',', default_value = "gcc@12,clang-19")]
    pub toolchains: Vec<String>,
    /// Flag sets: `tree` (the tree's own Makefile) and named configs with a year (see `kreloc toolchains list`)
    #[arg(long, value_delimiter = ',', default_value = "tree,kernel-2018,kernel-2019,kernel-2024")]
    pub configs: Vec<String>,
    /// Loader profile; default linux-x86_64 of the tree's version
    #[arg(long, short, value_parser = kreloc_cli::values::Profile)]
    pub profile: Option<ProfileId>,
    #[command(flatten)]
    pub run: TreeRunArgs,
    /// A distribution's kernel config (e.g. Debian's /boot/config-6.1.0-*-amd64) instead of `make defconfig`:
    /// taken through `make olddefconfig`, with its signing-key options cleared as a distribution build does
    #[arg(long, value_name = "FILE")]
    pub kconfig: Option<PathBuf>,
    /// LLVM=1 for clang toolchains: ld.lld, llvm-objcopy, llvm-nm and llvm-ar of the clang's own release (gcc
    /// toolchains keep GNU binutils)
    #[arg(long)]
    pub llvm: bool,
}

/// What `kreloc kernel` and `kreloc kexec-tools` share: where the cells load, build and store.
#[derive(Debug, Args)]
pub struct TreeRunArgs {
    /// Load addresses (default: seed 001's 0x13fffb000 and seed 000's 0x17f7affd000)
    #[arg(long = "at", value_parser = parse_addr)]
    pub at: Vec<u64>,
    /// Where the per-toolchain build trees go (default: the kreloc cache)
    #[arg(long)]
    pub build_dir: Option<PathBuf>,
    /// The finding store root causes go to, as `kreloc fuzz --out` (a cause already there is one more sighting)
    #[arg(long, default_value = "kreloc-out")]
    pub out: PathBuf,
}

/// What one (toolchain, flag set) cell gave.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
enum Cell {
    /// purgatory.ro was built and judged: loaded at each address, and its `purgatory()` run there.
    Judged {
        exec_sections: Vec<String>,
        verdicts: Vec<kreloc_oracle::Verdict>,
        runs: Vec<kreloc_exec::purgatory::PurgatoryRun>,
    },
    /// The build failed (a flag the compiler lacks, an old compiler): not judged.
    NotJudged { reason: String },
}

#[derive(Debug, Serialize)]
pub struct Row {
    toolchain: String,
    flags: String,
    /// Built with LLVM=1 (LLVM's linker and binutils).
    llvm: bool,
    /// The build tree (its .config, and make's .cmd files with each compile's flags).
    build_dir: PathBuf,
    #[serde(flatten)]
    cell: Cell,
    /// What the campaign's attribution reads: the cell, and its purgatory.ro (None when not judged).
    #[serde(skip)]
    pub matrix_cell: kreloc_campaign::examine::Cell,
    #[serde(skip)]
    pub object: Option<Vec<u8>>,
    /// The make command lines that rebuild this cell's purgatory.ro.
    #[serde(skip)]
    pub commands: Vec<String>,
}

impl Row {
    /// The runs of this cell's purgatory (none when it was not built, or its profile is not run).
    pub fn runs(&self) -> &[kreloc_exec::purgatory::PurgatoryRun] {
        match &self.cell {
            Cell::Judged { runs, .. } => runs,
            Cell::NotJudged { .. } => &[],
        }
    }
}

/// A Linux tree and how it is judged.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
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
}

/// Runs `kreloc kernel`: exit 0 when every judged purgatory loads everywhere, 1 otherwise, 125 on setup failure.
pub fn kernel(a: &KernelArgs, json: bool) -> i32 {
    finish(&a.run.out, linux_tree(a).and_then(|tree| cells(tree, &a.toolchains, &a.configs, json)), json)
}

/// Stores the cells' root causes, prints them and gives the exit code (shared by `kreloc kexec-tools`).
pub fn finish(out: &Path, cells: Result<(Tree, Vec<Row>), String>, json: bool) -> i32 {
    match cells {
        Ok((tree, rows)) => {
            let causes = super::kernel_findings::record(out, &tree, &rows).unwrap_or_else(|e| {
                eprintln!("kreloc: warning: root causes not stored in {}: {e}", out.display());
                Vec::new()
            });
            print(&rows, &tree, &causes, json);
            let bad = rows.iter().any(|r| {
                matches!(&r.cell, Cell::Judged { verdicts, runs, .. } if verdicts.iter().any(|v| !v.good || !v.warnings.is_empty()) || super::check_run::any_bad(runs))
            });
            if bad {
                exit::BAD
            } else {
                exit::GOOD
            }
        }
        Err(e) => cannot_test(e),
    }
}

fn linux_tree(a: &KernelArgs) -> Result<Tree, String> {
    let version = tree_version(&a.src)?;
    let (major, minor) = (version[0], version[1]);
    let tree = Tree {
        src: std::fs::canonicalize(&a.src).unwrap_or_else(|_| a.src.clone()),
        version: version.iter().map(u32::to_string).collect::<Vec<_>>().join("."),
        profile: a.profile.unwrap_or(ProfileId::LinuxX86_64(Some(KernelVersion::series(major, minor)))),
        addresses: a.run.at.clone(),
        build_dir: a.run.build_dir.clone(),
        kconfig: a.kconfig.as_ref().map(|k| std::fs::canonicalize(k).unwrap_or_else(|_| k.clone())),
        llvm: a.llvm,
        kind: TreeKind::Linux,
    };
    if let Some(k) = &tree.kconfig {
        std::fs::metadata(k).map_err(|e| format!("--kconfig {}: {e}", k.display()))?;
    }
    Ok(tree)
}

/// Builds and judges every (toolchain, flag set) cell of a tree (addresses default to seed 001's and 000's).
pub fn cells(
    mut tree: Tree,
    toolchains: &[String],
    configs: &[String],
    json: bool,
) -> Result<(Tree, Vec<Row>), String> {
    let profile = tree.profile.profile();
    if tree.addresses.is_empty() {
        tree.addresses = vec![0x1_3fff_b000, 0x17f_7aff_d000];
    }
    let flag_sets: Vec<(String, Option<CompileConfig>)> = configs
        .iter()
        .map(|name| match name.as_str() {
            "tree" => Ok((name.clone(), None)),
            n => config::named(n).filter(|c| c.year.is_some()).map(|c| (name.clone(), Some(c.config()))).ok_or_else(
                || format!("'{n}' is not a purgatory flag set (tree, or a config with a year: kreloc toolchains list)"),
            ),
        })
        .collect::<Result<_, _>>()?;
    let kind = tree.kind;
    let tree_config = CompileConfig::from_flags(&kind.flags(&tree.src)?);
    let bar = progress(!json, (toolchains.len() * flag_sets.len()) as u64);
    let mut rows = Vec::new();
    for spec in toolchains {
        let tc = kreloc_toolchains::resolve(spec).map_err(|e| format!("{spec}: {e}"))?;
        let dialect = dialect(&tc).map_err(|e| format!("{spec}: {e}"))?;
        let out = build_dir(&tree, &tc);
        let _building = lock_build_dir(&out)?;
        bar.set_message(format!("{}: configure", tc.id()));
        // Without LLVM's own binutils the toolchain's cells cannot be built: not judged, as a missing tool is.
        let usable = llvm_dir(&tree, &tc).map(|_| ());
        if usable.is_ok() {
            kind.configure(&tree, &out, &tc)?;
        }
        for (name, cfg) in &flag_sets {
            bar.set_message(format!("{}: {name}", tc.id()));
            let overrides = cfg.as_ref().map(|c| kind.overrides(c, dialect));
            let built = usable.clone().and_then(|()| kind.build(&tree, &out, &tc, overrides.clone()));
            let (cell, object) = match built {
                Ok(bytes) => (judge(&bytes, &*profile, &tree.addresses)?, Some(bytes)),
                Err(reason) => (Cell::NotJudged { reason }, None),
            };
            let matrix_cell = kreloc_campaign::examine::Cell {
                toolchain: tc.clone(),
                config_name: name.clone(),
                config: cfg.clone().unwrap_or_else(|| tree_config.clone()),
            };
            let commands = kind.commands(&tree, &out, &tc, overrides);
            let llvm = tree.llvm_for(&tc);
            rows.push(Row {
                toolchain: tc.id(),
                flags: name.clone(),
                llvm,
                build_dir: out.clone(),
                cell,
                matrix_cell,
                object,
                commands,
            });
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    Ok((tree, rows))
}

/// The driver dialect of a toolchain `kreloc kernel` can drive (the tree's Makefiles call gcc or clang).
pub fn dialect(tc: &Toolchain) -> Result<Dialect, &'static str> {
    match (&tc.kind, tc.family) {
        (Kind::AptGcc | Kind::AptClang | Kind::Path, Family::Gcc) => Ok(Dialect::Gcc),
        (Kind::AptGcc | Kind::AptClang | Kind::Path, Family::Llvm) => Ok(Dialect::Clang),
        _ => Err("kreloc kernel drives gcc and clang only"),
    }
}

/// The literal flags of the tree's own PURGATORY_CFLAGS (make variables such as $(DISABLE_STACKLEAK_PLUGIN),
/// empty in a defconfig, are left out), so the tree's flag set can be compared flag by flag with another.
pub fn tree_flags(src: &Path) -> Result<Vec<String>, String> {
    let makefile = src.join("arch/x86/purgatory/Makefile");
    let text = std::fs::read_to_string(&makefile)
        .map_err(|e| format!("{}: {e} (is --src an x86 Linux tree?)", makefile.display()))?;
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
    use kreloc_toolchains::process::shell_quote;
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
pub fn llvm_dir(tree: &Tree, tc: &Toolchain) -> Result<Option<PathBuf>, String> {
    if !tree.llvm_for(tc) {
        return Ok(None);
    }
    let clang = std::fs::canonicalize(&tc.exe).map_err(|e| format!("{}: {e}", tc.exe.display()))?;
    let dir = clang.parent().ok_or_else(|| format!("{} has no directory", clang.display()))?;
    let missing: Vec<&str> = LLVM_TOOLS.iter().copied().filter(|t| !dir.join(t).exists()).collect();
    if missing.is_empty() {
        Ok(Some(dir.to_path_buf()))
    } else {
        Err(format!(
            "LLVM=1 needs {} beside {} (install llvm-N and lld-N of its release: scripts/setup.sh)",
            missing.join(", "),
            clang.display()
        ))
    }
}

/// The tools LLVM=1 takes from the clang's release instead of GNU binutils.
const LLVM_TOOLS: &[&str] = &["ld.lld", "llvm-objcopy", "llvm-nm", "llvm-ar", "llvm-strip", "llvm-readelf"];

/// A bar over the cells (indicatif hides it when stderr is not a terminal).
fn progress(show: bool, cells: u64) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(cells);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} [{elapsed}] {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// `VERSION`, `PATCHLEVEL` and `SUBLEVEL` (0 when absent) of the tree's Makefile.
fn tree_version(src: &Path) -> Result<[u32; 3], String> {
    let makefile = src.join("Makefile");
    let text = std::fs::read_to_string(&makefile)
        .map_err(|e| format!("{}: {e} (is --src a Linux tree?)", makefile.display()))?;
    let field = |k: &str| {
        text.lines().find_map(|l| l.strip_prefix(k)?.trim_start().strip_prefix('=')?.trim().parse::<u32>().ok())
    };
    Ok([
        field("VERSION").ok_or("the Makefile has no VERSION")?,
        field("PATCHLEVEL").ok_or("the Makefile has no PATCHLEVEL")?,
        field("SUBLEVEL").unwrap_or(0),
    ])
}

/// One build tree per (source tree, config, LLVM=1 or not, toolchain), so `make` only rebuilds purgatory when
/// flags change.
pub fn build_dir(tree: &Tree, tc: &Toolchain) -> PathBuf {
    let key = fnv1a(tree.src.to_string_lossy().as_bytes());
    let major_minor: Vec<&str> = tree.version.split('.').take(2).collect();
    let mut leaf = tc.id();
    if let Some(k) = &tree.kconfig {
        // Keyed by the config's contents: an edited config gets a fresh tree.
        let bytes = std::fs::read(k).unwrap_or_else(|_| k.to_string_lossy().into_owned().into_bytes());
        leaf.push_str(&format!("-kconfig-{:016x}", fnv1a(&bytes)));
    }
    if tree.llvm_for(tc) {
        leaf.push_str("-llvm");
    }
    tree.build_dir
        .clone()
        .unwrap_or_else(|| kreloc_toolchains::dirs::cache_root().join(tree.kind.cache_dir()))
        .join(format!("{}-{key:016x}", major_minor.join(".")))
        .join(leaf)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// Holds a build tree for one process: two `kreloc kernel` runs on one tree and toolchain would run `make`
/// in the same directory at once. The second waits.
pub fn lock_build_dir(out: &Path) -> Result<kreloc_atomic::Lock, String> {
    kreloc_atomic::lock(out).map_err(|e| format!("locking the build tree {}: {e}", out.display()))
}

fn make(tree: &Tree, out: &Path, tc: &Toolchain) -> Result<Child, String> {
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

pub fn run_make(child: Child, what: &str) -> Result<(), String> {
    let out = child.run().map_err(|e| format!("{what}: {e}"))?;
    if out.success() {
        return Ok(());
    }
    let stderr = out.stderr_text();
    // The compiler's or linker's own error says why (an unknown flag, purgatory.chk's undefined symbol);
    // make's "Error 2" lines after it do not.
    let first_error =
        stderr.lines().find(|l| l.contains("error:") || l.contains("undefined reference to")).map(str::trim);
    let tail: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).rev().take(3).collect();
    let why = match first_error {
        Some(e) => e.to_string(),
        None => tail.into_iter().rev().collect::<Vec<_>>().join(" | "),
    };
    Err(format!("{what} failed{}: {why}", if out.timed_out { " (timed out)" } else { "" }))
}

/// `make defconfig` (or the `--kconfig` file) with CONFIG_KEXEC_FILE=y, through `make olddefconfig`, once per
/// build tree (a stamp marks a finished one).
pub fn configure(tree: &Tree, out: &Path, tc: &Toolchain) -> Result<(), String> {
    let stamp = out.join(".kreloc-configured");
    if stamp.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    match &tree.kconfig {
        None => run_make(make(tree, out, tc)?.arg("defconfig"), "make defconfig")?,
        Some(k) => {
            std::fs::copy(k, out.join(".config")).map_err(|e| format!("--kconfig {}: {e}", k.display()))?;
        }
    }
    let options = config_options(tree);
    let set = Child::new(tree.src.join("scripts/config"), MAKE_TIMEOUT)
        .arg("--file")
        .arg(out.join(".config"))
        .args(options.iter().copied());
    run_make(set, "scripts/config")?;
    run_make(make(tree, out, tc)?.arg("olddefconfig"), "make olddefconfig")?;
    std::fs::write(&stamp, tc.id()).map_err(|e| format!("{}: {e}", stamp.display()))
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
pub fn build(tree: &Tree, out: &Path, tc: &Toolchain, overrides: Option<[String; 2]>) -> Result<Vec<u8>, String> {
    let ro = out.join("arch/x86/purgatory/purgatory.ro");
    let _ = std::fs::remove_file(&ro);
    run_make(
        make(tree, out, tc)?.arg("arch/x86/purgatory/").args(overrides.into_iter().flatten()),
        "make arch/x86/purgatory/",
    )?;
    std::fs::read(&ro).map_err(|e| format!("{}: {e}", ro.display()))
}

fn judge(bytes: &[u8], profile: &dyn kreloc_oracle::Profile, addresses: &[u64]) -> Result<Cell, String> {
    let obj = kreloc_oracle::parse(bytes).map_err(|e| format!("purgatory.ro: {e}"))?;
    let exec_sections = obj.code_sections().map(|s| s.name.to_string()).collect();
    let verdicts = addresses.iter().map(|&at| kreloc_oracle::load(&obj, profile, at)).collect();
    Ok(Cell::Judged { exec_sections, verdicts, runs: super::check_run::runs(&obj, profile, addresses) })
}

fn print(rows: &[Row], tree: &Tree, causes: &[super::kernel_findings::Stored], json: bool) {
    if json {
        let doc = serde_json::json!({ "src": tree.src, "version": tree.version, "profile": tree.profile, "kconfig": tree.kconfig, "llvm": tree.llvm, "cells": rows, "root_causes": causes });
        kreloc_cli::json::print(&doc);
        return;
    }
    let config = tree.kconfig.as_ref().map_or("defconfig".into(), |k| k.display().to_string());
    let llvm = if tree.llvm { ", LLVM=1 for clang" } else { "" };
    println!("purgatory.ro of {} ({}, {config}{llvm}) under {}:", tree.src.display(), tree.version, tree.profile);
    for r in rows {
        let toolchain = if r.llvm { format!("{}+llvm", r.toolchain) } else { r.toolchain.clone() };
        match &r.cell {
            Cell::NotJudged { reason } => println!("  {toolchain:<24} {:<16} not judged: {reason}", r.flags),
            Cell::Judged { exec_sections, verdicts, runs } => {
                println!("  {toolchain:<24} {:<16} exec sections {}", r.flags, exec_sections.join(" + "));
                for v in verdicts {
                    let what = if v.good {
                        "loads".to_string()
                    } else {
                        v.failure_text().unwrap_or_else(|| "does not load".into())
                    };
                    let warn = if v.warnings.is_empty() {
                        String::new()
                    } else {
                        format!("; WARN: {}", v.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>().join("; "))
                    };
                    println!("      at {:#x}: {what}{warn}", v.load_addr);
                    if let Some(run) = runs.iter().find(|run| run.load_addr == v.load_addr) {
                        println!("        run: {}", run.outcome);
                    }
                }
            }
        }
    }
    for c in causes {
        println!(
            "{} root cause {}: {} ({})",
            if c.new { "new" } else { "known" },
            c.fingerprint,
            c.title,
            c.dir.display()
        );
    }
}
