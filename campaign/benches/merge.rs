//! `kreloc merge` on a store of 10,000 programs (4 writers, 10 root causes, stats logs, 3 stored programs
//! per cause), against `cp -r` of the same store as the peer measured in the same run; then the
//! idempotent re-merge (everything already present).
//!
//!     cargo bench -p kreloc-campaign --bench merge

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use kreloc_campaign::attribute::{RootCause, Step};
use kreloc_campaign::change::Change;
use kreloc_campaign::shard::Shard;
use kreloc_campaign::stats::{Batch, Counts};
use kreloc_campaign::store::{save_json, CauseFile, Sighting};
use kreloc_toolchains::Family;

const PROGRAMS: u64 = 10_000;
const WRITERS: u64 = 4;
const CAUSES: u32 = 10;

fn build_store(out: &Path) {
    let causes: Vec<RootCause> = (0..CAUSES)
        .map(|i| RootCause {
            step: Step::Release { family: Family::Llvm, from: 10 + i, to: 11 + i },
            change: Change::EntryWarn,
        })
        .collect();
    let mut logs: Vec<Vec<String>> = vec![Vec::new(); causes.len() * WRITERS as usize];
    for p in 0..PROGRAMS {
        let c = (p % CAUSES as u64) as usize;
        let s = Sighting::now(format!("{:016x}", p * 0x9e37), 20 + (p % 300) as usize, Vec::new());
        logs[c * WRITERS as usize + (p % WRITERS) as usize].push(serde_json::to_string(&s).unwrap());
    }
    for (c, cause) in causes.iter().enumerate() {
        let dir = out.join("findings").join(cause.fingerprint());
        save_json(
            &dir.join("cause.json"),
            &CauseFile { fingerprint: cause.fingerprint(), title: cause.title(), cause: cause.clone() },
        )
        .unwrap();
        for w in 0..WRITERS {
            let lines = &logs[c * WRITERS as usize + w as usize];
            std::fs::create_dir_all(dir.join("sightings")).unwrap();
            std::fs::write(dir.join(format!("sightings/shard-{w}-of-{WRITERS}-1.jsonl")), lines.join("\n") + "\n")
                .unwrap();
        }
        for k in 0..3 {
            let p = dir.join(format!("programs/{k:016x}"));
            std::fs::create_dir_all(p.join("objects")).unwrap();
            std::fs::write(p.join("program.c"), "int x;\n".repeat(300)).unwrap();
            std::fs::write(p.join("objects/gcc.o"), vec![0u8; 4096]).unwrap();
        }
    }
    let matrix: Vec<(String, String)> =
        (0..15).map(|i| (format!("llvm-{}.0.0-clang", 10 + i / 3), format!("config-{}", i % 3))).collect();
    for w in 0..WRITERS {
        let shard = Shard { index: w, count: WRITERS };
        let lines: Vec<String> = (0..PROGRAMS / WRITERS / 4)
            .map(|k| {
                let mut b = Batch::new("bench", shard, k * 4, &matrix);
                b.programs = 4;
                for c in &mut b.cells {
                    c.2 = Counts { good: 3, bad: 1, not_judged: 0, ..Counts::default() };
                }
                serde_json::to_string(&b).unwrap()
            })
            .collect();
        std::fs::create_dir_all(out.join("stats")).unwrap();
        std::fs::write(out.join(format!("stats/shard-{w}-of-{WRITERS}-host-1.jsonl")), lines.join("\n") + "\n")
            .unwrap();
    }
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("store");
    build_store(&src);
    let t = Instant::now();
    assert!(Command::new("cp").arg("-r").arg(&src).arg(tmp.path().join("copy")).status().unwrap().success());
    let cp = t.elapsed();
    let into = tmp.path().join("merged");
    let t = Instant::now();
    let m = kreloc_campaign::merge::merge(std::slice::from_ref(&src), &into, |_| {}).unwrap();
    let first = t.elapsed();
    let t = Instant::now();
    kreloc_campaign::merge::merge(&[src], &into, |_| {}).unwrap();
    let again = t.elapsed();
    let programs: u64 = (std::fs::read_dir(into.join("findings")).unwrap().flatten())
        .map(|e| kreloc_campaign::store::summarize(&e.path()).unwrap().programs)
        .sum();
    assert_eq!(programs, PROGRAMS);
    println!("merge of {PROGRAMS} programs ({} root causes, {WRITERS} writers): {:.3} s; cp -r of the same store {:.3} s (ratio {:.1}); re-merge {:.3} s", m.root_causes, first.as_secs_f64(), cp.as_secs_f64(), first.as_secs_f64() / cp.as_secs_f64(), again.as_secs_f64());
}
