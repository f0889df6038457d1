//! The purgatories Debian ships: the kernel that `linux-image-amd64` depends on, and kexec-tools. Both
//! packages are fetched with `apt-get download` (cached under the kreloc cache dir) and checked at the two
//! crashkernel addresses of the seeds. A failed download fails the test with apt's reason.

use std::path::{Path, PathBuf};
use std::process::Command;

const ADDRESSES: [&str; 2] = ["0x13fffb000", "0x17f7affd000"];

fn debs_dir() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache"));
    let dir = cache.join("kreloc/debs");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn output(cmd: &mut Command, what: &str) -> std::process::Output {
    cmd.output().unwrap_or_else(|e| panic!("{what} could not start (a Debian system with apt is needed): {e}"))
}

/// The package `linux-image-amd64` depends on, e.g. `linux-image-6.1.0-57-amd64`.
fn kernel_package() -> String {
    let find = || {
        let out = output(Command::new("apt-cache").args(["depends", "linux-image-amd64"]), "apt-cache");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.trim().strip_prefix("Depends: ").filter(|p| p.starts_with("linux-image-")).map(str::to_string))
    };
    find().or_else(|| {
        apt_update();
        find()
    })
    .expect("apt-cache depends linux-image-amd64 names no linux-image package, even after apt-get update")
}

fn apt_update() {
    let out = output(Command::new("apt-get").args(["update", "-qq"]), "apt-get update");
    assert!(out.status.success(), "apt-get update failed: {}", String::from_utf8_lossy(&out.stderr).trim());
}

/// The cached `.deb` of `package`, downloaded (atomically, into the cache) unless present.
fn deb(package: &str) -> PathBuf {
    let dir = debs_dir();
    let cached = |dir: &Path| {
        std::fs::read_dir(dir).unwrap().filter_map(Result::ok).map(|e| e.path()).find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with(&format!("{package}_")) && name.ends_with(".deb")
        })
    };
    if let Some(p) = cached(&dir) {
        return p;
    }
    let part = tempfile::tempdir_in(&dir).unwrap();
    let download = || output(Command::new("apt-get").args(["download", package]).current_dir(part.path()), "apt-get download");
    let mut out = download();
    if !out.status.success() {
        apt_update();
        out = download();
    }
    assert!(out.status.success(), "apt-get download {package} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    let got = cached(part.path()).unwrap_or_else(|| panic!("apt-get download {package} wrote no .deb"));
    let dest = dir.join(got.file_name().unwrap());
    std::fs::rename(&got, &dest).unwrap();
    dest
}

/// Unpacks `deb` and returns the path of `member` (a file name under `subdir`, matched by prefix).
fn unpack(deb: &Path, into: &Path, subdir: &str, prefix: &str) -> PathBuf {
    let out = output(Command::new("dpkg-deb").arg("-x").arg(deb).arg(into), "dpkg-deb");
    assert!(out.status.success(), "dpkg-deb -x {}: {}", deb.display(), String::from_utf8_lossy(&out.stderr));
    std::fs::read_dir(into.join(subdir))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .unwrap_or_else(|| panic!("{} holds no {subdir}/{prefix}*", deb.display()))
}

fn kreloc_json(args: &[&str], file: &Path) -> (i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_kreloc")).arg("--json").args(args).arg(file).output().unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
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
