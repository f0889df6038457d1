#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect
use kreloc_bisect::judgement::Judgement;
use kreloc_bisect::search::{bisect, Judged};

fn run(n: usize, first_bad: usize, skips: &[usize], jobs: usize) -> (kreloc_bisect::search::Outcome, usize) {
    let mut judged = Judged::default();
    let mut tests = 0;
    let out = bisect::<()>(
        n,
        |j| j.next_probes(n, jobs),
        &mut judged,
        |batch| {
            tests += batch.len();
            Ok(batch
                .iter()
                .map(|&i| {
                    if skips.contains(&i) {
                        Judgement::Skip("broken".into())
                    } else if i >= first_bad {
                        Judgement::Bad
                    } else {
                        Judgement::Good
                    }
                })
                .collect())
        },
        |_| {},
    )
    .unwrap();
    (out, tests)
}

#[test]
fn finds_every_possible_first_bad() {
    for n in [2, 3, 10, 33] {
        for first_bad in 1..n {
            for jobs in [1, 2, 3] {
                let (out, _) = run(n, first_bad, &[], jobs);
                assert_eq!(out.first_bad, first_bad, "n={n} jobs={jobs}");
                assert!(out.ambiguous.is_empty());
            }
        }
    }
}

#[test]
fn goes_around_skips_and_reports_ambiguity_next_to_the_answer() {
    let (out, _) = run(30, 17, &[5, 9, 22], 1);
    assert_eq!((out.first_bad, out.ambiguous.clone()), (17, vec![]));
    let (out, _) = run(30, 17, &[15, 16], 1);
    assert_eq!(out.first_bad, 17);
    assert_eq!(out.ambiguous, vec![15, 16], "15 or 16 could be the first bad one");
}

#[test]
fn more_jobs_take_fewer_rounds() {
    let (one, t1) = run(64, 41, &[], 1);
    let (two, t2) = run(64, 41, &[], 2);
    assert_eq!(one.first_bad, two.first_bad);
    assert!(two.rounds < one.rounds, "{} vs {}", two.rounds, one.rounds);
    assert!(t2 >= t1, "k-ary search trades tests for rounds");
}

#[test]
fn a_resumed_search_does_not_retest() {
    let mut judged = Judged::default();
    judged.0.insert(16, Judgement::Good);
    judged.0.insert(24, Judgement::Bad);
    let mut tested = Vec::new();
    let out = bisect::<()>(
        32,
        |j| j.next_probes(32, 1),
        &mut judged,
        |b| {
            tested.extend_from_slice(b);
            Ok(b.iter().map(|&i| if i >= 20 { Judgement::Bad } else { Judgement::Good }).collect())
        },
        |_| {},
    )
    .unwrap();
    assert_eq!(out.first_bad, 20);
    assert!(tested.iter().all(|&i| i > 16 && i < 24), "{tested:?}");
}

#[test]
fn exit_codes_follow_git_bisect() {
    assert_eq!(Judgement::from_exit_code(0), Some(Judgement::Good));
    assert_eq!(Judgement::from_exit_code(1), Some(Judgement::Bad));
    assert_eq!(Judgement::from_exit_code(127), Some(Judgement::Bad));
    assert!(Judgement::from_exit_code(125).unwrap().is_skip());
    assert_eq!(Judgement::from_exit_code(128), None);
}

#[test]
fn an_already_built_candidate_between_the_bounds_is_probed_first() {
    let mut judged = Judged::default();
    judged.0.insert(0, Judgement::Good);
    judged.0.insert(100, Judgement::Bad);
    assert_eq!(judged.next_probes(101, 1), vec![50]);
    // 37 and 90 are built: 37 is the free one nearest the middle.
    assert_eq!(judged.next_probes_preferring(101, 1, |i| i == 37 || i == 90), vec![37]);
    // Nothing free between the bounds: the middle.
    judged.0.insert(40, Judgement::Good);
    judged.0.insert(37, Judgement::Good);
    assert_eq!(judged.next_probes_preferring(101, 1, |i| i == 37 || i == 20), vec![70]);
}
