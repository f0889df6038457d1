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
        "kexec-purgatory-section", "explicit-section", "const-table", "switch", "function-pointer-table", "string-literal",
        "pointer-initialised-data", "address-taking", "large-array", "static", "hidden", "default-visibility", "weak", "hot-cold",
        "memcpy-loop", "memset-loop", "sha-regions-pair", "purgatory_start", "sha-regions-digest-loop", "string-table", "struct-copy-memcpy",
        "zero-init-memset", "unlikely-path", "64-bit-constant", "entry64_regs", "asm-entry-stack_end",
    ] {
        assert!(seen.contains(f), "{f} never generated: {seen:?}");
    }
}

#[test]
fn the_sha_pair_has_the_kernels_sizes() {
    let p = Program::from_seed(0, 512);
    let c = emit_c(&p);
    assert!(c.contains("struct kexec_sha_region purgatory_sha_regions[16] __attribute__((section(\".kexec-purgatory\")))"));
    assert!(c.contains("u8 purgatory_sha256_digest[32] __attribute__((section(\".kexec-purgatory\")))"));
}

#[test]
fn reduction_candidates_come_largest_first() {
    let p = Program::from_seed(5, 512);
    let c = p.reduction_candidates();
    let gains: Vec<usize> = c.iter().map(|e| p.size() - p.apply(e).unwrap().size()).collect();
    assert!(gains.windows(2).all(|w| w[0] >= w[1]), "{gains:?}");
}
