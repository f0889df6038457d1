//! Debian's linux-source-6.1 built as Debian builds it: Debian's own config (`/boot/config-6.1.0-*-amd64` of
//! the linux-image package) through `make olddefconfig` with the signing keys cleared, under gcc-12 with GNU
//! binutils and clang-19 with LLVM=1 (ld.lld, llvm-objcopy of release 19). Each purgatory loads and runs; the
//! 2019 flags still overflow under the same config, so the verdicts are the oracle's and can fail. The build
//! trees are cached (keyed by the config) beside the defconfig ones of tests/kernel_source.rs.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

#[path = "support/debian.rs"]
mod debian;

use std::path::Path;
use std::process::Command;

const HIGH: u64 = 0x17f_7aff_d000;

/// `kreloc --json kernel --src TREE ARGS --configs tree,kernel-2019`: its document, once it exited 1 (the
/// 2019 flags must fail).
fn kernel(tree: &Path, args: &[&str], store: &Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_kreloc"))
        .args(["--json", "kernel", "--src"])
        .arg(tree)
        .args(args)
        .args(["--configs", "tree,kernel-2019", "--out"])
        .arg(store)
        .output()
        .unwrap();
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(1), "kernel-2019 must fail: {doc}");
    doc
}

#[test]
fn debian_config_purgatory_loads_and_runs_under_gcc12_and_clang19_with_llvm_binutils() {
    let tree = debian::linux_source_tree();
    let kconfig = debian::kernel_config();
    let store = tempfile::tempdir().unwrap();
    let kconfig_arg = kconfig.to_str().unwrap();
    let doc = kernel(&tree, &["--kconfig", kconfig_arg, "--llvm", "--toolchains", "gcc@12,clang-19"], store.path());
    assert_eq!(doc["kconfig"].as_str(), kconfig.canonicalize().unwrap().to_str(), "{doc}");
    let cells = doc["cells"].as_array().unwrap();
    let cell = |tc: &str, flags: &str| {
        cells
            .iter()
            .find(|c| c["toolchain"].as_str().unwrap().starts_with(tc) && c["flags"] == flags)
            .unwrap_or_else(|| panic!("no cell {tc} {flags}: {doc}"))
    };
    for (tc, llvm) in [("gcc-12", false), ("llvm-19", true)] {
        let own = cell(tc, "tree");
        assert_eq!((own["outcome"].as_str(), own["llvm"].as_bool()), (Some("judged"), Some(llvm)), "{own}");
        for v in own["verdicts"].as_array().unwrap() {
            assert_eq!(v["ok"], true, "{tc}: {v}");
            assert!(v["warnings"].as_array().unwrap().is_empty(), "{tc}: {v}");
        }
        let runs = own["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 2, "{tc}: {own}");
        assert!(runs.iter().all(|r| r["outcome"]["kind"] == "returned"), "{tc}: {own}");

        // The build tree holds Debian's config, not a defconfig: its options, the keys cleared, and for clang
        // LLVM's linker.
        let dir = Path::new(own["build_dir"].as_str().unwrap());
        let config = std::fs::read_to_string(dir.join(".config")).unwrap();
        for line in ["CONFIG_SLS=y", "CONFIG_RETHUNK=y", "CONFIG_MODULE_SIG=y", "CONFIG_SYSTEM_TRUSTED_KEYS=\"\""] {
            assert!(config.lines().any(|l| l == line), "{tc}: {line} missing from {}", dir.display());
        }
        assert_eq!(config.lines().any(|l| l == "CONFIG_LD_IS_LLD=y"), llvm, "{tc}: {}", dir.display());
        // Debian's SLS hardening reaches purgatory's compile (the Makefile does not remove it).
        let purgatory_o = std::fs::read_to_string(dir.join("arch/x86/purgatory/.purgatory.o.cmd")).unwrap();
        assert!(purgatory_o.contains("-mharden-sls=all"), "{tc}: {purgatory_o}");
        let link = std::fs::read_to_string(dir.join("arch/x86/purgatory/.purgatory.ro.cmd")).unwrap();
        assert_eq!(link.contains("ld.lld"), llvm, "{tc}: {link}");

        // Seed 000 under Debian's config: the 2019 flags overflow an R_X86_64_32S above 2 GiB.
        let leak = cell(tc, "kernel-2019");
        let high = leak["verdicts"].as_array().unwrap().iter().find(|v| v["load_addr"] == HIGH).unwrap();
        assert_eq!(high["ok"], false, "{tc}: {leak}");
        let printed: kreloc_oracle::LoaderMessage =
            serde_json::from_value(high["messages"][0].clone()).expect("a typed loader message");
        assert!(printed.to_string().starts_with("kexec: Overflow in relocation type 11"), "{tc}: {printed}");
    }
    // The finding names the tree, its config and LLVM=1.
    let causes = doc["root_causes"].as_array().unwrap();
    assert_eq!(causes.len(), 1, "{doc}");
    let cases = std::fs::read_dir(Path::new(causes[0]["dir"].as_str().unwrap()).join("kernel")).unwrap();
    let names: Vec<String> = cases.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    let config_name = kconfig.file_name().unwrap().to_string_lossy().into_owned();
    assert!(names.iter().any(|n| n.contains(&config_name) && n.ends_with("llvm-kernel-2019")), "{names:?}");
}

/// Debian's linux-source-6.12 beside 6.1: its purgatory (defconfig, the tree's own flags) loads and runs
/// under gcc-12 at both addresses, judged by the 6.12 loader; the 2019 flags overflow there too.
#[test]
fn debian_612_tree_is_built_and_judged_under_its_own_loader() {
    let tree = debian::linux_source_tree_of("6.12");
    let store = tempfile::tempdir().unwrap();
    let doc = kernel(&tree, &["--toolchains", "gcc@12"], store.path());
    assert!(doc["version"].as_str().unwrap().starts_with("6.12."), "{doc}");
    assert_eq!(doc["profile"], "linux-x86_64@6.12", "{doc}");
    let cells = doc["cells"].as_array().unwrap();
    let own = cells.iter().find(|c| c["flags"] == "tree").unwrap();
    assert_eq!(own["outcome"], "judged", "{own}");
    assert!(own["verdicts"].as_array().unwrap().iter().all(|v| v["ok"] == true), "{own}");
    assert!(own["runs"].as_array().unwrap().iter().all(|r| r["outcome"]["kind"] == "returned"), "{own}");
    let leak = cells.iter().find(|c| c["flags"] == "kernel-2019").unwrap();
    let high = leak["verdicts"].as_array().unwrap().iter().find(|v| v["load_addr"] == HIGH).unwrap();
    assert_eq!(high["ok"], false, "{leak}");
}
