//! `kreloc kernel` runs each cell's real purgatory: Debian's linux-source-6.1 built with a wrapper around
//! gcc-12 that changes one SHA-256 round constant in the tree's lib/crypto/sha256.c (relocations untouched)
//! relocates fine but spins in its digest-failure loop, and that becomes the cell's root cause; gcc-12's own
//! cell runs and returns.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

#[path = "support/debian.rs"]
mod debian;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

/// The unpacked tree, `<cache>/linux-source/<deb>/linux-source-6.1`.
fn tree() -> PathBuf {
    debian::linux_source_tree()
}

/// gcc-12, except that the tree's lib/crypto/sha256.c is compiled with its first round constant changed. It
/// lives in the kreloc cache, so its build tree (keyed by the compiler's path) is reused from run to run.
fn sha256_miscompiling_gcc() -> PathBuf {
    let dir = debian::cache_dir().join("test-compilers");
    std::fs::create_dir_all(&dir).unwrap();
    let wrapper = dir.join("gcc-12-sha256-bug");
    let script = r#"#!/bin/bash
args=()
for a in "$@"; do
  case "$a" in
    */lib/crypto/sha256.c)
      bad="$(dirname "$0")/sha256-bug.c"
      sed 's/0x428a2f98/0x428a2f99/' "$a" > "$bad"
      grep -q 0x428a2f99 "$bad" || { echo "sha256.c has no round constant 0x428a2f98" >&2; exit 1; }
      args+=("$bad");;
    *) args+=("$a");;
  esac
done
exec gcc-12 "${args[@]}"
"#;
    // Written atomically: a concurrent run may be executing it.
    let part = dir.join(format!(".gcc-12-sha256-bug.{}", std::process::id()));
    std::fs::write(&part, script).unwrap();
    std::fs::set_permissions(&part, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::rename(&part, &wrapper).unwrap();
    wrapper
}

#[test]
fn a_miscompiled_sha256_relocates_fine_but_spins_and_is_the_cells_root_cause_while_gcc_12_runs_and_returns() {
    let tree = tree();
    let store = tempfile::tempdir().unwrap();
    let wrapper = sha256_miscompiling_gcc();
    let toolchains = format!("gcc@12,path:{}", wrapper.display());
    let out = Command::new(env!("CARGO_BIN_EXE_kreloc"))
        .args(["--json", "kernel", "--src"])
        .arg(&tree)
        .args(["--toolchains", &toolchains, "--configs", "tree", "--out"])
        .arg(store.path())
        .output()
        .unwrap();
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(1), "the wrapper's cell must be bad: {doc}");
    let cells = doc["cells"].as_array().unwrap();
    let cell = |wrapped: bool| {
        cells
            .iter()
            .find(|c| c["toolchain"].as_str().unwrap().contains("sha256-bug") == wrapped)
            .unwrap_or_else(|| panic!("{doc}"))
    };
    for (c, kind) in [(cell(false), "returned"), (cell(true), "failure-loop")] {
        assert_eq!(c["outcome"], "judged", "{c}");
        let (verdicts, runs) = (c["verdicts"].as_array().unwrap(), c["runs"].as_array().unwrap());
        assert_eq!((verdicts.len(), runs.len()), (2, 2), "{c}");
        // Both relocate and load at both default addresses: the difference is only in what runs.
        assert!(verdicts.iter().all(|v| v["good"] == true), "{c}");
        for r in runs {
            assert_eq!(r["outcome"]["kind"], kind, "{}: {r}", c["toolchain"]);
        }
    }
    assert_eq!(cell(true)["runs"][0]["outcome"]["function"], "purgatory");
    // One root cause, at the lowest address, whose bad cell is the wrapper's.
    let causes = doc["root_causes"].as_array().unwrap();
    assert_eq!(causes.len(), 1, "{doc}");
    let title = causes[0]["title"].as_str().unwrap();
    assert!(title.contains("digest-failure loop") && title.contains("0x13fffb000"), "{title}");
    let finding = store.path().join("findings").join(causes[0]["fingerprint"].as_str().unwrap());
    let sightings = kreloc_campaign::store::sightings(&finding).unwrap();
    assert!(sightings.iter().flat_map(|s| &s.cells).any(|c| c.to.contains("sha256-bug")), "{sightings:?}");
    // The case keeps what the run did, beside what the loader printed.
    let loader = std::fs::read_to_string(finding.join("kernel/linux-6.1.192-tree/loader.txt")).unwrap();
    assert!(loader.contains("--run") && loader.contains("digest-failure loop"), "{loader}");
}
