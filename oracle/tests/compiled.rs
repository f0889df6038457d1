//! The compiled program writes exactly the bytes `relocate::load` writes, and stops where it stops.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

mod support;

use std::process::Command;

use kreloc_oracle::compiled::{Compiled, Stopped};

fn compile(cc: &str, flags: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/purgatory_like.c");
    let obj = dir.path().join("p.o");
    let out = Command::new(cc)
        .args(["-O2", "-ffreestanding", "-fno-zero-initialized-in-bss", "-c", src, "-o"])
        .arg(&obj)
        .args(flags)
        .output()
        .unwrap_or_else(|e| panic!("{cc} must be installed (run scripts/setup.sh): {e}"));
    assert!(out.status.success(), "{cc} failed: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::read(obj).unwrap()
}

#[test]
fn compiled_bytes_and_stops_match_the_reference_relocator() {
    let objects = [
        ("gcc", vec!["-mcmodel=large", "-fno-pic"]),
        ("gcc", vec!["-mcmodel=kernel", "-fno-pic", "-mno-red-zone"]),
        ("gcc", vec!["-mcmodel=small", "-fno-pic"]),
        ("clang-19", vec!["-mcmodel=large", "-fno-pic"]),
        ("clang-19", vec!["-mcmodel=small", "-fpic"]),
        ("clang-19", vec!["--target=riscv64-linux-gnu", "-mcmodel=medany"]),
        ("clang-19", vec!["--target=s390x-linux-gnu"]),
        ("clang-19", vec!["-m32", "-fno-pic"]),
    ];
    let mut compared = 0;
    for (cc, flags) in &objects {
        let bytes = compile(cc, flags);
        let obj = kreloc_oracle::parse(&bytes).unwrap();
        for name in [
            "linux-x86_64",
            "linux-x86_64@4.15",
            "kexec-tools-x86_64",
            "strict-x86_64",
            "linux-riscv64",
            "linux-s390x",
            "kexec-tools-i386",
        ] {
            let profile = kreloc_oracle::parse_profile(name).unwrap();
            if profile.arch().machine() != obj.machine {
                continue;
            }
            let Ok(c) = Compiled::new(&obj, &*profile) else { continue };
            // One segment relocated at every address in turn: each call undoes the previous one's fields
            // (REL fields add their old contents, so a field left over would show).
            let mut segment = c.segment();
            for at in [0x3000u64, 0x7000_0000, 0x1_3fff_b000, 0x17f_7aff_d000, 0x8020_0000] {
                let v = kreloc_oracle::load(&obj, &*profile, at);
                let mut out = vec![0u8; c.bufsz()];
                let r = c.relocate(at, &mut out);
                assert_eq!(c.relocate_again(at, &mut segment), r, "{cc} {flags:?} {name} {at:#x}: reused segment");
                if r.is_ok() {
                    assert_eq!(segment.bytes(), out, "{cc} {flags:?} {name} {at:#x}: reused segment");
                }
                match r {
                    Ok(()) => {
                        assert!(
                            v.stages.relocates.passed,
                            "{cc} {flags:?} {name} {at:#x}: compiled relocates, reference says {:?}",
                            v.failure
                        );
                        assert_eq!(out, v.image, "{cc} {flags:?} {name} {at:#x}");
                    }
                    Err(Stopped::Overflow { index, value }) => {
                        assert!(!v.loaded, "{cc} {flags:?} {name} {at:#x}");
                        assert_eq!(v.relocations.value(index).unwrap(), value);
                    }
                    Err(e) => assert!(!v.load_addr.is_multiple_of(v.align), "{e}"),
                }
                compared += 1;
            }
        }
    }
    assert!(compared >= 40, "only {compared} comparisons");
}
