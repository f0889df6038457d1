//! Rust cells compile under the kernel's named configs and are compared with C cells for real; a config
//! rustc cannot express is not judged (reported, never compared).

use kreloc_campaign::examine::{Cell, NOT_JUDGED};
use kreloc_campaign::setup::{cells, examiner};
use kreloc_gen::Program;

#[test]
fn rustc_cells_compile_run_and_are_compared_under_the_kernel_configs() {
    let configs: Vec<String> = ["kernel-2018", "kernel-2024", "pic-hidden"].map(String::from).to_vec();
    let mut matrix = cells(&["rustc".into(), "clang-19".into()], &configs).unwrap_or_else(|e| panic!("{e} (run scripts/setup.sh)"));
    // A flag with no rustc spelling: that cell is not judged.
    let mut odd: Cell = matrix[0].clone();
    odd.config_name = "kcfi".into();
    odd.config.extra.push("-fsanitize=kcfi".into());
    matrix.push(odd);
    let ex = examiner(matrix, &["linux-x86_64".into()], true, 2).unwrap();
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
                assert!(sig.runs.values().all(|r| *r == kreloc_campaign::signature::RunResult::Checksum(e.expected_checksum)), "seed {seed} {}: {:?}", c.cell, sig.runs);
            }
        }
        let grouped: Vec<&String> = e.groups.iter().flat_map(|(_, v)| v).collect();
        assert!(grouped.iter().any(|c| c.starts_with("rustc")), "Rust cells are compared");
        assert!(!grouped.iter().any(|c| c.ends_with("/kcfi")), "a not-judged cell is never compared");
        assert!(e.groups.iter().all(|(c, _)| c.compile != kreloc_toolchains::CompileKind::Unsupported), "{:?}", e.groups);
    }
}
