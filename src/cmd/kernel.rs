//! `kreloc kernel`: build a Linux tree's own purgatory with each toolchain, under the tree's flags and under
//! each historical flag set (substituted for PURGATORY_CFLAGS), and judge every purgatory.ro.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use kreloc_toolchains::config::{self, CodeModel, CompileConfig, Dialect, KernelFlag};
use kreloc_toolchains::identity::Kind;
use kreloc_toolchains::process::Child;
use kreloc_toolchains::{Family, Toolchain};
use serde::Serialize;

use super::exit::{self, cannot_test};
use kreloc_cli::parse_addr;

const MAKE_TIMEOUT: Duration = Duration::from_secs(1800);

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
    #[arg(long, short, value_parser = kreloc_cli::values::ProfileName)]
    pub profile: Option<String>,
    /// Load addresses (default: seed 001's 0x13fffb000 and seed 000's 0x17f7affd000)
    #[arg(long = "at", value_parser = parse_addr)]
    pub at: Vec<u64>,
    /// Where the per-toolchain build trees go (default: the kreloc cache)
    #[arg(long)]
    pub build_dir: Option<PathBuf>,
}

/// What one (toolchain, flag set) cell gave.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
enum Cell {
    /// purgatory.ro was built and judged.
    Judged { exec_sections: Vec<String>, verdicts: Vec<kreloc_oracle::Verdict> },
    /// The build failed (a flag the compiler lacks, an old compiler): not judged.
    NotJudged { reason: String },
}

#[derive(Debug, Serialize)]
struct Row {
    toolchain: String,
    flags: String,
    #[serde(flatten)]
    cell: Cell,
}

/// Runs `kreloc kernel`: exit 0 when every judged purgatory loads everywhere, 1 otherwise, 125 on setup failure.
pub fn kernel(a: &KernelArgs, json: bool) -> i32 {
    match run(a, json) {
        Ok(rows) => {
            let bad = rows.iter().any(|r| matches!(&r.cell, Cell::Judged { verdicts, .. } if verdicts.iter().any(|v| !v.good || !v.warnings.is_empty())));
            if bad {
                exit::BAD
            } else {
                exit::GOOD
            }
        }
        Err(e) => cannot_test(e),
    }
}

fn run(a: &KernelArgs, json: bool) -> Result<Vec<Row>, String> {
    let (major, minor) = tree_version(&a.src)?;
    let profile_name = a.profile.clone().unwrap_or_else(|| format!("linux-x86_64@{major}.{minor}"));
    let profile = super::input::profile(&profile_name)?;
    let addresses = if a.at.is_empty() { vec![0x1_3fff_b000, 0x17f_7aff_d000] } else { a.at.clone() };
    let flag_sets: Vec<(String, Option<CompileConfig>)> = a
        .configs
        .iter()
        .map(|name| match name.as_str() {
            "tree" => Ok((name.clone(), None)),
            n => config::named(n).filter(|c| c.year.is_some()).map(|c| (name.clone(), Some(c.config()))).ok_or_else(|| format!("'{n}' is not a kernel flag set (tree, or a config with a year: kreloc toolchains list)")),
        })
        .collect::<Result<_, _>>()?;
    let bar = progress(!json, (a.toolchains.len() * flag_sets.len()) as u64);
    let mut rows = Vec::new();
    for spec in &a.toolchains {
        let tc = kreloc_toolchains::resolve(spec).map_err(|e| format!("{spec}: {e}"))?;
        let dialect = match (&tc.kind, tc.family) {
            (Kind::AptGcc | Kind::AptClang | Kind::Path, Family::Gcc) => Dialect::Gcc,
            (Kind::AptGcc | Kind::AptClang | Kind::Path, Family::Llvm) => Dialect::Clang,
            _ => return Err(format!("{spec}: kreloc kernel drives gcc and clang only")),
        };
        let out = build_dir(a, &tc, (major, minor));
        bar.set_message(format!("{}: make defconfig", tc.id()));
        configure(&a.src, &out, &tc)?;
        for (name, cfg) in &flag_sets {
            bar.set_message(format!("{}: {name}", tc.id()));
            let cell = match build(&a.src, &out, &tc, cfg.as_ref().map(|c| make_overrides(c, dialect))) {
                Ok(bytes) => judge(&bytes, &*profile, &addresses)?,
                Err(reason) => Cell::NotJudged { reason },
            };
            rows.push(Row { toolchain: tc.id(), flags: name.clone(), cell });
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    print(&rows, &profile.name(), &a.src, json);
    Ok(rows)
}

/// A bar over the cells (indicatif hides it when stderr is not a terminal).
fn progress(show: bool, cells: u64) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(cells);
    bar.set_style(indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} [{elapsed}] {msg}").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()));
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// `VERSION` and `PATCHLEVEL` of the tree's Makefile.
fn tree_version(src: &Path) -> Result<(u32, u32), String> {
    let makefile = src.join("Makefile");
    let text = std::fs::read_to_string(&makefile).map_err(|e| format!("{}: {e} (is --src a Linux tree?)", makefile.display()))?;
    let field = |k: &str| text.lines().find_map(|l| l.strip_prefix(k)?.trim_start().strip_prefix('=')?.trim().parse::<u32>().ok());
    Ok((field("VERSION").ok_or("the Makefile has no VERSION")?, field("PATCHLEVEL").ok_or("the Makefile has no PATCHLEVEL")?))
}

/// One build tree per (source tree, toolchain), so `make` only rebuilds purgatory when flags change.
fn build_dir(a: &KernelArgs, tc: &Toolchain, (major, minor): (u32, u32)) -> PathBuf {
    let src = std::fs::canonicalize(&a.src).unwrap_or_else(|_| a.src.clone());
    let key: u64 = src.to_string_lossy().bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    a.build_dir.clone().unwrap_or_else(|| kreloc_toolchains::dirs::cache_root().join("kernel")).join(format!("{major}.{minor}-{key:016x}")).join(tc.id())
}

fn make(src: &Path, out: &Path, tc: &Toolchain) -> Child {
    Child::new("make", MAKE_TIMEOUT).current_dir(src).arg(format!("O={}", out.display())).arg(format!("CC={}", tc.exe.display())).arg("-s")
}

fn run_make(child: Child, what: &str) -> Result<(), String> {
    let out = child.run().map_err(|e| format!("{what}: {e}"))?;
    if out.success() {
        return Ok(());
    }
    let stderr = out.stderr_text();
    let tail: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).rev().take(3).collect();
    Err(format!("{what} failed{}: {}", if out.timed_out { " (timed out)" } else { "" }, tail.into_iter().rev().collect::<Vec<_>>().join(" | ")))
}

/// `make defconfig` with CONFIG_KEXEC_FILE=y, once per build tree (a stamp marks a finished one).
fn configure(src: &Path, out: &Path, tc: &Toolchain) -> Result<(), String> {
    let stamp = out.join(".kreloc-configured");
    if stamp.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    run_make(make(src, out, tc).arg("defconfig"), "make defconfig")?;
    let enable = Child::new(src.join("scripts/config"), MAKE_TIMEOUT).arg("--file").arg(out.join(".config")).args(["--enable", "KEXEC_FILE"]);
    run_make(enable, "scripts/config --enable KEXEC_FILE")?;
    run_make(make(src, out, tc).arg("olddefconfig"), "make olddefconfig")?;
    std::fs::write(&stamp, tc.id()).map_err(|e| format!("{}: {e}", stamp.display()))
}

/// PURGATORY_CFLAGS and PURGATORY_CFLAGS_REMOVE for a historical flag set: its flags replace the tree's, and
/// the tree's removals stay except those of options the set itself carries (the leak it reproduces).
fn make_overrides(cfg: &CompileConfig, dialect: Dialect) -> [String; 2] {
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
    [format!("PURGATORY_CFLAGS={}", cfg.c_flags_for(dialect).join(" ")), format!("PURGATORY_CFLAGS_REMOVE={}", remove.join(" "))]
}

/// `make arch/x86/purgatory/` (with the overrides) and the resulting purgatory.ro.
fn build(src: &Path, out: &Path, tc: &Toolchain, overrides: Option<[String; 2]>) -> Result<Vec<u8>, String> {
    let ro = out.join("arch/x86/purgatory/purgatory.ro");
    let _ = std::fs::remove_file(&ro);
    run_make(make(src, out, tc).arg("arch/x86/purgatory/").args(overrides.into_iter().flatten()), "make arch/x86/purgatory/")?;
    std::fs::read(&ro).map_err(|e| format!("{}: {e}", ro.display()))
}

fn judge(bytes: &[u8], profile: &dyn kreloc_oracle::Profile, addresses: &[u64]) -> Result<Cell, String> {
    let obj = kreloc_oracle::parse(bytes).map_err(|e| format!("purgatory.ro: {e}"))?;
    let exec_sections = obj.sections.iter().filter(|s| s.is_alloc() && s.is_exec() && s.size > 0).map(|s| s.name.to_string()).collect();
    Ok(Cell::Judged { exec_sections, verdicts: addresses.iter().map(|&at| kreloc_oracle::load(&obj, profile, at)).collect() })
}

fn print(rows: &[Row], profile: &str, src: &Path, json: bool) {
    if json {
        let doc = serde_json::json!({ "src": src, "profile": profile, "cells": rows });
        kreloc_cli::json::print(&doc);
        return;
    }
    println!("purgatory.ro of {} under {profile}:", src.display());
    for r in rows {
        match &r.cell {
            Cell::NotJudged { reason } => println!("  {:<24} {:<16} not judged: {reason}", r.toolchain, r.flags),
            Cell::Judged { exec_sections, verdicts } => {
                println!("  {:<24} {:<16} exec sections {}", r.toolchain, r.flags, exec_sections.join(" + "));
                for v in verdicts {
                    let what = if v.good { "loads".to_string() } else { v.failure_text().unwrap_or_else(|| "does not load".into()) };
                    let warn = if v.warnings.is_empty() { String::new() } else { format!("; WARN: {}", v.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>().join("; ")) };
                    println!("      at {:#x}: {what}{warn}", v.load_addr);
                }
            }
        }
    }
}
