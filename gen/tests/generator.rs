#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect
use kreloc_gen::{emit_c, emit_rust, Program};

#[test]
fn the_same_seed_gives_the_same_program() {
    for seed in 0..20 {
        assert_eq!(emit_c(&Program::from_seed(seed, 512)), emit_c(&Program::from_seed(seed, 512)));
        assert_eq!(emit_rust(&Program::from_seed(seed, 512)), emit_rust(&Program::from_seed(seed, 512)));
    }
    assert_ne!(emit_c(&Program::from_seed(1, 512)), emit_c(&Program::from_seed(2, 512)));
}

#[test]
fn fuzz_bytes_never_fail() {
    for len in 0..64 {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 37) as u8).collect();
        let p = Program::from_bytes(&bytes);
        assert!(emit_c(&p).contains("void kreloc_entry(u64 *out)"));
        let _ = p.expected_checksum();
    }
}

#[test]
fn every_construct_appears_across_seeds() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..200 {
        seen.extend(Program::from_seed(seed, 512).features());
    }
    for f in [
        "kexec-purgatory-section",
        "explicit-section",
        "const-table",
        "switch",
        "function-pointer-table",
        "string-literal",
        "pointer-initialised-data",
        "address-taking",
        "large-array",
        "static",
        "hidden",
        "default-visibility",
        "weak",
        "hot-cold",
        "memcpy-loop",
        "memset-loop",
        "sha-regions-pair",
        "purgatory_start",
        "sha-regions-digest-loop",
        "string-table",
        "struct-copy-memcpy",
        "zero-init-memset",
        "unlikely-path",
        "64-bit-constant",
        "entry64_regs",
        "asm-entry-stack_end",
        "function-in-named-section",
        "inline-asm-pushsection",
        "weak-function",
        "alias-symbol",
        "large-stack-array",
        "sha256-region-loop",
    ] {
        assert!(seen.contains(f), "{f} never generated: {seen:?}");
    }
}

#[test]
fn the_sha_pair_has_the_kernels_sizes() {
    let p = Program::from_seed(0, 512);
    let c = emit_c(&p);
    assert!(
        c.contains("struct kexec_sha_region purgatory_sha_regions[16] __attribute__((section(\".kexec-purgatory\")))")
    );
    assert!(c.contains("u8 purgatory_sha256_digest[32] __attribute__((section(\".kexec-purgatory\")))"));
}

#[test]
fn reduction_candidates_come_largest_first() {
    let p = Program::from_seed(5, 512);
    let c = p.reduction_candidates();
    let gains: Vec<usize> = c.iter().map(|e| p.size() - p.apply(e).unwrap().size()).collect();
    assert!(gains.windows(2).all(|w| w[0] >= w[1]), "{gains:?}");
}

/// Mean emitted C lines over `n` seeds at `size`.
fn mean_lines(size: usize, n: u64) -> f64 {
    (0..n).map(|s| emit_c(&Program::from_seed(s, size)).lines().count()).sum::<usize>() as f64 / n as f64
}

#[test]
fn programs_grow_linearly_with_the_requested_size() {
    let sizes = [256usize, 1024, 4096];
    let means: Vec<f64> = sizes.iter().map(|&s| mean_lines(s, 200)).collect();
    println!("mean C lines at sizes {sizes:?}: {means:?}");
    // Linear: the same number of lines per extra byte from 256 to 1024 as from 1024 to 4096 (the fixed
    // part, memcpy/memset, sha regions, entry, is the intercept).
    let slopes: Vec<f64> = (0..2).map(|i| (means[i + 1] - means[i]) / (sizes[i + 1] - sizes[i]) as f64).collect();
    assert!(slopes[0] > 0.05 && slopes[1] > 0.05, "lines per byte {slopes:?}");
    assert!((0.67..=1.5).contains(&(slopes[1] / slopes[0])), "lines per byte {slopes:?} at sizes {sizes:?}: {means:?}");
}

#[test]
fn every_byte_shapes_the_program_and_seeds_give_distinct_programs() {
    let mut distinct = std::collections::HashSet::new();
    for s in 0..2000 {
        distinct.insert(emit_c(&Program::from_seed(s, 512)));
    }
    println!("distinct programs over 2000 seeds: {}", distinct.len());
    assert!(distinct.len() * 1000 >= 2000 * 999, "{} distinct of 2000", distinct.len());
    // Changing the last byte of a long input changes the program.
    let mut bytes: Vec<u8> = (0..4096u32).map(|i| (i * 131 % 251) as u8).collect();
    let a = emit_c(&Program::from_bytes(&bytes));
    *bytes.last_mut().unwrap() ^= 1;
    assert_ne!(a, emit_c(&Program::from_bytes(&bytes)));
}

#[test]
fn checksums_are_never_zero_and_distinct_programs_rarely_share_one() {
    let mut by_program = std::collections::HashMap::new();
    for s in 0..2000 {
        for size in [64, 512] {
            let p = Program::from_seed(s, size);
            by_program.insert(emit_c(&p), p.expected_checksum());
        }
    }
    let mut per_sum = std::collections::HashMap::new();
    for c in by_program.values() {
        *per_sum.entry(*c).or_insert(0usize) += 1;
    }
    let shared: usize = per_sum.values().filter(|&&n| n > 1).sum();
    println!("{} distinct programs, {shared} share a checksum", by_program.len());
    assert!(!by_program.values().any(|&c| c == 0));
    assert!(shared * 100 < by_program.len(), "{shared} of {} share a checksum", by_program.len());
}

#[test]
fn mix_never_collapses_on_the_identity() {
    for h in [0u64, 1, u64::MAX, 0x9e37_79b9_7f4a_7c15] {
        assert_ne!(kreloc_gen::eval::mix(h, h), 0);
        assert_ne!(kreloc_gen::eval::mix(h, h), kreloc_gen::eval::mix(h ^ 1, h ^ 1));
    }
}

#[test]
fn a_fully_reduced_program_stays_short() {
    let mut p = Program::from_seed(9, 512);
    while let Some(e) = p.reduction_candidates().first().cloned() {
        p = p.apply(&e).unwrap();
    }
    let lines = emit_c(&p).lines().count();
    assert!(lines < 70, "{lines} lines:\n{}", emit_c(&p));
}
