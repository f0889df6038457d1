//! Seed 004: kexec-tools assumes a 4x compression ratio for ARM zImages, so with DEBUG_RODATA the initrd
//! overlaps what the decompressor touches.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::io::Write;
use std::process::Command;

fn zimage(path: &std::path::Path, size: usize, len: usize) {
    let mut z = vec![0u8; 0x40];
    z[0x24..0x28].copy_from_slice(&0x016f_2818u32.to_le_bytes());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&(0..size).map(|i| (i * 7 % 253) as u8).collect::<Vec<_>>()).unwrap();
    z.extend(gz.finish().unwrap());
    z.resize(len, 0);
    std::fs::write(path, z).unwrap();
}

fn check(size: usize, len: usize, rule: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zImage");
    zimage(&path, size, len);
    let out = Command::new(env!("CARGO_BIN_EXE_kreloc"))
        .args(["zimage-check", path.to_str().unwrap(), "--initrd-rule", rule, "--base", "0x80000000"])
        .output()
        .unwrap();
    (out.status.code().unwrap(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn debug_rodata_overlaps_and_the_normal_kernel_does_not() {
    let (code, out) = check(15_024_128, 4_399_040, "ratio4");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("decompresses to 15024128 bytes"), "{out}");
    assert!(out.contains("OVERLAP"), "{out}");
    let (code, out) = check(8_871_936, 4_381_592, "ratio4");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no overlap"), "{out}");
    let (code, _) = check(15_024_128, 4_399_040, "exact");
    assert_eq!(code, 0, "the exact rule places the initrd safely");
}
