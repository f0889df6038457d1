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
        if let Err(e) = kreloc_oracle::properties::straight_path_matches_general(&obj) {
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

/// A load without its image judges exactly as the full load: every field of the verdict but the image is the
/// same, and `relocates` (what the window probes ask) says `loaded`. Under every profile, at the fixed
/// addresses and the window's edges, on synthetic objects with random damage (REL sections included).
#[test]
fn a_load_without_its_image_judges_as_the_full_load() {
    use kreloc_oracle::{load, load_as, Image};
    let profiles: Vec<_> = kreloc_oracle::profile::catalogue()
        .iter()
        .map(|(name, _)| kreloc_oracle::profile::parse(name).expect("a catalogue profile"))
        .collect();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut compared, mut skipped, mut refused, mut overflowed) = (0usize, 0usize, 0usize, 0usize);
    for round in 0..5000 {
        let seed: Vec<u8> = (0..640).map(|_| (next() >> 24) as u8).collect();
        let Ok(desc) = SynthObject::arbitrary(&mut Unstructured::new(&seed)) else { continue };
        let mut bytes = desc.build();
        if bytes.is_empty() {
            continue;
        }
        if round % 3 == 0 {
            for _ in 0..(next() % 6) {
                let at = (next() as usize) % bytes.len();
                bytes[at] = (next() >> 32) as u8;
            }
        }
        let Ok(obj) = kreloc_oracle::parse(&bytes) else { continue };
        let profile = &*profiles[round % profiles.len()];
        let w = kreloc_oracle::window::window(&obj, profile);
        let mut at = vec![0x3000, 0x1_3fff_b000, 0x17f_7affd000, 0xffff_ffff_8000_0000];
        for &(lo, hi) in w.intervals.0.iter().take(3) {
            at.extend([lo, hi, hi.wrapping_add(w.align.max(1))]);
        }
        for a in at {
            let (full, judged) = (load(&obj, profile, a), load_as(&obj, profile, a, Image::Skipped));
            let (f, j) = (serde_json::to_value(&full).unwrap(), serde_json::to_value(&judged).unwrap());
            assert_eq!(f, j, "{} at {a:#x}\n{desc:#?}", profile.name());
            let relocates = kreloc_oracle::relocates(&obj, profile, a);
            assert_eq!(relocates, full.loaded, "relocates(), {} at {a:#x}\n{desc:#?}", profile.name());
            compared += 1;
            skipped += usize::from(judged.image.is_empty() && !full.image.is_empty());
            refused += usize::from(!full.loaded);
            overflowed += usize::from(full.relocations.statuses().any(|s| s == kreloc_oracle::Status::Overflow));
        }
    }
    assert!(compared > 5000, "only {compared} loads compared");
    assert!(skipped > 1000, "only {skipped} loads skipped their image");
    assert!(refused > 500 && overflowed > 50, "only {refused} refused, {overflowed} with an overflow");
}
