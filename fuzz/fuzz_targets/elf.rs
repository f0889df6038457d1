//! Synthetic relocatables (random sections, symbols, relocations, plus raw mutations) through every profile.
//! Properties: no panic; the window agrees with concrete relocation; linux and strict agree on bytes.
#![no_main]

use kreloc_oracle::synth::SynthObject;
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        // Every input loads images of up to a few MiB several times. With glibc's defaults a freed block that
        // size goes back to the kernel, and the next load takes all its page faults again: keep them.
        // SAFETY: mallopt only tunes the allocator; it runs before any allocation of the fuzz loop.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 512 << 20);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        }
    },
    |desc: SynthObject| {
        let bytes = desc.build();
        let Ok(obj) = kreloc_oracle::parse(&bytes) else { return };
        if let Err(e) = kreloc_oracle::properties::check_one(&obj, usize::from(desc.profile)) {
            panic!("{e}");
        }
    }
);
