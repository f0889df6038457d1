//! The code's form is part of CI: rustfmt (the committed `rustfmt.toml`) and clippy with warnings denied.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(dir: &Path, cargo_args: &[&str], target: Option<PathBuf>) {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(dir).args(cargo_args);
    if let Some(target) = target {
        cmd.env("CARGO_TARGET_DIR", target);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run cargo {}: {e}", cargo_args.join(" ")));
    assert!(
        out.status.success(),
        "`cargo {}` in {} failed:\n{}{}",
        cargo_args.join(" "),
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn workspace_and_fuzz_targets_are_formatted() {
    run(root(), &["fmt", "--all", "--check"], None);
    run(&root().join("fuzz"), &["fmt", "--check"], None);
}

#[test]
fn clippy_finds_nothing() {
    // Its own target directory: the running `cargo test` holds the lock on the one it built.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("clippy");
    run(root(), &["clippy", "--workspace", "--all-targets", "--quiet", "--", "-D", "warnings"], Some(target));
}
