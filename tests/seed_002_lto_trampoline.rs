//! Seed 002: a RIP-relative `lea` became `mov $imm32`, so the trampoline copy only works at the link address.

mod support;

use std::time::Duration;

use kreloc_exec::{run_object, ExecOutcome};
use kreloc_exec::scan::{absolute_references, OperandKind};
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
