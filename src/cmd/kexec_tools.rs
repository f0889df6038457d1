//! `kreloc kexec-tools`: build a kexec-tools tree's own purgatory (`purgatory/purgatory.ro`) with each
//! toolchain, under the tree's flags and under each named flag set (kexec-tools' eras, the kernel's), and
//! judge it as `kreloc kernel` judges a Linux tree's: the same cells, runs, root causes and triage.

use std::path::PathBuf;

use clap::Args;
use kreloc_oracle::ProfileId;

use super::kernel::{self, TreeRunArgs};

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
    pub profile: ProfileId,
    #[command(flatten)]
    pub run: TreeRunArgs,
}

/// Runs `kreloc kexec-tools`: exit codes as `kreloc kernel`'s.
pub fn kexec_tools(a: &KexecToolsArgs, json: bool) -> i32 {
    let tree = kreloc_trees::kexec_tools::open(&a.src, a.profile, a.run.at.clone(), a.run.build_dir.clone());
    kernel::finish(&a.run.out, tree.and_then(|tree| kernel::matrix(tree, &a.toolchains, &a.configs, json)), json)
}
