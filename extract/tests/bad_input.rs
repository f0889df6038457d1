//! Bad and truncated input gives a typed error, never a panic.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::process::Command;

use kreloc_extract::{extract, Container, Error};

/// A gcc-compiled relocatable object (gcc is on every machine that runs the tests; run scripts/setup.sh).
fn object() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("p.c");
    std::fs::write(
        &src,
        "unsigned long d[4] = {1, 2, 3, 4}; unsigned long purgatory_start(int i) { return d[i & 3]; }\n",
    )
    .unwrap();
    let obj = dir.path().join("p.o");
    let out = Command::new("gcc")
        .args(["-c", "-O2", "-fno-pic"])
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .output()
        .expect("gcc (run scripts/setup.sh)");
    assert!(out.status.success());
    std::fs::read(obj).unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn typed_errors() {
    assert!(matches!(extract(b""), Err(Error::Empty)));
    assert!(matches!(extract(b"hello, not a kernel"), Err(Error::UnknownFormat)));
    let mut bz = vec![0u8; 0x400];
    bz[0x202..0x206].copy_from_slice(b"HdrS");
    bz[0x206..0x208].copy_from_slice(&0x20fu16.to_le_bytes());
    bz[0x248..0x24c].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(extract(&bz), Err(Error::BadBzImage(_))), "{:?}", extract(&bz));
    bz[0x206..0x208].copy_from_slice(&0x200u16.to_le_bytes());
    assert!(matches!(extract(&bz), Err(Error::BadBzImage(_))));
}

#[test]
fn an_object_is_returned_as_is_and_found_inside_anything() {
    let obj = object();
    let x = extract(&obj).unwrap();
    assert_eq!((x.container, x.object.len()), (Container::Object, obj.len()));
    let mut wrapped = b"Linux version 6.6.9-test (x@y) #1\0padding".to_vec();
    wrapped.extend_from_slice(&obj);
    wrapped.extend_from_slice(&[0xcc; 100]);
    let x = extract(&gzip(&wrapped)).unwrap();
    assert_eq!(x.object, obj);
    assert_eq!(x.origin.kernel_series(), Some((6, 6)));
}

#[test]
fn every_truncation_and_a_corrupted_byte_anywhere_never_panics() {
    let obj = object();
    let mut image = b"kexec-tools 2.0.25\0".to_vec();
    image.extend_from_slice(&obj);
    let packed = gzip(&image);
    for cut in 0..packed.len() {
        let _ = extract(&packed[..cut]);
    }
    for i in (0..obj.len()).step_by(7) {
        let mut bad = obj.clone();
        bad[i] ^= 0xff;
        let _ = extract(&bad);
    }
}
