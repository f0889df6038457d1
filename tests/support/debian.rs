//! Debian packages for tests: `apt-get download` into the kreloc cache (`debs/`), once, atomically; a failed
//! download fails the test with apt's reason.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The kreloc cache directory (`$XDG_CACHE_HOME/kreloc`, default `~/.cache/kreloc`).
pub fn cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache"))
        .join("kreloc")
}

fn debs_dir() -> PathBuf {
    let dir = cache_dir().join("debs");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn output(cmd: &mut Command, what: &str) -> std::process::Output {
    cmd.output().unwrap_or_else(|e| panic!("{what} could not start (a Debian system with apt is needed): {e}"))
}

/// The package `linux-image-amd64` depends on, e.g. `linux-image-6.1.0-57-amd64`.
pub fn kernel_package() -> String {
    let find = || {
        let out = output(Command::new("apt-cache").args(["depends", "linux-image-amd64"]), "apt-cache");
        String::from_utf8_lossy(&out.stdout).lines().find_map(|l| {
            l.trim().strip_prefix("Depends: ").filter(|p| p.starts_with("linux-image-")).map(str::to_string)
        })
    };
    find()
        .or_else(|| {
            apt_update();
            find()
        })
        .expect("apt-cache depends linux-image-amd64 names no linux-image package, even after apt-get update")
}

pub fn apt_update() {
    // Test processes may update at once: apt refuses a second one while the lists are locked.
    let _one_update = kreloc_atomic::lock(&debs_dir().join("apt-update")).unwrap();
    let out =
        output(Command::new("apt-get").args(["-o", "DPkg::Lock::Timeout=600", "update", "-qq"]), "apt-get update");
    assert!(out.status.success(), "apt-get update failed: {}", String::from_utf8_lossy(&out.stderr).trim());
}

/// The cached `.deb` of `package`, downloaded (atomically, into the cache) unless present.
pub fn deb(package: &str) -> PathBuf {
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
    // The file name carries the version, unknown before the download: one download per package at a time,
    // the others wait and find it.
    let _one_download = kreloc_atomic::lock(&dir.join(package)).unwrap();
    if let Some(p) = cached(&dir) {
        return p;
    }
    let part = tempfile::tempdir_in(&dir).unwrap();
    let download =
        || output(Command::new("apt-get").args(["download", package]).current_dir(part.path()), "apt-get download");
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
pub fn unpack(deb: &Path, into: &Path, subdir: &str, prefix: &str) -> PathBuf {
    let out = output(Command::new("dpkg-deb").arg("-x").arg(deb).arg(into), "dpkg-deb");
    assert!(out.status.success(), "dpkg-deb -x {}: {}", deb.display(), String::from_utf8_lossy(&out.stderr));
    std::fs::read_dir(into.join(subdir))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .unwrap_or_else(|| panic!("{} holds no {subdir}/{prefix}*", deb.display()))
}

/// Debian's linux-source-6.1, unpacked once into `<cache>/linux-source/<deb>/linux-source-6.1`.
pub fn linux_source_tree() -> PathBuf {
    linux_source_tree_of("6.1")
}

/// Debian's `linux-source-<release>` (6.1, 6.12), unpacked once into
/// `<cache>/linux-source/<deb>/linux-source-<release>`.
pub fn linux_source_tree_of(release: &str) -> PathBuf {
    let package = format!("linux-source-{release}");
    let deb = deb(&package);
    let root = cache_dir().join("linux-source").join(deb.file_stem().unwrap());
    // Several tests (and test processes) may want it at once on an empty cache: one unpacks, the others
    // wait for it.
    kreloc_atomic::fill_dir(&root, |part| {
        let script = "dpkg-deb --fsys-tarfile \"$1\" | tar -xO ./usr/src/$3.tar.xz | tar -xJ -C \"$2\"";
        let out = output(
            Command::new("sh").args(["-c", script, "sh"]).arg(&deb).arg(part).arg(&package),
            "unpacking linux-source",
        );
        out.status
            .success()
            .then_some(())
            .ok_or_else(|| format!("unpacking {}: {}", deb.display(), String::from_utf8_lossy(&out.stderr)))
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let tree = root.join(&package);
    assert!(tree.join("Makefile").exists(), "{} holds no Makefile", tree.display());
    tree
}

/// Debian's own kernel config, `/boot/config-<version>-amd64` of the `linux-image` package `linux-image-amd64`
/// depends on (6.1 in bookworm), extracted once into the cache.
pub fn kernel_config() -> PathBuf {
    let deb = deb(&kernel_package());
    let root = cache_dir().join("kernel-config").join(deb.file_stem().unwrap());
    // Only the config, not the image's modules.
    kreloc_atomic::fill_dir(&root, |part| {
        let script = "dpkg-deb --fsys-tarfile \"$1\" | tar -x -C \"$2\" --wildcards './boot/config-*'";
        let out = output(Command::new("sh").args(["-c", script, "sh"]).arg(&deb).arg(part), "unpacking the config");
        out.status
            .success()
            .then_some(())
            .ok_or_else(|| format!("unpacking {}: {}", deb.display(), String::from_utf8_lossy(&out.stderr)))
    })
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::read_dir(root.join("boot"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("config-"))
        .unwrap_or_else(|| panic!("{} holds no boot/config-*", deb.display()))
}
