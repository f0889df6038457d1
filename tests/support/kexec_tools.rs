//! The kexec-tools-shaped tree of tests/fixtures/kexec-tools-tree, copied where a test builds it, with the
//! purgatory of tests/fixtures/run_purgatory.c its purgatory.c includes.

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn kexec_tools_tree(dir: &Path) -> PathBuf {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let src = dir.join("kexec-tools");
    let status = Command::new("cp").arg("-a").arg(fixtures.join("kexec-tools-tree")).arg(&src).status().unwrap();
    assert!(status.success(), "cp -a the kexec-tools fixture tree");
    std::fs::copy(fixtures.join("run_purgatory.c"), src.join("purgatory/run_purgatory.c")).unwrap();
    src
}
