//! Synthetic relocatables (random sections, symbols, relocations, plus raw mutations) through every profile.
//! Properties: no panic; the window agrees with concrete relocation; linux and strict agree on bytes.
#![no_main]

use kreloc_oracle::synth::SynthObject;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|desc: SynthObject| {
    let bytes = desc.build();
    let Ok(obj) = kreloc_oracle::parse(&bytes) else { return };
    if let Err(e) = kreloc_oracle::properties::check_one(&obj, usize::from(desc.profile)) {
        panic!("{e}");
    }
});
