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
