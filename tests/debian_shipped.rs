//! The purgatories Debian ships: the kernel that `linux-image-amd64` depends on, and kexec-tools. Both
//! packages are fetched with `apt-get download` (cached under the kreloc cache dir) and checked at the two
//! crashkernel addresses of the seeds. A failed download fails the test with apt's reason.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

#[path = "support/debian.rs"]
mod debian;

use std::path::Path;
use std::process::Command;

use debian::{deb, kernel_package, unpack};

const ADDRESSES: [&str; 2] = ["0x13fffb000", "0x17f7affd000"];

fn kreloc_json(args: &[&str], file: &Path) -> (i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_kreloc")).arg("--json").args(args).arg(file).output().unwrap();
    let doc =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), doc)
}

/// `kreloc check FILE --at LOW --at HIGH` loads at both, under `profile` (chosen by kreloc from the file).
fn assert_loads_at_both(file: &Path, profile: &str) {
    let mut args = vec!["check"];
    for a in ADDRESSES {
        args.extend(["--at", a]);
    }
    let (code, doc) = kreloc_json(&args, file);
    assert_eq!(doc["profile"], profile, "{doc}");
    assert_eq!(doc["verdicts"].as_array().map(Vec::len), Some(2), "{doc}");
    for v in doc["verdicts"].as_array().unwrap() {
        assert_eq!(v["ok"], true, "{}: {v}", file.display());
        // The whole load: every symbol step of the real loader (kexec-tools' arch_update_purgatory included).
        assert_eq!(v["good"], true, "{}: {}", file.display(), v["stages"]);
        let stages = v["stages"].as_object().unwrap();
        assert_eq!(stages.contains_key("arch_symbols"), profile.starts_with("kexec-tools"), "{}", v["stages"]);
        for (stage, st) in stages {
            assert_eq!(st["passed"], true, "{}: {stage}: {}", file.display(), v["stages"]);
        }
    }
    assert_eq!(code, 0);
}

#[test]
fn debians_kernel_purgatory_loads_above_4gib() {
    let package = kernel_package();
    let release = package.strip_prefix("linux-image-").unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let vmlinuz = unpack(&deb(&package), dir.path(), "boot", "vmlinuz-");

    let (code, doc) = kreloc_json(&["extract"], &vmlinuz);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["extracted"]["container"], "bz-image", "{doc}");
    assert_eq!(doc["extracted"]["origin"]["release"], release.as_str(), "{doc}");

    let series: Vec<&str> = release.split(['.', '-']).take(2).collect();
    let profile = kreloc_oracle::parse_profile(&format!("linux-x86_64@{}", series.join("."))).unwrap();
    assert_loads_at_both(&vmlinuz, profile.name().as_ref());
}

#[test]
fn debians_kexec_tools_purgatory_loads_above_4gib() {
    let dir = tempfile::tempdir().unwrap();
    let kexec = unpack(&deb("kexec-tools"), dir.path(), "sbin", "kexec");
    let (code, doc) = kreloc_json(&["extract"], &kexec);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["extracted"]["origin"]["origin"], "kexec-tools", "{doc}");
    assert_loads_at_both(&kexec, "kexec-tools-x86_64");
}
