//! A bisection state saved under the key form of an earlier kbisect still resumes, under the new key.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use kreloc_bisect::judgement::Judgement;
use kreloc_bisect::search::Judged;
use kreloc_bisect::state::State;

#[test]
fn a_state_saved_under_the_old_key_is_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let (new_path, old_path) = (dir.path().join("new.json"), dir.path().join("old.json"));
    let candidates: Vec<String> = ["a1", "b2", "c3", "d4"].map(String::from).to_vec();
    let mut old = State::resume(&old_path, "commits|/src|a1|d4|make|cc|[\"cc\"]|script:./t.sh", &candidates);
    old.judged = Judged([(1, Judgement::Good), (2, Judgement::Bad)].into_iter().collect());
    old.save(&old_path).unwrap();

    let key = r#"{"src":"/src","good":"a1","bad":"d4"}"#;
    let s = State::resume_either(&new_path, key, (&old_path, &old.key), &candidates);
    assert_eq!((s.key.as_str(), &s.judged), (key, &old.judged));
    // Another bisection's old state (other candidates) is not taken.
    let other = ["a1", "x9"].map(String::from).to_vec();
    assert!(State::resume_either(&new_path, key, (&old_path, &old.key), &other).judged.0.is_empty());
    // A state already saved under the new key wins over the old one.
    let mut newer = State::resume(&new_path, key, &candidates);
    newer.judged = Judged([(3, Judgement::Bad)].into_iter().collect());
    newer.save(&new_path).unwrap();
    assert_eq!(State::resume_either(&new_path, key, (&old_path, &old.key), &candidates).judged, newer.judged);
}
