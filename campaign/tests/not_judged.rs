//! A run the harness could not judge (unmappable address, memory limit, sandbox error) never makes a
//! difference between cells: its address is taken out of every cell's comparison.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use kreloc_campaign::examine::CellResult;
use kreloc_campaign::judge::exclude_unjudged;
use kreloc_campaign::sandbox::{NotJudged, RunFailure};
use kreloc_campaign::signature::{RunResult, Signature, WindowClass};

fn cell(name: &str, runs: &[(u64, RunResult)]) -> CellResult {
    let signature = Signature {
        loads: Default::default(),
        window: WindowClass::Anywhere,
        runs: runs.iter().cloned().collect(),
        warnings: vec![],
    };
    CellResult {
        cell: name.into(),
        compile: kreloc_toolchains::CompileKind::Object,
        signature: Some(signature),
        commands: vec![],
        object: None,
        stderr: String::new(),
        facts: None,
        facts_ns: 0,
    }
}

/// A run went wrong (bad checksum, crash, hang) at some address.
fn misbehaves(c: &kreloc_campaign::examine::Class) -> bool {
    c.runs.iter().any(|(_, r)| !matches!(r.as_str(), "right" | "not-loaded" | "not-judged"))
}

fn exclude(cells: &mut [CellResult]) {
    exclude_unjudged(&mut cells.iter_mut().filter_map(|c| c.signature.as_mut()).collect::<Vec<_>>());
}

#[test]
fn an_unjudged_address_is_excluded_from_every_cell() {
    let unmappable = RunResult::NotJudged(NotJudged::Unmappable { reason: "mmap: File exists".into() });
    let mut cells = vec![
        cell("a", &[(0x1000, RunResult::Checksum(7)), (0x2000, unmappable.clone())]),
        cell("b", &[(0x1000, RunResult::Checksum(7)), (0x2000, RunResult::Checksum(7))]),
    ];
    assert_ne!(cells[0].class(7), cells[1].class(7), "before exclusion the harness would make a difference");
    exclude(&mut cells);
    assert_eq!(cells[0].class(7), cells[1].class(7));
    assert!(!misbehaves(&cells[0].class(7)));
    // The unjudged cell keeps its reason; the other is marked as excluded with it.
    assert_eq!(cells[0].signature.as_ref().unwrap().runs[&0x2000], unmappable);
    assert_eq!(cells[1].signature.as_ref().unwrap().runs[&0x2000], RunResult::NotJudged(NotJudged::ExcludedWithOthers));
}

#[test]
fn real_differences_at_judged_addresses_remain() {
    let mut cells = vec![
        cell("a", &[(0x1000, RunResult::Checksum(7)), (0x2000, RunResult::NotJudged(NotJudged::MemoryLimit))]),
        cell("b", &[(0x1000, RunResult::Failed(RunFailure::Crashed { signal: 11 })), (0x2000, RunResult::Checksum(7))]),
    ];
    exclude(&mut cells);
    let (a, b) = (cells[0].class(7), cells[1].class(7));
    assert_ne!(a, b);
    assert!(misbehaves(&b) && !misbehaves(&a));
    assert_eq!(b.runs, vec![(0x1000, "SIGSEGV".to_string()), (0x2000, "not-judged".to_string())]);
}
