//! `kbisect flags --good kernel-2024 --bad kbuild-all`: every independent reason the kernel's full
//! KBUILD_CFLAGS break purgatory, one 1-minimal cause each, with gcc-12.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::process::Command;

use kreloc_bisect::flags::{changes, FlagChange};

const CASE: &str = "../toolchains/tests/fixtures/kbuild_case.c";

fn strings(f: &[&str]) -> Vec<String> {
    f.iter().map(|s| s.to_string()).collect()
}

#[test]
fn kbuild_all_lists_each_cause_that_breaks_loading_on_gcc12() {
    let out = Command::new(env!("CARGO_BIN_EXE_kbisect"))
        .args(["--json", "flags", "--good", "kernel-2024", "--bad", "kbuild-all", "--cc", "gcc@12", "--case"])
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(CASE))
        .output()
        .unwrap();
    assert!(out.status.success(), "kbisect failed (run scripts/setup.sh): {}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let causes = doc["causes"].as_array().unwrap();
    let find = |flag: &str| {
        causes
            .iter()
            .find(|c| c["changes"].as_array().unwrap().iter().any(|ch| ch["flag"] == flag))
            .unwrap_or_else(|| panic!("no cause with +{flag}: {doc}"))
    };
    for (flag, symbol) in [
        ("-mfunction-return=thunk-extern", "__x86_return_thunk"),
        ("-pg -mfentry", "__fentry__"),
        ("-fstack-protector-strong", "__stack_chk_fail"),
        ("-mindirect-branch=thunk-extern -mindirect-branch-register", "__x86_indirect_thunk_rax"),
    ] {
        let cause = find(flag);
        // 1-minimal and independent: the flag (unit) alone is the cause.
        assert_eq!(cause["changes"].as_array().unwrap().len(), 1, "{cause}");
        let messages = cause["observation"]["messages"].to_string();
        assert!(messages.contains(&format!("Undefined symbol: {symbol}")), "{flag}: {messages}");
    }
    // Leaving -fpic breaks it too, in its own way (an absolute reference overflows at 0x17f7affd000).
    assert!(
        causes.iter().any(|c| c["observation"]["messages"].to_string().contains("Overflow in relocation")),
        "{doc}"
    );
    // The causes are disjoint.
    let mut seen = std::collections::BTreeSet::new();
    for c in causes {
        for ch in c["changes"].as_array().unwrap() {
            assert!(seen.insert(ch.to_string()), "{ch} in two causes");
        }
    }
}

#[test]
fn units_stay_together_and_negations_replace() {
    let good = strings(&["-fpic", "-O2", "-fno-stack-protector"]);
    let bad = strings(&["-fno-pic", "-O2", "-pg", "-mfentry", "-fstack-protector-strong"]);
    let c = changes(&good, &bad);
    assert!(c.contains(&FlagChange::Replace { from: "-fpic".into(), to: "-fno-pic".into() }), "{c:?}");
    assert!(c.contains(&FlagChange::Add { flag: "-pg -mfentry".into() }), "{c:?}");
    assert!(!c.iter().any(|x| matches!(x, FlagChange::Add { flag } if flag == "-mfentry")), "{c:?}");
    let applied = kreloc_bisect::flags::apply(&good, &c.iter().collect::<Vec<_>>());
    assert!(applied.contains(&"-pg".to_string()) && applied.contains(&"-mfentry".to_string()), "{applied:?}");
}
