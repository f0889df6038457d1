//! Seed 002: a RIP-relative `lea` became `mov $imm32`, so the trampoline copy only works at the link address.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

mod support;

use std::time::Duration;

use kreloc_exec::scan::{absolute_references, OperandKind};
use kreloc_exec::{run_object, ExecOutcome};
use support::*;

const LINK: u64 = 0x1000_0000;
const ELSEWHERE: u64 = 0x3000_0000;

fn build(flags: &[&str]) -> kreloc_oracle::Object {
    let dir = tempfile::tempdir().unwrap();
    kreloc_oracle::parse(&purgatory(dir.path(), &["gcc"], flags, &fixture("trampoline.c"), None)).unwrap()
}

fn runs(obj: &kreloc_oracle::Object) -> (ExecOutcome, ExecOutcome) {
    let strict = kreloc_oracle::parse_profile("strict-x86_64").unwrap();
    let t = Duration::from_secs(2);
    (
        run_object(obj, &*strict, LINK, LINK, "kreloc_entry", t).unwrap(),
        run_object(obj, &*strict, LINK, ELSEWHERE, "kreloc_entry", t).unwrap(),
    )
}

#[test]
fn position_dependent_code_only_works_at_its_link_address() {
    let obj = build(&["-mcmodel=small", "-fno-pic"]);
    let (home, away) = runs(&obj);
    assert!(matches!(home, ExecOutcome::Returned { .. }), "{home:?}");
    assert_ne!(home, away, "the execution differential must catch it");

    let refs = absolute_references(&obj);
    let mov = refs.iter().find(|r| r.symbol == "trampoline_src").expect("an absolute reference to trampoline_src");
    let insn = mov.insn.as_ref().unwrap();
    assert_eq!(insn.operand_kind, OperandKind::Immediate, "{insn:?}");
    assert_eq!(insn.mnemonic, "mov");
    assert!(mov.explanation.contains("correct only where it was linked"), "{}", mov.explanation);
}

#[test]
fn pie_code_gives_the_same_checksum_anywhere() {
    let obj = build(&["-fpie", "-fvisibility=hidden"]);
    let (home, away) = runs(&obj);
    assert!(matches!(home, ExecOutcome::Returned { .. }), "{home:?}");
    assert_eq!(home, away);
    assert!(absolute_references(&obj).is_empty());
}

/// What running the image linked at LINK gave at `at`, in the campaign's terms.
fn run_result(obj: &kreloc_oracle::Object, at: u64) -> kreloc_campaign::signature::RunResult {
    use kreloc_campaign::sandbox::RunFailure;
    use kreloc_campaign::signature::RunResult;
    let strict = kreloc_oracle::parse_profile("strict-x86_64").unwrap();
    match run_object(obj, &*strict, LINK, at, "kreloc_entry", Duration::from_secs(2)).unwrap() {
        ExecOutcome::Returned { out } => RunResult::Checksum(out[0]),
        ExecOutcome::Crashed { signal } => RunResult::Failed(RunFailure::Crashed { signal }),
        ExecOutcome::TimedOut => RunResult::Failed(RunFailure::TimedOut),
        other => panic!("{other:?} at {at:#x}: the harness could not run it"),
    }
}

#[test]
fn the_campaign_blames_position_dependence_on_an_address_class_not_on_everywhere() {
    use kreloc_campaign::attribute::{attribute, Step};
    use kreloc_campaign::change::{runs_wrong, AddressClass, Change, Facts};
    use kreloc_campaign::examine::Cell;
    let addresses = [LINK, ELSEWHERE, 0x1_3fff_b000];
    let (bad, good) = (build(&["-mcmodel=small", "-fno-pic"]), build(&["-fpie", "-fvisibility=hidden"]));
    let kreloc_campaign::signature::RunResult::Checksum(expected) = run_result(&good, LINK) else {
        panic!("the pie build must run")
    };
    let facts = |obj: &kreloc_oracle::Object| {
        let runs: Vec<_> = addresses.iter().map(|&at| (at, run_result(obj, at))).collect();
        let mut f = Facts::default();
        if let Some((change, symptoms)) = runs_wrong(&runs, expected) {
            f.problems.insert(change);
            f.symptoms = symptoms;
        }
        Some(f)
    };
    let gcc = kreloc_toolchains::spec::resolve("gcc@12").expect("gcc-12 (run scripts/setup.sh)");
    let cell = |name: &str, flags: &[&str]| Cell {
        toolchain: gcc.clone(),
        config_name: name.into(),
        config: kreloc_toolchains::CompileConfig::from_flags(flags),
    };
    let cells =
        [cell("small-nopic", &["-mcmodel=small", "-fno-pic"]), cell("pie-hidden", &["-fpie", "-fvisibility=hidden"])];
    let d = attribute(&cells, &[facts(&bad), facts(&good)]);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].cause.step, Step::Config { config: "small-nopic".into() });
    // Right where it was linked, wrong everywhere else: a position bug, which the address class says.
    let Change::RunsWrong { class } = &d[0].cause.change else { panic!("{:?}", d[0].cause) };
    assert_eq!(*class, AddressClass::At { addresses: vec![ELSEWHERE, 0x1_3fff_b000] });
    assert!(d[0].cause.title().contains("runs wrong only at 0x30000000, 0x13fffb000"), "{}", d[0].cause.title());
}
