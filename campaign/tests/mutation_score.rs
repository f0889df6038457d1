//! The execution oracle sees every relocation: corrupting any relocated field of a generated program's
//! object changes its checksum or makes it fault, and a compiler that corrupts one datum is caught.
//! (The 200-program figures: `cargo bench -p kreloc-campaign --bench mutation_score`.)

use std::path::Path;

use kreloc_campaign::mutation::standard_figures;

#[test]
fn twenty_programs_kill_99_percent_of_mutants_and_catch_the_planted_compiler() {
    let planted = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/planted_cc.py");
    let (f, planted) = standard_figures(0, 20, &planted).unwrap_or_else(|e| panic!("{e} (run scripts/setup.sh)"));
    assert!(f.errors.is_empty(), "objects not scored: {:#?}", f.errors);
    assert_eq!(f.objects, 40);
    assert_eq!(f.zero_checksums, 0);
    assert!(f.score.mutated > 40 * 10, "too few relocations mutated: {:?}", f.score);
    assert_eq!(f.score.not_judged, 0, "{:?}", f.score);
    assert!(f.score.ratio() >= 0.99, "mutation score {:.4}: survivors {:#?}", f.score.ratio(), f.score.survivors);
    assert!(planted.errors.is_empty(), "{:#?}", planted.errors);
    assert!(planted.changed >= 15, "the planted compiler changed only {} of 20 programs", planted.changed);
    assert!(planted.ratio() >= 0.95, "planted compiler caught in {}/{}", planted.caught, planted.changed);
}
