//! Real compilers and linkers for the seed scenarios. Each must be installed by scripts/setup.sh;
//! a missing one fails the test loudly.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "../../oracle/tests/support/mod.rs"]
pub mod synth;

/// A test source; `purgatory.c` is kbisect's built-in case and lives in that crate.
pub fn fixture(name: &str) -> PathBuf {
    let dir = if name == "purgatory.c" { "bisect/fixtures" } else { "tests/fixtures" };
    Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join(name)
}

/// `$XDG_CACHE_HOME/kreloc/zig/<version>/ziglang/zig`, as scripts/setup.sh installs it.
pub fn zig(version: &str) -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache"));
    let zig = cache.join("kreloc/zig").join(version).join("ziglang/zig");
    assert!(zig.exists(), "zig {version} is missing at {}: run scripts/setup.sh", zig.display());
    zig
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what} could not start (run scripts/setup.sh): {e}"));
    assert!(out.status.success(), "{what} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// Compiles `src` with `cc` (a path or name, plus leading args such as `cc` for zig) and links it the way
/// the kernel links purgatory.ro: `ld -r -e purgatory_start -z nodefaultlib [-T script]`.
pub fn purgatory(dir: &Path, cc: &[&str], flags: &[&str], src: &Path, script: Option<&str>) -> Vec<u8> {
    let obj = dir.join("purgatory.o");
    let ro = dir.join("purgatory.ro");
    let (prog, pre) = cc.split_first().expect("compiler");
    run(
        Command::new(prog)
            .args(pre)
            .args(["-O2", "-ffreestanding", "-fno-zero-initialized-in-bss", "-c"])
            .args(flags)
            .arg(src)
            .arg("-o")
            .arg(&obj),
        prog,
    );
    let mut ld = Command::new("ld");
    ld.args(["-r", "-e", "purgatory_start", "-z", "nodefaultlib"]);
    if let Some(s) = script {
        let path = dir.join("purgatory.lds");
        std::fs::write(&path, s).unwrap();
        ld.arg("-T").arg(path);
    }
    run(ld.arg(&obj).arg("-o").arg(&ro), "ld -r");
    std::fs::read(&ro).unwrap()
}

pub fn zig_cc(version: &str) -> Vec<String> {
    vec![
        zig(version).to_string_lossy().into_owned(),
        "cc".into(),
        "-target".into(),
        "x86_64-freestanding-none".into(),
        "-g0".into(),
    ]
}

pub fn load(bytes: &[u8], profile: &str, at: u64) -> kreloc_oracle::Verdict {
    synth::load(bytes, profile, at)
}

pub fn section_names(bytes: &[u8]) -> Vec<String> {
    let obj = kreloc_oracle::parse(bytes).unwrap();
    obj.sections.iter().filter(|s| s.is_alloc()).map(|s| obj.name_of(s).to_string()).collect()
}
