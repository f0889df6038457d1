//! The oracle on objects from the real system gcc (installed by scripts/setup.sh).

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

mod support;

use std::process::Command;

fn compile(flags: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/purgatory_like.c");
    let obj = dir.path().join("p.o");
    let ro = dir.path().join("purgatory.ro");
    let out = Command::new("gcc")
        .args(["-O2", "-ffreestanding", "-fno-zero-initialized-in-bss", "-c", src, "-o"])
        .arg(&obj)
        .args(flags)
        .output()
        .expect("gcc must be installed (scripts/setup.sh)");
    assert!(out.status.success(), "gcc failed: {}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new("ld")
        .args(["-r", "-e", "purgatory_start", "-z", "nodefaultlib"])
        .arg(&obj)
        .arg("-o")
        .arg(&ro)
        .output()
        .expect("ld must be installed");
    assert!(out.status.success(), "ld -r failed: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::read(ro).unwrap()
}

#[test]
fn mcmodel_kernel_fails_above_4gib_with_type_11() {
    let bytes = compile(&["-mcmodel=kernel", "-mno-red-zone", "-fno-pic"]);
    let v = support::load(&bytes, "linux-x86_64", 0x17f7affd000);
    assert!(!v.loaded);
    let first = v.messages[0].to_string();
    assert!(first.starts_with("kexec: Overflow in relocation type 11 value 0x17f7aff"), "{first}");
    assert_eq!(v.messages.last().unwrap().to_string(), "kexec-bzImage64: Loading purgatory failed");
    assert!(support::load(&bytes, "linux-x86_64", 0x7000_0000).loaded, "it does load below 2 GiB");
}

#[test]
fn mcmodel_large_and_pic_hidden_load_anywhere() {
    for flags in [&["-mcmodel=large", "-fno-pic"][..], &["-mcmodel=small", "-fpic", "-fvisibility=hidden"][..]] {
        let bytes = compile(flags);
        let w = support::window(&bytes, "linux-x86_64");
        assert!(w.limits.is_empty(), "{flags:?}: {:?}", w.limits);
        assert!(w.blockers.is_empty(), "{flags:?}: {:?}", w.blockers);
        assert_eq!(w.intervals.0, vec![(0x3000, u64::MAX - 0xfff)], "{flags:?}");
        for at in [0x3000u64, 0x7fff_f000, 0x13fffb000, 0x17f7affd000, 0x7ff0_0000_0000] {
            assert!(support::load(&bytes, "linux-x86_64", at).ok, "{flags:?} at {at:#x}");
        }
    }
}
