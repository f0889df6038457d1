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

/// gcc-12 has neither kCFI nor ThinLTO: those cells are not judged, compared with nothing, and no root
/// cause blames the config for a compile that could never happen.
#[test]
fn a_flag_the_compiler_lacks_makes_its_cell_not_judged_and_no_cause() {
    use kreloc_campaign::setup::{cells, examiner};
    let configs = ["kernel-2024", "leak-kcfi", "leak-lto"].map(String::from);
    let matrix =
        cells(&["gcc-12".into(), "clang-19".into()], &configs).unwrap_or_else(|e| panic!("{e} (run scripts/setup.sh)"));
    let ex = examiner(matrix, &["linux-x86_64".parse().unwrap()], false, 2);
    let e = ex.examine(&kreloc_gen::Program::from_seed(0, 128));
    for c in &e.cells {
        let refused = c.cell.starts_with("gcc") && !c.cell.ends_with("/kernel-2024");
        let want =
            if refused { kreloc_toolchains::CompileKind::NotJudged } else { kreloc_toolchains::CompileKind::Object };
        assert_eq!(c.compile, want, "{}: {}", c.cell, c.stderr);
    }
    let grouped: Vec<&String> = e.groups.iter().flat_map(|(_, v)| v).collect();
    assert_eq!(grouped.len(), 4, "only the judged cells are compared: {grouped:?}");
    let compile_causes: Vec<String> =
        e.divergences.iter().map(|d| d.cause.title()).filter(|t| t.contains("compile")).collect();
    assert!(compile_causes.is_empty(), "{compile_causes:?}");
}
