#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect
use kreloc_campaign::attribute::{CellPair, RootCause, Step};
use kreloc_campaign::change::{Change, RelocFault};
use kreloc_campaign::reduce::{reduce, Reducible};
use kreloc_campaign::shard::{program_seed, Progress, Shard};
use kreloc_campaign::signature::{RunResult, Signature, WindowClass};
use kreloc_campaign::store::{smallest_program, summarize, FindingStore, Recorded, Sighting};

fn cause(config: &str) -> RootCause {
    RootCause {
        step: Step::Config { config: config.into() },
        change: Change::Relocation { r_type: 11, type_name: "R_X86_64_32S".into(), fault: RelocFault::Overflow },
    }
}

fn files(id: &str) -> Vec<(String, Vec<u8>)> {
    vec![("program.json".into(), id.as_bytes().to_vec()), ("objects/a.o".into(), vec![1, 2])]
}

#[test]
fn a_root_cause_is_stored_once_and_concurrent_writers_lose_no_sighting() {
    let dir = tempfile::tempdir().unwrap();
    let c = cause("kernel-2019");
    let pair = vec![CellPair {
        from: Some("a/kernel-2018".into()),
        to: "a/kernel-2019".into(),
        context: "every toolchain at kernel-2019".into(),
        every_toolchain: true,
    }];
    // Four writers (shards) record 25 programs each, at the same time.
    let news: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|w| {
                let (c, pair, dir) = (c.clone(), pair.clone(), dir.path());
                s.spawn(move || {
                    let store = FindingStore::open(dir, &format!("shard-{w}-of-4")).unwrap();
                    (0..25)
                        .filter(|k| {
                            let id = format!("{w}-{k:02}");
                            let size = 100 - w * 25 - k;
                            matches!(
                                store
                                    .record(&c, &Sighting::now(id.clone(), size, pair.clone()), || files(&id))
                                    .unwrap(),
                                Recorded::New(_)
                            )
                        })
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(news, 1, "exactly one writer mints the root cause");
    let f = dir.path().join("findings").join(c.fingerprint());
    let s = summarize(&f).unwrap();
    assert_eq!((s.programs, s.sightings), (100, 100));
    assert!(s.config_only);
    // The smallest programs are 3-24 (size 1), 3-23 (2), 3-22 (3); only they keep a directory.
    let ids: Vec<&str> = s.smallest.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["3-24", "3-23", "3-22"]);
    assert_eq!(std::fs::read(smallest_program(&f).unwrap().join("program.json")).unwrap(), b"3-24");
    // A re-run adds sightings to the same root cause, not a new one.
    let store = FindingStore::open(dir.path(), "rerun").unwrap();
    assert!(matches!(
        store.record(&c, &Sighting::now("0-00".into(), 100, pair.clone()), || files("0-00")).unwrap(),
        Recorded::Seen(_)
    ));
    let s = summarize(&f).unwrap();
    assert_eq!((s.programs, s.sightings), (100, 101));
    // Its fold pruned whatever a racing writer stored late: only the three smallest keep a directory.
    let mut kept: Vec<String> = std::fs::read_dir(f.join("programs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    kept.sort();
    assert_eq!(kept, ["3-22", "3-23", "3-24"]);
    store.refresh_report(&c.fingerprint()).unwrap();
    assert!(std::fs::read_to_string(f.join("report.md")).unwrap().contains("programs: 100 (101 sightings)"));
    assert_eq!(FindingStore::open(dir.path(), "x").unwrap().fingerprints().unwrap(), vec![c.fingerprint()]);
    // No temp files or directories are left behind.
    assert!(std::fs::read_dir(f.join("programs")).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with('.')));
}

#[test]
fn fingerprints_hash_the_typed_cause_only() {
    let a = cause("kernel-2019");
    assert_eq!(a.fingerprint(), cause("kernel-2019").fingerprint());
    assert_ne!(a.fingerprint(), cause("kernel-2024").fingerprint());
    let other_type = RootCause {
        change: Change::Relocation { r_type: 10, type_name: "R_X86_64_32".into(), fault: RelocFault::Overflow },
        ..a.clone()
    };
    assert_ne!(a.fingerprint(), other_type.fingerprint());
    // The title is rendered from the typed values, and is not part of the hash.
    assert_eq!(a.change.title(), "R_X86_64_32S overflows above 2 GiB");
}

#[test]
fn shards_partition_the_programs_deterministically() {
    let shards: Vec<Shard> = (0..3).map(|i| Shard::parse(&format!("{i}/3")).unwrap()).collect();
    let mut owned: Vec<u64> = shards.iter().flat_map(|s| (0..10).map(move |k| s.program_index(k))).collect();
    owned.sort();
    assert_eq!(owned, (0..30).collect::<Vec<_>>());
    assert_eq!(program_seed(7, 3), program_seed(7, 3));
    assert_ne!(program_seed(7, 3), program_seed(7, 4));
    assert!(Shard::parse("3/3").is_err() && Shard::parse("x").is_err() && Shard::parse("1/0").is_err());
}

#[test]
fn progress_resumes_only_for_the_same_campaign() {
    let dir = tempfile::tempdir().unwrap();
    let shard = Shard::parse("1/2").unwrap();
    let mut p = Progress::resume(dir.path(), "key-a", shard);
    assert_eq!(p.done, 0);
    p.done = 5;
    p.findings = 2;
    p.save(dir.path()).unwrap();
    assert_eq!(Progress::resume(dir.path(), "key-a", shard).done, 5);
    assert_eq!(Progress::resume(dir.path(), "key-b", shard).done, 0, "another campaign starts over");
    std::fs::write(Progress::path(dir.path(), shard), b"{corrupt").unwrap();
    assert_eq!(Progress::resume(dir.path(), "key-a", shard).done, 0);
}

/// A list of numbers; removing any contiguous run is an edit, longest first.
#[derive(Clone, Debug)]
struct Nums(Vec<u32>);

impl Reducible for Nums {
    type Edit = (usize, usize);
    fn candidates(&self) -> Vec<(usize, usize)> {
        let n = self.0.len();
        let mut v = Vec::new();
        let mut len = n;
        while len > 0 {
            v.extend((0..=n - len).step_by(len).map(|s| (s, len)));
            len /= 2;
        }
        v
    }
    fn apply(&self, &(s, len): &(usize, usize)) -> Option<Nums> {
        let mut v = self.0.clone();
        v.drain(s..s + len);
        Some(Nums(v))
    }
    fn size(&self) -> usize {
        self.0.len()
    }
}

#[test]
fn the_reducer_keeps_only_what_the_test_needs() {
    let case = Nums((0..200).collect());
    let (small, stats) = reduce(case, |n| n.0.contains(&17) && n.0.contains(&150), 10_000);
    assert_eq!(small.0, vec![17, 150]);
    assert_eq!((stats.size_before, stats.size_after), (200, 2));
    assert!(stats.tests < 200, "largest-first takes few tests: {}", stats.tests);
    let (_, stats) = reduce(Nums((0..200).collect()), |n| n.0.contains(&17), 3);
    assert!(stats.tests <= 3, "the budget is respected");
}

#[test]
fn signatures_compare_behaviour_not_addresses() {
    let truncated = |value| kreloc_oracle::Warning::SilentlyTruncated {
        type_name: "R_X86_64_PC32".into(),
        symbol: "table".into(),
        value,
        width: 4,
    };
    assert_eq!(truncated(0x1_3fff_c760).kind(), truncated(0x2ffa).kind());
    let mut s = Signature {
        loads: Default::default(),
        window: WindowClass::Anywhere,
        runs: Default::default(),
        warnings: vec![],
    };
    s.runs.insert(0x1000, RunResult::Checksum(5));
    s.runs.insert(0x2000, RunResult::NotLoaded);
    assert!(!s.checksum_unstable());
    s.runs.insert(0x3000, RunResult::Checksum(6));
    assert!(s.checksum_unstable());
    // The id names the behaviour: an equal signature built independently (runs inserted in another order)
    // has the same id; a different checksum or window class gives another.
    let mut same = Signature {
        loads: Default::default(),
        window: WindowClass::Anywhere,
        runs: Default::default(),
        warnings: vec![],
    };
    for (at, r) in [(0x3000, RunResult::Checksum(6)), (0x1000, RunResult::Checksum(5)), (0x2000, RunResult::NotLoaded)]
    {
        same.runs.insert(at, r);
    }
    assert_eq!(s.id(), same.id());
    same.runs.insert(0x3000, RunResult::Checksum(7));
    assert_ne!(s.id(), same.id());
    same.runs.insert(0x3000, RunResult::Checksum(6));
    same.window = WindowClass::Nowhere;
    assert_ne!(s.id(), same.id());
}

fn cell(family: kreloc_toolchains::Family, major: u32, config: &str) -> kreloc_campaign::examine::Cell {
    use kreloc_toolchains::identity::{Kind, Toolchain, Version};
    let toolchain =
        Toolchain { family, version: Version(vec![major, 0]), kind: Kind::Path, exe: format!("/cc-{major}").into() };
    kreloc_campaign::examine::Cell { toolchain, config_name: config.into(), config: Default::default() }
}

fn facts(bases: &[&str], problems: &[Change]) -> Option<kreloc_campaign::change::Facts> {
    Some(kreloc_campaign::change::Facts {
        exec_bases: bases.iter().map(|s| s.to_string()).collect(),
        problems: problems.iter().cloned().collect(),
        unjudged_at: vec![],
        symptoms: vec![],
    })
}

#[test]
fn each_problem_is_blamed_on_one_axis_step() {
    use kreloc_campaign::attribute::attribute;
    use kreloc_toolchains::Family::{Gcc, Llvm};
    let overflow = Change::Relocation { r_type: 11, type_name: "R_X86_64_32S".into(), fault: RelocFault::Overflow };
    let cells = vec![
        cell(Llvm, 17, "k18"),
        cell(Llvm, 18, "k18"),
        cell(Llvm, 17, "k19"),
        cell(Llvm, 18, "k19"),
        cell(Gcc, 12, "k18"),
        cell(Gcc, 12, "k19"),
    ];
    let f = vec![
        facts(&[".text"], &[]),
        facts(&[".ltext"], &[Change::EntryWarn, Change::EntryMisplaced]),
        facts(&[".text"], std::slice::from_ref(&overflow)),
        facts(&[".text"], std::slice::from_ref(&overflow)),
        facts(&[".text"], &[]),
        // Not judged (the toolchain cannot express the config): it takes part in no comparison.
        None,
    ];
    let causes: Vec<RootCause> = attribute(&cells, &f).into_iter().map(|d| d.cause).collect();
    assert_eq!(
        causes,
        vec![
            RootCause {
                step: Step::Release { family: Llvm, from: 17, to: 18 },
                change: Change::NewExecSection { sections: vec![".ltext".into()] }
            },
            RootCause { step: Step::Config { config: "k19".into() }, change: overflow.clone() },
        ]
    );
    let d = attribute(&cells, &f);
    assert!(d[1].cells.iter().all(|c| c.every_toolchain), "{:?}", d[1]);
    // The gcc cell at k19 judged and fine: 2 of 3 toolchains still make it the config's, but not every one.
    let mut f2 = f.clone();
    f2[5] = facts(&[".text"], &[]);
    let d = attribute(&cells, &f2);
    let config = d.iter().find(|d| d.cause.step == Step::Config { config: "k19".into() }).expect("a config step");
    assert!(config.cells.iter().all(|c| !c.every_toolchain), "{config:?}");
    // The llvm 17 cell at k19 fine too: only llvm 18 shows it there, so the release step is blamed.
    let mut f3 = f2.clone();
    f3[2] = facts(&[".text"], &[]);
    let steps: Vec<Step> = attribute(&cells, &f3).into_iter().map(|d| d.cause.step).collect();
    assert!(
        steps.contains(&Step::Release { family: Llvm, from: 17, to: 18 })
            && !steps.iter().any(|s| matches!(s, Step::Config { .. })),
        "{steps:?}"
    );
}

#[test]
fn rust_emission_is_its_own_axis_and_unjudged_addresses_compare_with_nothing() {
    use kreloc_campaign::attribute::{attribute, Emission};
    use kreloc_toolchains::identity::Kind;
    use kreloc_toolchains::Family::{Gcc, Llvm, Rustc};
    let crash = Change::RunFailed {
        at: 0x17f_7aff_d000,
        fault: kreloc_campaign::change::RunFault::Crash { signal: "SIGSEGV".into() },
    };
    let mut rust = cell(Rustc, 1, "k18");
    rust.toolchain.kind = Kind::Rustc;
    let cells = vec![cell(Gcc, 12, "k18"), cell(Llvm, 19, "k18"), rust];
    let f = vec![facts(&[".text"], &[]), facts(&[".text"], &[]), facts(&[".text"], std::slice::from_ref(&crash))];
    let d = attribute(&cells, &f);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].cause.step, Step::Language { from: Emission::C, to: Emission::Rust });
    assert_eq!(d[0].cells[0].from.as_deref(), Some("llvm-19.0-/cc-19/k18"), "the llvm C cell is the peer of rustc");
    // Neither C cell could be run at that address: there is nothing to compare the crash with.
    let mut g = f.clone();
    for c in &mut g[..2] {
        c.as_mut().unwrap().unjudged_at = vec![0x17f_7aff_d000];
    }
    let d = attribute(&cells, &g);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].cause.step, Step::Everywhere, "only the rust cell was judged there: {d:?}");
}

#[test]
fn code_that_runs_wrong_is_one_change_with_an_address_class_and_symptoms_are_details() {
    use kreloc_campaign::change::{runs_wrong, AddressClass};
    use kreloc_campaign::sandbox::{NotJudged, RunFailure};
    use RunResult::{Checksum, Failed, NotLoaded};
    let (low, g3, g5, high) = (0x7ffe_0000u64, 0xc000_0000u64, 0x1_3fff_b000u64, 0x17f_7aff_d000u64);
    let exp = 42;
    let class = |runs: &[(u64, RunResult)]| runs_wrong(runs, exp).map(|(c, _)| c);
    let wrong = |class| Some(Change::RunsWrong { class });
    // A wrong checksum in one program, crashes and a hang in another: one change; the symptoms differ.
    let a = [
        (low, Checksum(1)),
        (g5, Failed(RunFailure::Crashed { signal: 11 })),
        (high, Failed(RunFailure::Crashed { signal: 4 })),
    ];
    let b = [(low, Failed(RunFailure::TimedOut)), (g5, Checksum(7)), (high, Checksum(9))];
    let ((ca, sa), (cb, sb)) = (runs_wrong(&a, exp).unwrap(), runs_wrong(&b, exp).unwrap());
    assert_eq!(ca, Change::RunsWrong { class: AddressClass::Everywhere });
    assert_eq!(ca, cb);
    assert_ne!(sa, sb);
    assert_eq!(sa.iter().map(|s| s.kind()).collect::<Vec<_>>(), ["wrong checksum", "SIGSEGV", "SIGILL"]);
    let step = Step::Config { config: "k".into() };
    assert_eq!(
        RootCause { step: step.clone(), change: ca }.fingerprint(),
        RootCause { step, change: cb }.fingerprint()
    );
    // Right below 2 GiB and wrong above: a position bug, not a miscompile.
    assert_eq!(
        class(&[(low, Checksum(exp)), (g5, Checksum(1)), (high, Failed(RunFailure::Crashed { signal: 11 }))]),
        wrong(AddressClass::Above2G)
    );
    assert_eq!(class(&[(low, Checksum(exp)), (g3, Checksum(exp)), (g5, Checksum(1))]), wrong(AddressClass::Above4G));
    assert_eq!(
        class(&[(low, Checksum(exp)), (g5, Checksum(1)), (high, Checksum(exp))]),
        wrong(AddressClass::At { addresses: vec![g5] })
    );
    // Where it was not loaded or not judged, it ran nowhere: no part of the class.
    assert_eq!(
        class(&[(low, NotLoaded), (g5, RunResult::NotJudged(NotJudged::MemoryLimit)), (high, Checksum(exp))]),
        None
    );
    assert_eq!(
        class(&[(low, Checksum(1)), (g5, NotLoaded), (high, NotLoaded)]),
        wrong(AddressClass::Everywhere),
        "wrong everywhere it could run"
    );
}

fn release_cell(family: kreloc_toolchains::Family, major: u32, config: &str) -> kreloc_campaign::examine::Cell {
    let mut c = cell(family, major, config);
    c.toolchain.kind = kreloc_toolchains::identity::Kind::AptGcc;
    c.toolchain.exe = format!("/usr/bin/gcc-{major}").into();
    c
}

fn running_wrong(symptom: kreloc_campaign::change::Symptom) -> Option<kreloc_campaign::change::Facts> {
    let mut f = facts(&[".text"], &[Change::RunsWrong { class: kreloc_campaign::change::AddressClass::Everywhere }]);
    f.as_mut().unwrap().symptoms = vec![symptom];
    f
}

#[test]
fn a_compiler_given_by_path_is_named_by_its_path_and_compared_with_the_release_it_reports() {
    use kreloc_campaign::attribute::attribute;
    use kreloc_campaign::change::{RunFault, Symptom};
    use kreloc_toolchains::Family::{Gcc, Llvm};
    let mut wrapper = cell(Gcc, 12, "k24");
    wrapper.toolchain.exe = "/some/where/corrupting/gcc".into();
    let cells =
        vec![release_cell(Gcc, 11, "k24"), release_cell(Gcc, 12, "k24"), wrapper.clone(), cell(Llvm, 19, "k24")];
    let f = vec![
        facts(&[".text"], &[]),
        facts(&[".text"], &[]),
        running_wrong(Symptom::WrongChecksum { at: 0x7ffe_0000, got: 1 }),
        facts(&[".text"], &[]),
    ];
    let d = attribute(&cells, &f);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        d[0].cause.step,
        Step::PathVs { path: "corrupting/gcc".into(), version: "12.0".into(), release: "gcc-12.0".into() }
    );
    assert_eq!(d[0].cause.title(), "path corrupting/gcc (12.0) vs gcc-12.0 — the code runs wrong everywhere");
    assert_eq!(
        d[0].symptoms[&wrapper.label()],
        vec![Symptom::WrongChecksum { at: 0x7ffe_0000, got: 1 }],
        "symptoms travel with the sighting"
    );
    // Another program crashes instead: the same root cause.
    let mut g = f.clone();
    g[2] = running_wrong(Symptom::Fault { at: 0x1_3fff_b000, fault: RunFault::Crash { signal: "SIGSEGV".into() } });
    assert_eq!(attribute(&cells, &g)[0].cause, d[0].cause);
    // Only gcc 12 at one config, with no step to explain it: named by that toolchain, not "every release and
    // config" (gcc 12 under k25 is fine); when every gcc cell shows it, the family's.
    let cells =
        vec![release_cell(Gcc, 12, "k24"), release_cell(Gcc, 12, "k25"), cell(Llvm, 19, "k24"), cell(Llvm, 19, "k25")];
    let (shows, fine) =
        (|| running_wrong(Symptom::WrongChecksum { at: 0x7ffe_0000, got: 1 }), || facts(&[".text"], &[]));
    let (k25_fine, k25_shows) = (vec![shows(), fine(), fine(), fine()], vec![shows(), shows(), fine(), fine()]);
    let steps = |f: &[Option<kreloc_campaign::change::Facts>]| {
        attribute(&cells, f).into_iter().map(|d| d.cause.step).collect::<Vec<_>>()
    };
    assert!(!steps(&k25_fine).contains(&Step::Family { family: Gcc }), "{:?}", steps(&k25_fine));
    assert_eq!(steps(&k25_shows), vec![Step::Family { family: Gcc }]);
}

#[test]
fn a_store_from_before_runs_wrong_still_loads_and_names_the_cause_that_supersedes_it() {
    use kreloc_campaign::change::{runs_wrong, AddressClass, RunFault};
    use kreloc_campaign::examine::{CellResult, Examined};
    use kreloc_campaign::sandbox::RunFailure;
    let dir = tempfile::tempdir().unwrap();
    let store = FindingStore::open(dir.path(), "old").unwrap();
    let step = Step::Config { config: "small-nopic".into() };
    let old = RootCause {
        step: step.clone(),
        change: Change::RunFailed { at: 0x1_3fff_b000, fault: RunFault::Crash { signal: "SIGSEGV".into() } },
    };
    let pair = vec![CellPair {
        from: Some("gcc/pic".into()),
        to: "gcc/small-nopic".into(),
        context: "at small-nopic".into(),
        every_toolchain: true,
    }];
    // The stored program's verdicts: right below 2 GiB, crashing above.
    let runs = [
        (0x7ffe_0000u64, RunResult::Checksum(5)),
        (0x1_3fff_b000, RunResult::Failed(RunFailure::Crashed { signal: 11 })),
    ];
    let sig = Signature {
        loads: Default::default(),
        window: WindowClass::Anywhere,
        runs: runs.iter().cloned().collect(),
        warnings: vec![],
    };
    let cell = CellResult {
        cell: "gcc/small-nopic".into(),
        compile: kreloc_toolchains::CompileKind::Object,
        signature: Some(sig),
        commands: vec![],
        object: None,
        stderr: String::new(),
        facts: None,
        facts_ns: 0,
    };
    let ex = Examined {
        expected_checksum: 5,
        cells: vec![cell],
        groups: vec![],
        divergences: vec![],
        cache_hits: 0,
        attribution_ns: 0,
    };
    let verdicts = serde_json::to_vec(&ex).unwrap();
    store
        .record(&old, &Sighting::now("p1".into(), 10, pair.clone()), || {
            vec![("program.json".into(), b"{}".to_vec()), ("verdicts.json".into(), verdicts)]
        })
        .unwrap();
    let s = summarize(&store.path(&old.fingerprint())).unwrap();
    assert_eq!(s.cause, old, "the old cause still loads");
    let new = RootCause { step: step.clone(), change: runs_wrong(&runs, 5).unwrap().0 };
    assert_eq!(new.change, Change::RunsWrong { class: AddressClass::Above2G });
    assert_eq!(s.superseded_by, Some((new.fingerprint(), new.title())));
    let report = std::fs::read_to_string(store.path(&old.fingerprint()).join("report.md")).unwrap();
    assert!(report.contains(&format!("superseded by {}", new.fingerprint())), "{report}");
    // Without stored verdicts, the one address the old cause names.
    let bare = RootCause { step: step.clone(), change: Change::WrongChecksum { at: 0x7ffe_0000 } };
    store.record(&bare, &Sighting::now("p2".into(), 10, pair), Vec::new).unwrap();
    let s = summarize(&store.path(&bare.fingerprint())).unwrap();
    let at = RootCause { step, change: Change::RunsWrong { class: AddressClass::At { addresses: vec![0x7ffe_0000] } } };
    assert_eq!(s.superseded_by, Some((at.fingerprint(), at.title())));
}

#[test]
fn progress_saved_under_the_debug_output_key_of_earlier_stores_resumes() {
    use kreloc_campaign::campaign::ResumeKey;
    let dir = tempfile::tempdir().unwrap();
    let shard = Shard::parse("0/1").unwrap();
    let key = ResumeKey {
        seed: 7,
        cells: vec!["gcc-12.2.0/kernel-2018".into(), "clang-19.1.7/kernel-2018".into()],
        profiles: vec!["linux-x86_64".parse().unwrap(), "kexec-tools-x86_64".parse().unwrap()],
        addresses: vec![0x1_3fff_b000, 0x17f_7aff_d000],
        program_size: 512,
    };
    // The key an earlier kreloc saved for this campaign: a hash of `Debug` output.
    let old_text = "7|[\"gcc-12.2.0/kernel-2018\", \"clang-19.1.7/kernel-2018\"]|[\"linux-x86_64\", \"kexec-tools-x86_64\"]|[5368688640, 1647036059648]|512";
    let old_key = kreloc_campaign::signature::short_hash(old_text.as_bytes());
    assert_eq!(kreloc_campaign::migrate::debug_key(&key), old_key);
    std::fs::write(
        Progress::path(dir.path(), shard),
        format!(
            r#"{{"key":"{old_key}","shard":{},"done":9,"findings":1,"compiles":40,"cache_hits":3}}"#,
            serde_json::to_string(&shard).unwrap()
        ),
    )
    .unwrap();
    let resumed = Progress::resume_either(dir.path(), &key.hash(), std::slice::from_ref(&old_key), shard);
    assert_eq!((resumed.done, resumed.findings, resumed.key), (9, 1, key.hash()), "taken over under the new key");
    assert_eq!(Progress::resume(dir.path(), &key.hash(), shard).done, 0, "the old key alone is not the new one");
    assert_ne!(key.hash(), old_key);
}

#[test]
fn cell_labels_parse_back_to_the_cell_id_even_with_a_path_compiler() {
    use kreloc_campaign::examine::CellId;
    let c = cell(kreloc_toolchains::Family::Gcc, 12, "kernel-2018");
    let label = c.label();
    assert_eq!(label, "gcc-12.0-/cc-12/kernel-2018");
    let id: CellId = label.parse().unwrap();
    assert_eq!(id, c.id());
    assert_eq!(id.config.0, "kernel-2018");
    assert_ne!(id, cell(kreloc_toolchains::Family::Gcc, 12, "kernel-2024").id());
    assert!("kernel-2018".parse::<CellId>().is_err());
}
