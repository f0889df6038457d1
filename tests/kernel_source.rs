//! The real purgatory, built from Debian's linux-source-6.1 (apt-get download, unpacked once into the kreloc
//! cache) with gcc-12 and clang-19, under the tree's own flags and the 2018 and 2019 ones: seeds 000 and 001
//! come back from real sources. Build trees (defconfig + CONFIG_KEXEC_FILE=y) are cached too.

#[path = "support/debian.rs"]
mod debian;

use std::path::PathBuf;
use std::process::Command;

const HIGH: &str = "0x17f7affd000";

/// The unpacked tree, `<cache>/linux-source/<deb>/linux-source-6.1`.
fn tree() -> PathBuf {
    let deb = debian::deb("linux-source-6.1");
    let root = debian::cache_dir().join("linux-source").join(deb.file_stem().unwrap());
    let tree = root.join("linux-source-6.1");
    if tree.join("Makefile").exists() {
        return tree;
    }
    let part = root.with_extension("part");
    let _ = std::fs::remove_dir_all(&part);
    std::fs::create_dir_all(&part).unwrap();
    let script = "dpkg-deb --fsys-tarfile \"$1\" | tar -xO ./usr/src/linux-source-6.1.tar.xz | tar -xJ -C \"$2\"";
    let out = debian::output(Command::new("sh").args(["-c", script, "sh"]).arg(&deb).arg(&part), "unpacking linux-source");
    assert!(out.status.success(), "unpacking {}: {}", deb.display(), String::from_utf8_lossy(&out.stderr));
    std::fs::create_dir_all(root.parent().unwrap()).unwrap();
    std::fs::rename(&part, &root).unwrap();
    tree
}

#[test]
fn real_purgatory_reproduces_seed_000_and_seed_001() {
    let tree = tree();
    let out = Command::new(env!("CARGO_BIN_EXE_kreloc"))
        .args(["--json", "kernel", "--src"])
        .arg(&tree)
        .args(["--toolchains", "gcc@12,clang-19", "--configs", "tree,kernel-2018,kernel-2019", "--profile", "linux-x86_64@6.6", "--at", HIGH])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(1), "the 2019 flags must fail: {doc}");
    let cell = |tc: &str, flags: &str| {
        doc["cells"].as_array().unwrap().iter().find(|c| c["toolchain"].as_str().unwrap().starts_with(tc) && c["flags"] == flags).cloned().unwrap_or_else(|| panic!("no cell {tc} {flags}: {doc}"))
    };
    let sections = |c: &serde_json::Value| c["exec_sections"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect::<Vec<_>>();
    for tc in ["gcc-12", "llvm-19"] {
        // 6.1's own flags carry the 2024 fix: loads at seed 000's address, one exec section.
        let own = cell(tc, "tree");
        assert_eq!(own["outcome"], "judged", "{own}");
        assert_eq!(sections(&own), [".text"], "{tc}");
        assert_eq!(own["verdicts"][0]["ok"], true, "{tc}: {own}");
        assert_eq!(own["verdicts"][0]["warnings"].as_array().unwrap().len(), 0, "{tc}: {own}");
        // Seed 000: -mcmodel=kernel -fno-pic overflows a 32S at 0x17f7affd000, as the 2019 report says.
        let leak = cell(tc, "kernel-2019");
        assert_eq!(leak["verdicts"][0]["ok"], false, "{tc}: {leak}");
        let printed: kreloc_oracle::LoaderMessage = serde_json::from_value(leak["verdicts"][0]["messages"][0].clone()).expect("a typed loader message");
        assert_eq!(printed.to_string(), "kexec: Overflow in relocation type 11 value 0x17f7b000000", "{tc}");
    }
    // Seed 001: clang-19 with -mcmodel=large -fno-pic puts code in .text and .ltext, and the kernel WARNs.
    let large = cell("llvm-19", "kernel-2018");
    assert_eq!(sections(&large), [".text", ".ltext"], "{large}");
    assert!(large["verdicts"][0]["warnings"].to_string().contains(".ltext"), "{large}");
    // gcc-12 keeps one .text under the same flags and loads.
    let gcc_large = cell("gcc-12", "kernel-2018");
    assert_eq!((sections(&gcc_large), &gcc_large["verdicts"][0]["ok"]), (vec![".text".to_string()], &serde_json::json!(true)));
}
