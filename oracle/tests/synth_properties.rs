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
/// section or a field straddling the end of the buffer).
#[test]
fn fuzzer_regression_compiled_program() {
    let input: &[u8] = &[
        61, 195, 254, 255, 255, 61, 8, 248, 248, 250, 248, 248, 91, 44, 248, 248, 33, 193, 193, 193, 193, 193, 193,
        193, 193, 193, 0, 0, 0, 0, 193, 193, 176,
    ];
    let desc = SynthObject::arbitrary_take_rest(Unstructured::new(input)).expect("the fuzzer's input");
    let obj = kreloc_oracle::parse(&desc.build()).expect("it parsed in the fuzzer");
    kreloc_oracle::properties::check_one(&obj, usize::from(desc.profile)).unwrap_or_else(|e| panic!("{e}\n{desc:#?}"));
}
