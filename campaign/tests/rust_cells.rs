//! Rust cells compile under the kernel's named configs and are compared with C cells for real; a config
//! rustc cannot express is not judged (reported, never compared).

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use kreloc_campaign::examine::{Cell, NOT_JUDGED};
use kreloc_campaign::setup::{cells, examiner};
use kreloc_gen::Program;

#[test]
fn rustc_cells_compile_run_and_are_compared_under_the_kernel_configs() {
    let configs: Vec<String> = ["kernel-2018", "kernel-2024", "pic-hidden"].map(String::from).to_vec();
    let mut matrix =
        cells(&["rustc".into(), "clang-19".into()], &configs).unwrap_or_else(|e| panic!("{e} (run scripts/setup.sh)"));
    // A flag with no rustc spelling: that cell is not judged.
    let mut odd: Cell = matrix[0].clone();
    odd.config_name = "kcfi".into();
    odd.config.extra.push("-fsanitize=kcfi".into());
    matrix.push(odd);
    let ex = examiner(matrix, &["linux-x86_64".parse().unwrap()], true, 2);
    for seed in 0..3 {
        let p = Program::from_seed(seed, 512);
        let e = ex.examine(&p);
        for c in e.cells.iter().filter(|c| c.cell.starts_with("rustc")) {
            if c.cell.ends_with("/kcfi") {
                assert_eq!(c.compile, NOT_JUDGED, "{}: {}", c.cell, c.stderr);
                assert!(c.stderr.contains("no spelling for -fsanitize=kcfi"), "{}", c.stderr);
                continue;
            }
            assert_eq!(c.compile, kreloc_toolchains::CompileKind::Object, "seed {seed} {}: {}", c.cell, c.stderr);
            let sig = c.signature.as_ref().expect("a judged object");
            if c.cell.ends_with("/kernel-2024") || c.cell.ends_with("/pic-hidden") {
                // PC-relative code loads anywhere and computes the evaluator's checksum everywhere.
                assert!(
                    sig.runs
                        .values()
                        .all(|r| *r == kreloc_campaign::signature::RunResult::Checksum(e.expected_checksum)),
                    "seed {seed} {}: {:?}",
                    c.cell,
                    sig.runs
                );
            }
        }
        let grouped: Vec<&String> = e.groups.iter().flat_map(|(_, v)| v).collect();
        assert!(grouped.iter().any(|c| c.starts_with("rustc")), "Rust cells are compared");
        assert!(!grouped.iter().any(|c| c.ends_with("/kcfi")), "a not-judged cell is never compared");
        assert!(
            e.groups.iter().all(|(c, _)| c.compile != kreloc_toolchains::CompileKind::Unsupported),
            "{:?}",
            e.groups
        );
    }
}

/// The titles of the C → Rust emission causes that `n` programs show with rustc and clang-19 at
/// kernel-2024, the Rust cells given `rust_extra` as well.
fn rust_emission_causes(rust_extra: &[&str], n: u64) -> Vec<String> {
    use kreloc_campaign::attribute::Step;
    let mut matrix = cells(&["rustc".into(), "clang-19".into()], &["kernel-2024".to_string()])
        .unwrap_or_else(|e| panic!("{e} (run scripts/setup.sh)"));
    for c in matrix.iter_mut().filter(|c| c.language() == kreloc_toolchains::Language::Rust) {
        c.config.extra.extend(rust_extra.iter().map(|f| f.to_string()));
    }
    let ex = examiner(matrix, &["linux-x86_64".parse().unwrap()], true, 2);
    // Small programs: fewer of them have hot or cold functions, which make every cell WARN.
    let programs: Vec<Program> = (0..n).map(|seed| Program::from_seed(seed, 96)).collect();
    ex.examine_many(&programs)
        .into_iter()
        .flat_map(|e| e.divergences)
        .filter(|d| matches!(d.cause.step, Step::Language { .. }))
        .map(|d| d.cause.title())
        .collect()
}

#[test]
fn a_faithful_translation_of_kernel_2024_leaves_no_rust_emission_cause() {
    // rustc's own default, a section per function, is what the translation must not leave in.
    let unfaithful = rust_emission_causes(&["-ffunction-sections"], 30);
    assert!(
        unfaithful.iter().any(|t| t.starts_with("C → Rust emission")),
        "a section per function makes the kernel WARN: {unfaithful:?}"
    );
    let faithful = rust_emission_causes(&[], 30);
    assert!(faithful.is_empty(), "{faithful:?}");
}
