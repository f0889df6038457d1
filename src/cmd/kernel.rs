//! `kreloc kernel`: build a Linux tree's own purgatory with each toolchain, under the tree's flags and under
//! each historical flag set (substituted for PURGATORY_CFLAGS), and judge every purgatory.ro (kreloc-trees
//! builds, judges and stores; this renders).

use std::path::{Path, PathBuf};

use clap::Args;
use kreloc_cli::exit::Code;
use kreloc_cli::parse_addr;
use kreloc_oracle::ProfileId;
use kreloc_trees::findings::Stored;
use kreloc_trees::{CellOutcome, Cells, FlagSet, Tree};

use super::exit;

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

/// Runs `kreloc kernel`: exit 0 when every judged purgatory loads everywhere, 1 otherwise, 125 on setup failure.
pub fn kernel(a: &KernelArgs, json: bool) -> i32 {
    let tree = kreloc_trees::linux::open(
        &a.src,
        a.profile,
        a.run.at.clone(),
        a.run.build_dir.clone(),
        a.kconfig.as_deref(),
        a.llvm,
    );
    finish(&a.run.out, tree.and_then(|tree| matrix(tree, &a.toolchains, &a.configs, json)), json)
}

/// The tree's cells under the named flag sets.
pub fn matrix(tree: Tree, toolchains: &[String], configs: &[String], json: bool) -> Result<Cells, kreloc_trees::Error> {
    let sets = configs.iter().map(|c| FlagSet::parse(c)).collect::<Result<Vec<_>, _>>()?;
    kreloc_trees::cells(tree, toolchains, &sets, !json)
}

/// Stores the cells' root causes, prints them and gives the exit code (shared by `kreloc kexec-tools`).
pub fn finish(out: &Path, cells: Result<Cells, kreloc_trees::Error>, json: bool) -> i32 {
    match cells {
        Ok(cells) => {
            let causes = kreloc_trees::findings::record(out, &cells).unwrap_or_else(|e| {
                eprintln!("kreloc: warning: root causes not stored in {}: {e}", out.display());
                Vec::new()
            });
            print(&cells, &causes, json);
            if cells.rows.iter().any(|r| r.is_bad()) {
                exit::BAD
            } else {
                exit::GOOD
            }
        }
        Err(e) => kreloc_cli::json::error(Code::from(&e), e),
    }
}

fn print(cells: &Cells, causes: &[Stored], json: bool) {
    let Cells { tree, rows } = cells;
    if json {
        let doc = serde_json::json!({ "src": tree.src, "version": tree.version, "profile": tree.profile, "kconfig": tree.kconfig, "llvm": tree.llvm, "cells": rows, "root_causes": causes });
        kreloc_cli::json::print(&doc);
        return;
    }
    let config = tree.kconfig.as_ref().map_or("defconfig".into(), |k| k.display().to_string());
    let llvm = if tree.llvm { ", LLVM=1 for clang" } else { "" };
    println!("purgatory.ro of {} ({}, {config}{llvm}) under {}:", tree.src.display(), tree.version, tree.profile);
    for r in rows {
        let toolchain = if r.llvm { format!("{}+llvm", r.toolchain) } else { r.toolchain.to_string() };
        let flags = r.flags.to_string();
        match &r.cell {
            CellOutcome::NotJudged { reason } => println!("  {toolchain:<24} {flags:<16} not judged: {reason}"),
            CellOutcome::Judged { exec_sections, verdicts, runs } => {
                println!("  {toolchain:<24} {flags:<16} exec sections {}", exec_sections.join(" + "));
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
