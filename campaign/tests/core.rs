use kreloc_campaign::reduce::{reduce, Reducible};
use kreloc_campaign::shard::{program_seed, Progress, Shard};
use kreloc_campaign::signature::{warning_kind, RunResult, Signature, WindowClass};
use kreloc_campaign::store::{Finding, FindingStore, Recorded};

#[test]
fn findings_are_written_once_and_duplicates_counted() {
    let dir = tempfile::tempdir().unwrap();
    let store = FindingStore::open(dir.path()).unwrap();
    let f = Finding { fingerprint: "abc123".into(), files: vec![("report.md".into(), b"# x".to_vec()), ("objects/a.o".into(), vec![1, 2])] };
    let Recorded::New(path) = store.record(&f).unwrap() else { panic!("first record is new") };
    assert_eq!(std::fs::read(path.join("objects/a.o")).unwrap(), vec![1, 2]);
    assert!(matches!(store.record(&f).unwrap(), Recorded::Duplicate(_)));
    assert_eq!(std::fs::read_to_string(path.join("seen")).unwrap().trim(), "2");
    assert_eq!(store.fingerprints().unwrap(), vec!["abc123"]);
    // No temp directories are left behind.
    assert!(std::fs::read_dir(dir.path().join("findings")).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().starts_with('.')));
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
    assert_eq!(warning_kind("value 0x13fffc760 silently truncated to 4 bytes"), warning_kind("value 0x2ffa silently truncated to 4 bytes"));
    let mut s = Signature { loads: Default::default(), window: WindowClass::Anywhere, runs: Default::default(), warnings: vec![] };
    s.runs.insert(0x1000, RunResult::Checksum(5));
    s.runs.insert(0x2000, RunResult::NotLoaded);
    assert!(!s.checksum_unstable());
    s.runs.insert(0x3000, RunResult::Checksum(6));
    assert!(s.checksum_unstable());
    assert_eq!(s.id(), s.clone().id());
}
