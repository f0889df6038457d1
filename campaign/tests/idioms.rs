//! The generator's kernel idioms (issue 25) compile under gcc-12, clang-19 and rustc at every named config,
//! compute the evaluator's checksum wherever they load, and add no root cause: a campaign over programs that
//! carry them finds exactly the causes it finds over the same programs with the idioms taken out.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::collections::BTreeMap;

use kreloc_campaign::setup::{cells, examiner};
use kreloc_campaign::signature::RunResult;
use kreloc_gen::ast::{FuncKind, Link};
use kreloc_gen::Program;
use kreloc_toolchains::CompileKind;

/// The fewest seeds (taken in order) whose programs carry every idiom.
fn covering_programs() -> Vec<Program> {
    let mut missing: Vec<&str> = kreloc_gen::KERNEL_IDIOMS.to_vec();
    let mut programs = Vec::new();
    for seed in 0..200 {
        let p = Program::from_seed(seed, 512);
        let f = p.features();
        if missing.iter().any(|i| f.contains(i)) {
            missing.retain(|i| !f.contains(i));
            programs.push(p);
        }
        if missing.is_empty() {
            return programs;
        }
    }
    panic!("no seed below 200 generates {missing:?}");
}

/// The program with issue 25's new idioms taken out (the older ones stay: they are the baseline's).
fn without_new_idioms(p: &Program) -> Program {
    let mut q = p.clone();
    for f in &mut q.funcs {
        f.sect = None;
        f.link = Link::Plain;
        if let FuncKind::PushSection { k } = f.kind {
            f.kind = FuncKind::Arith { mul: 3, add: k, shift: 7 };
        }
    }
    q.stack_array = None;
    q.sha256 = false;
    q
}

/// What a campaign over `programs` shows: its root causes (fingerprint → title), every cell's compile
/// outcome, and every run's outcome with the evaluator's checksum read as "right".
struct Shown {
    causes: BTreeMap<String, String>,
    compiles: Vec<(String, CompileKind)>,
    runs: Vec<(String, u64, String)>,
}

fn campaign(programs: &[Program], configs: &[String]) -> Shown {
    let toolchains = ["gcc-12", "clang-19", "rustc"].map(String::from);
    let matrix = cells(&toolchains, configs).unwrap_or_else(|e| panic!("{e} (run scripts/setup.sh)"));
    let ex = examiner(matrix, &["linux-x86_64".parse().unwrap()], true, 2);
    let mut shown = Shown { causes: BTreeMap::new(), compiles: Vec::new(), runs: Vec::new() };
    for (i, e) in ex.examine_many(programs).into_iter().enumerate() {
        for c in &e.cells {
            let cell = format!("program {i} {}", c.cell);
            shown.compiles.push((cell.clone(), c.compile));
            for (at, r) in c.signature.iter().flat_map(|s| &s.runs) {
                let outcome = match r {
                    RunResult::Checksum(x) if *x == e.expected_checksum => "right".to_string(),
                    RunResult::Checksum(x) => format!("wrong checksum {x:#x}"),
                    r => format!("{r:?}"),
                };
                shown.runs.push((cell.clone(), *at, outcome));
            }
        }
        shown.causes.extend(e.divergences.iter().map(|d| (d.cause.fingerprint(), d.cause.title())));
    }
    shown
}

#[test]
fn the_kernel_idioms_compute_their_checksum_and_add_no_root_cause() {
    let programs = covering_programs();
    let baseline: Vec<Program> = programs.iter().map(without_new_idioms).collect();
    for q in &baseline {
        let f = q.features();
        assert!(!f.contains(&"inline-asm-pushsection") && !f.contains(&"sha256-region-loop"), "{f:?}");
    }
    // At today's flags, where gcc, LLVM and rustc agree, programs with the idioms show no cause at all.
    let today = campaign(&programs, &["kernel-2024".to_string()]);
    assert!(today.compiles.iter().all(|(_, k)| *k == CompileKind::Object), "{:?}", today.compiles);
    assert!(today.runs.iter().all(|(_, _, r)| r == "right"), "{:?}", today.runs);
    assert_eq!(today.causes, BTreeMap::new());
    // Under every named config, the idioms compile as the same programs without them do (a config a
    // toolchain cannot express fails or is not judged for both), never make a run go wrong (where a run's
    // outcome differs, the idioms' run computes the evaluator's checksum or is not loaded: a stack array
    // under a leaked stack protector calls __stack_chk_fail, a larger object crosses 2 GiB sooner under
    // -mcmodel=kernel), and show no cause of their own.
    let all: Vec<String> = kreloc_toolchains::config::NAMED.iter().map(|n| n.name.to_string()).collect();
    let with = campaign(&programs, &all);
    let without = campaign(&baseline, &all);
    assert_eq!(with.compiles, without.compiles);
    assert_eq!(with.runs.len(), without.runs.len());
    // A run the harness could not judge on either side (a loaded machine, say) is out of the comparison.
    let judged = |r: &(String, u64, String)| !r.2.starts_with("NotJudged");
    let worse: Vec<_> = with
        .runs
        .iter()
        .zip(&without.runs)
        .filter(|(a, b)| judged(a) && judged(b))
        .filter(|(a, b)| a != b && a.2 != "right" && a.2 != "NotLoaded")
        .collect();
    assert!(with.runs.iter().filter(|r| judged(r)).count() * 2 > with.runs.len(), "most runs judged");
    assert!(worse.is_empty(), "runs the idioms make go wrong: {worse:?}");
    let added: Vec<&String> =
        with.causes.iter().filter(|(fp, _)| !without.causes.contains_key(*fp)).map(|(_, t)| t).collect();
    assert!(added.is_empty(), "root causes only the idioms show: {added:?}");
}

#[test]
fn the_kernels_named_text_sections_are_text_and_ltext_stays_a_family_of_its_own() {
    use kreloc_campaign::change::section_base;
    for name in [".text", ".text.unlikely.", ".text.hot.kreloc_f2", ".entry.text", ".noinstr.text", ".init.text"] {
        assert_eq!(section_base(name), ".text", "{name}");
    }
    assert_eq!(section_base(".ltext.unlikely."), ".ltext");
    assert_eq!(section_base(".ltext"), ".ltext");
}
