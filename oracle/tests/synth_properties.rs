//! The fuzz target's properties on a deterministic sample of synthetic objects.

use arbitrary::{Arbitrary, Unstructured};
use kreloc_oracle::synth::SynthObject;

#[test]
fn synthetic_objects_satisfy_the_oracle_properties() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let (mut parsed, mut loaded_somewhere) = (0, 0);
    for _ in 0..1500 {
        let bytes: Vec<u8> = (0..512)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        let Ok(desc) = SynthObject::arbitrary(&mut Unstructured::new(&bytes)) else { continue };
        let obj_bytes = desc.build();
        let Ok(obj) = kreloc_oracle::parse(&obj_bytes) else { continue };
        parsed += 1;
        if let Err(e) = kreloc_oracle::properties::check_all(&obj) {
            panic!("{e}\n{desc:#?}");
        }
        let linux = kreloc_oracle::profile::LinuxX86_64::current();
        if !kreloc_oracle::window::window(&obj, &linux).intervals.is_empty() {
            loaded_somewhere += 1;
        }
    }
    assert!(parsed > 500, "only {parsed} synthetic objects parsed");
    assert!(loaded_somewhere > 50, "only {loaded_somewhere} load anywhere");
}

/// Found by the `elf` fuzzer: the compiled program disagreed with the reference relocator (an address-pinned
/// section or a field straddling the end of the buffer). The fixture is the object the fuzzer's input wrote
/// (before the synthetic writer changed, so the input alone would no longer make it).
#[test]
fn fuzzer_regression_compiled_program() {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fuzz-compiled-regression.elf"))
        .expect("the fixture");
    let obj = kreloc_oracle::parse(&bytes).expect("it parsed in the fuzzer");
    kreloc_oracle::properties::check_one(&obj, 0).unwrap_or_else(|e| panic!("{e}"));
}

/// Found by the `elf` fuzzer: a section aligned to 4480 in a legacy layout. The kernel's bitmask ALIGN of an
/// alignment that is not a power of two does not move with the load address, so the compiled program (one
/// layout for every address) must not be made; it was, and wrote `.s4` where the reference did not.
#[test]
fn fuzzer_regression_odd_alignment_on_absolute_addresses() {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fuzz-odd-align-regression.elf"))
        .expect("the fixture");
    let obj = kreloc_oracle::parse(&bytes).expect("it parsed in the fuzzer");
    let profile = kreloc_oracle::profile::parse("linux-x86_64@4.16").expect("a catalogue profile");
    kreloc_oracle::properties::compiled_matches_reference(&obj, &*profile).unwrap_or_else(|e| panic!("{e}"));
    kreloc_oracle::properties::check_all(&obj).unwrap_or_else(|e| panic!("{e}"));
}
