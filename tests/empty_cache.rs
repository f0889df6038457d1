//! A fresh machine: campaigns started together on an empty cache compile every program alike.
//! CI's cache is warm, so each round gets an empty one, with only the installed zig linked in
//! (zig 0.12/0.13 sharing one cache raced on identical compiles: "ld.lld: error: cannot open .../purgatory.o").

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use serde_json::Value;

/// Two groups of four shards over the same seeds: each shard's programs are compiled by two processes at once.
const SHARDS: usize = 4;
const ROUNDS: usize = 3;

/// An `XDG_CACHE_HOME` whose kreloc cache holds the installed zig releases and nothing else: no objects,
/// no zig cache, no exec runner.
fn empty_cache(dir: &Path) -> PathBuf {
    let kreloc = dir.join("kreloc");
    std::fs::create_dir_all(&kreloc).unwrap();
    // The cache the setup script filled (this process runs with the usual XDG_CACHE_HOME).
    std::os::unix::fs::symlink(kreloc_toolchains::dirs::cache_root().join("zig"), kreloc.join("zig")).unwrap();
    dir.to_path_buf()
}

fn campaign(xdg: &Path, shard: usize, out: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_kreloc"))
        .args(["fuzz", "--toolchains", "gcc@12,llvm@18", "--configs", "kernel-2018,kernel-2019"])
        .args(["--count", "3", "--seed", "42", "--jobs", "1", "--shard", &format!("{shard}/{SHARDS}"), "--out"])
        .arg(out)
        .env("XDG_CACHE_HOME", xdg)
        .env_remove("KRELOC_CACHE_DIR")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// Each root cause's fingerprint and title.
fn causes(store: &Path) -> BTreeSet<(String, String)> {
    let out = Command::new(env!("CARGO_BIN_EXE_kreloc")).args(["report", "--json"]).arg(store).output().unwrap();
    assert!(out.status.success(), "kreloc report {}: {}", store.display(), String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    r["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["fingerprint"].as_str().unwrap().to_string(), c["title"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn campaigns_started_together_on_an_empty_cache_compile_alike() {
    support::zig("0.12.1");
    support::zig("0.13.0");
    for round in 0..ROUNDS {
        let tmp = tempfile::tempdir().unwrap();
        let xdg = empty_cache(&tmp.path().join("cache"));
        let stores: Vec<(usize, PathBuf)> =
            (0..2 * SHARDS).map(|i| (i % SHARDS, tmp.path().join(format!("run-{i}")))).collect();
        let children: Vec<Child> = stores.iter().map(|(shard, s)| campaign(&xdg, *shard, s)).collect();
        for mut c in children {
            let st = c.wait().unwrap();
            assert!(matches!(st.code(), Some(0 | 1)), "round {round}: kreloc fuzz: {st}");
        }
        for (shard, s) in &stores {
            let these = causes(s);
            assert!(!these.is_empty(), "round {round}: shard {shard} shows the known causes");
            let failed: Vec<_> = these.iter().filter(|(_, t)| t.contains("compile fails")).collect();
            assert!(failed.is_empty(), "round {round}, shard {shard}: a compile failed on the empty cache: {failed:?}");
        }
        for shard in 0..SHARDS {
            assert_eq!(
                causes(&stores[shard].1),
                causes(&stores[shard + SHARDS].1),
                "round {round}: shard {shard}'s two runs differ"
            );
        }
    }
}
