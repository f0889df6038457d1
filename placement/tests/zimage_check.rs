#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect
use std::io::Write;

use kreloc_placement::zimage::{check_zimage, decompressed_size, InitrdRule, SizeSource};

/// A synthetic ARM zImage of exactly `len` bytes whose real gzip payload decompresses to `size` bytes.
fn zimage(size: usize, len: usize) -> Vec<u8> {
    let mut z = vec![0u8; 0x40];
    z[0x24..0x28].copy_from_slice(&0x016f_2818u32.to_le_bytes());
    z[0x2c..0x30].copy_from_slice(&(len as u32).to_le_bytes());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let pattern: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    gz.write_all(&pattern).unwrap();
    z.extend(gz.finish().unwrap());
    assert!(z.len() <= len, "payload too large for the zImage length");
    z.resize(len, 0);
    z
}

const BASE: u64 = 0x8000_0000;

#[test]
fn debug_rodata_layout_overlaps_the_initrd() {
    let z = zimage(15_024_128, 4_399_040);
    let r = check_zimage(&z, BASE, InitrdRule::Ratio4).unwrap();
    assert_eq!((r.decompressed, r.size_source.clone()), (15_024_128, SizeSource::GzipIsize));
    assert_eq!(r.initrd_start, BASE + 17_596_416);
    assert!(!r.overlaps.is_empty(), "{r:?}");
    assert!(r.overlaps[0].contains("over the initrd"), "{:?}", r.overlaps);
    let exact = check_zimage(&z, BASE, InitrdRule::Exact).unwrap();
    assert!(exact.overlaps.is_empty());
    assert!(exact.initrd_start > r.initrd_start);
}

#[test]
fn normal_layout_has_no_overlap() {
    let z = zimage(8_871_936, 4_381_592);
    let r = check_zimage(&z, BASE, InitrdRule::Ratio4).unwrap();
    assert_eq!(r.decompressed, 8_871_936);
    assert!(r.overlaps.is_empty(), "{:?}", r.overlaps);
}

#[test]
fn the_krnl_size_tag_wins_when_present() {
    let mut z = zimage(1000, 0x2000);
    z[0x34..0x38].copy_from_slice(&0x4545_4545u32.to_le_bytes());
    z[0x38..0x3c].copy_from_slice(&0x1f00u32.to_le_bytes());
    // tag: size 4 words, KRNL_SIZE, size_ptr 0x1ff0, bss 0x100; edata size 5000 at 0x1ff0
    for (i, w) in [4u32, 0x5a53_4c4b, 0x1ff0, 0x100, 0].iter().enumerate() {
        z[0x1f00 + i * 4..0x1f04 + i * 4].copy_from_slice(&w.to_le_bytes());
    }
    z[0x1ff0..0x1ff4].copy_from_slice(&5000u32.to_le_bytes());
    assert_eq!(decompressed_size(&z).unwrap(), (5000 + 0x100, SizeSource::KrnlSizeTag));
}

#[test]
fn broken_zimages_are_clear_errors() {
    assert!(decompressed_size(b"short").unwrap_err().0.contains("not an ARM zImage"));
    let mut z = zimage(4096, 0x1000);
    let gz = z.windows(3).position(|w| w == [0x1f, 0x8b, 0x08]).unwrap();
    z[gz + 20] ^= 0xff;
    assert!(decompressed_size(&z).is_err());
    let mut headless = vec![0u8; 0x40];
    headless[0x24..0x28].copy_from_slice(&0x016f_2818u32.to_le_bytes());
    assert!(decompressed_size(&headless).unwrap_err().0.contains("no gzip payload"));
}
