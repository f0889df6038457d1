//! Generated programs (of the size campaigns use) pass the whole load under today's flags: every stage of `linux-x86_64` and of
//! `kexec-tools-x86_64` (relocation, the image loader's symbols, kexec-tools' `arch_update_purgatory()`, the
//! digest writes) at every standard address, for gcc-12, clang-19 and rustc at kernel-2024.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::time::Instant;

use kreloc_campaign::setup::{cells, examiner};
use kreloc_gen::Program;
use kreloc_toolchains::CompileKind;

/// Programs per toolchain, as the issue asks: 600 cold compiles of about 0.12 s CPU each (gcc-12, clang-19 and
/// rustc alike), so about 40 s on two idle cores (63 s measured on a shared, busy machine); the compile cache
/// makes later runs fast.
const PROGRAMS: u64 = 200;

#[test]
fn every_generated_program_passes_every_stage_of_both_x86_64_loaders() {
    let configs = ["kernel-2024".to_string()];
    let toolchains = ["gcc-12", "clang-19", "rustc"].map(String::from);
    let matrix = cells(&toolchains, &configs).unwrap_or_else(|e| panic!("{e} (run scripts/setup.sh)"));
    let profiles = ["linux-x86_64", "kexec-tools-x86_64"].map(|p| kreloc_oracle::parse_profile(p).unwrap());
    let ex = examiner(matrix, &[], false, 2);
    let programs: Vec<Program> = (0..PROGRAMS).map(|s| Program::from_seed(s, 512)).collect();
    let t = Instant::now();
    let examined = ex.examine_many(&programs);
    println!(
        "{} programs × {} toolchains compiled in {:.1}s",
        programs.len(),
        toolchains.len(),
        t.elapsed().as_secs_f64()
    );
    let mut judged = 0;
    for (seed, e) in examined.iter().enumerate() {
        for c in &e.cells {
            assert_eq!(c.compile, CompileKind::Object, "seed {seed} {}: {}", c.cell, c.stderr);
            let obj = kreloc_oracle::parse(c.object.as_deref().expect("an object")).unwrap();
            for p in &profiles {
                for &at in kreloc_exec::STANDARD_ADDRESSES {
                    let v = kreloc_oracle::load(&obj, &**p, at);
                    assert!(
                        v.good,
                        "seed {seed} {} under {} at {at:#x}: stages: {}",
                        c.cell,
                        p.name(),
                        kreloc_oracle::report::stages_text(&v)
                    );
                    judged += 1;
                }
            }
        }
    }
    assert_eq!(judged, PROGRAMS as usize * toolchains.len() * profiles.len() * kreloc_exec::STANDARD_ADDRESSES.len());
}
