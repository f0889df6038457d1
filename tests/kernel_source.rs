//! The real purgatory, built from Debian's linux-source-6.1 (apt-get download, unpacked once into the kreloc
//! cache) with gcc-12 and clang-19, under the tree's own flags and the 2018 and 2019 ones: seeds 000 and 001
//! come back from real sources, as root causes in the campaign's finding store that `kreloc report` and
//! `kreloc triage` see. Build trees (defconfig + CONFIG_KEXEC_FILE=y) are cached too.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

#[path = "support/debian.rs"]
mod debian;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use kreloc_campaign::attribute::{RootCause, Step};
use kreloc_campaign::change::{Change, RelocFault};

const HIGH: &str = "0x17f7affd000";

/// The tests share the cached build trees: one make at a time.
static BUILDS: Mutex<()> = Mutex::new(());

/// Seed 001 as the campaign fingerprints it: clang-19's code moves into .ltext under the 2018 flags.
fn seed_001() -> RootCause {
    RootCause {
        step: Step::Config { config: "kernel-2018".into() },
        change: Change::NewExecSection { sections: vec![".ltext".into()] },
    }
}

/// Seed 000: the 2019 flags make an R_X86_64_32S that overflows above 2 GiB.
fn seed_000() -> RootCause {
    RootCause {
        step: Step::Config { config: "kernel-2019".into() },
        change: Change::Relocation { r_type: 11, type_name: "R_X86_64_32S".into(), fault: RelocFault::Overflow },
    }
}

fn kreloc(args: &[&str], store: &Path) -> (Option<i32>, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_kreloc")).args(args).arg(store).output().unwrap();
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("kreloc {args:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), doc)
}

/// The unpacked tree, `<cache>/linux-source/<deb>/linux-source-6.1`.
fn tree() -> PathBuf {
    debian::linux_source_tree()
}

#[test]
fn real_purgatory_reproduces_seed_000_and_seed_001_into_the_store_and_triage() {
    let tree = tree();
    let store = tempfile::tempdir().unwrap();
    let _builds = BUILDS.lock().unwrap_or_else(|e| e.into_inner());
    let out = Command::new(env!("CARGO_BIN_EXE_kreloc"))
        .args(["--json", "kernel", "--src"])
        .arg(&tree)
        .args([
            "--toolchains",
            "gcc@12,clang-19",
            "--configs",
            "tree,kernel-2018,kernel-2019",
            "--profile",
            "linux-x86_64@6.6",
            "--at",
            HIGH,
            "--out",
        ])
        .arg(store.path())
        .output()
        .unwrap();
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(1), "the 2019 flags must fail: {doc}");
    let cell = |tc: &str, flags: &str| {
        doc["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["toolchain"].as_str().unwrap().starts_with(tc) && c["flags"] == flags)
            .cloned()
            .unwrap_or_else(|| panic!("no cell {tc} {flags}: {doc}"))
    };
    let sections = |c: &serde_json::Value| {
        c["exec_sections"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
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
        let printed: kreloc_oracle::LoaderMessage =
            serde_json::from_value(leak["verdicts"][0]["messages"][0].clone()).expect("a typed loader message");
        assert_eq!(printed.to_string(), "kexec: Overflow in relocation type 11 value 0x17f7b000000", "{tc}");
    }
    // Seed 001: clang-19 with -mcmodel=large -fno-pic puts code in .text and .ltext, and the kernel WARNs.
    let large = cell("llvm-19", "kernel-2018");
    assert_eq!(sections(&large), [".text", ".ltext"], "{large}");
    assert!(large["verdicts"][0]["warnings"].to_string().contains(".ltext"), "{large}");
    // gcc-12 keeps one .text under the same flags and loads.
    let gcc_large = cell("gcc-12", "kernel-2018");
    assert_eq!(
        (sections(&gcc_large), &gcc_large["verdicts"][0]["ok"]),
        (vec![".text".to_string()], &serde_json::json!(true))
    );

    // Both seeds are root causes in the store, new, with what rebuilds them; nothing else is.
    let mut stored: Vec<String> =
        doc["root_causes"].as_array().unwrap().iter().map(|c| c["fingerprint"].as_str().unwrap().to_string()).collect();
    stored.sort();
    let mut expected = vec![seed_000().fingerprint(), seed_001().fingerprint()];
    expected.sort();
    assert_eq!(stored, expected, "{}", doc["root_causes"]);
    assert!(doc["root_causes"].as_array().unwrap().iter().all(|c| c["new"] == true), "{}", doc["root_causes"]);
    let finding = |cause: &RootCause| store.path().join("findings").join(cause.fingerprint());
    let case = finding(&seed_000()).join("kernel/linux-6.1.192-kernel-2019");
    let make = std::fs::read_to_string(case.join("report.md")).unwrap();
    assert!(make.contains("PURGATORY_CFLAGS=-mcmodel=kernel") && make.contains("arch/x86/purgatory/"), "{make}");
    assert!(std::fs::read_to_string(case.join("loader.txt"))
        .unwrap()
        .contains("Overflow in relocation type 11 value 0x17f7b000000"));
    assert!(case.join("objects").read_dir().unwrap().count() >= 1, "no purgatory.ro kept");

    // kreloc report lists them, each as one program (the tree and its flag set).
    let (code, report) = kreloc(&["--json", "report"], store.path());
    assert_eq!(code, Some(0), "{report}");
    let causes = report["causes"].as_array().unwrap();
    assert_eq!(causes.len(), 2, "{report}");
    for c in causes {
        assert_eq!(c["programs"], 1, "{c}");
        assert!(c["smallest"][0][0].as_str().unwrap().starts_with("linux-6.1.192-kernel-201"), "{c}");
    }

    // kreloc triage: no reduction of a real tree; the culprit flag between the nearest flag set without the
    // problem (fewest flags changed) and the set that shows it.
    let (code, t) = kreloc(&["--json", "triage"], &finding(&seed_001()));
    assert_eq!(code, Some(0), "{t}");
    // The nearest flag set without .ltext is kernel-2019 (fewest flags changed); either way the code model is
    // to blame, and the culprit names -mcmodel=large.
    let culprit = t["flags"]["culprit"].as_array().unwrap();
    assert!(culprit.len() == 1 && culprit[0].as_str().unwrap().ends_with("-> -mcmodel=large"), "{t}");
    assert_eq!(t["flags"]["toolchain"].as_str().unwrap().split('-').next(), Some("llvm"), "{t}");
    assert_eq!(t["stages"][0]["status"], "skipped", "{t}");
    assert!(t["kernel"]["bad_commands"].to_string().contains("CC=/usr/bin/clang-19"), "{t}");
    let (code, t) = kreloc(&["--json", "triage"], &finding(&seed_000()));
    assert_eq!(code, Some(0), "{t}");
    // Seed 000's open question, which flag was to blame: 2018 → 2019 changed the code model.
    assert_eq!(
        (t["flags"]["good_config"].as_str(), t["flags"]["bad_config"].as_str()),
        (Some("kernel-2018"), Some("kernel-2019")),
        "{t}"
    );
    assert_eq!(t["flags"]["culprit"], serde_json::json!(["-mcmodel=large -> -mcmodel=kernel"]), "{t}");
    let md = std::fs::read_to_string(finding(&seed_000()).join("triage.md")).unwrap();
    assert!(md.contains("## Rebuild (Linux 6.1.192") && md.contains("Overflow in relocation type 11"), "{md}");
    let (_, report) = kreloc(&["--json", "report"], store.path());
    assert!(report["causes"].as_array().unwrap().iter().all(|c| c["triage"]["culprit_flags"].is_string()), "{report}");
}

#[test]
fn a_cause_generated_programs_showed_is_one_more_sighting_from_the_real_tree() {
    let tree = tree();
    let store = tempfile::tempdir().unwrap();
    let (code, campaign) = kreloc(
        &["--json", "fuzz", "--configs", "kernel-2018,kernel-2019", "--count", "4", "--no-exec", "--out"],
        store.path(),
    );
    assert_eq!(code, Some(1), "the campaign finds both seeds: {campaign}");
    let finding = store.path().join("findings").join(seed_000().fingerprint());
    assert!(finding.join("cause.json").is_file(), "{campaign}");
    let before = std::fs::read_dir(store.path().join("findings")).unwrap().count();
    let _builds = BUILDS.lock().unwrap_or_else(|e| e.into_inner());
    let tree_arg = tree.to_str().unwrap();
    let (_, doc) = kreloc(
        &[
            "--json",
            "kernel",
            "--src",
            tree_arg,
            "--toolchains",
            "gcc@12",
            "--configs",
            "tree,kernel-2019",
            "--profile",
            "linux-x86_64@6.6",
            "--at",
            HIGH,
            "--out",
        ],
        store.path(),
    );
    let causes = doc["root_causes"].as_array().unwrap();
    assert_eq!(causes.len(), 1, "{doc}");
    assert_eq!(
        (causes[0]["fingerprint"].as_str(), &causes[0]["new"]),
        (Some(seed_000().fingerprint().as_str()), &serde_json::json!(false)),
        "{doc}"
    );
    assert_eq!(
        std::fs::read_dir(store.path().join("findings")).unwrap().count(),
        before,
        "no second finding for the same cause"
    );
    let s = kreloc_campaign::store::summarize(&finding).unwrap();
    let programs: Vec<String> =
        kreloc_campaign::store::sightings(&finding).unwrap().into_iter().map(|s| s.program).collect();
    assert!(programs.iter().any(|p| p == "linux-6.1.192-kernel-2019"), "{programs:?}");
    assert!(s.programs >= 2, "generated programs and the tree: {s:?}");
}
