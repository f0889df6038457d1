//! `kreloc extract` and `kreloc check` on kernel images made here: a small vmlinux that embeds a compiled
//! purgatory the way kexec-purgatory.S does (`.incbin`), compressed with each of the kernel's compressors
//! (their command lines as in scripts/Makefile.lib, size appended), raw or in a bzImage-like setup header.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

/// The seed 000 flags: loads below 2 GiB, overflows at 0x17f7affd000.
const FLAGS_2019: &[&str] = &["-mcmodel=kernel", "-mno-red-zone", "-fno-pic", "-fno-stack-protector"];
const LOW: &str = "0x1000000";
const HIGH: &str = "0x17f7affd000";

fn kreloc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kreloc"))
}

fn run(cmd: &mut Command, what: &str) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what} could not start (run scripts/setup.sh): {e}"));
    assert!(out.status.success(), "{what} failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// A static ELF executable holding `purgatory.ro` and a 5.4 banner (so the era must come from the image).
fn vmlinux(dir: &Path, ro: &Path) -> PathBuf {
    let asm = dir.join("image.S");
    std::fs::write(
        &asm,
        format!(
            ".text\n.globl _start\n_start: hlt\n.section .rodata\n.globl kexec_purgatory\nkexec_purgatory:\n.incbin \"{}\"\n\
             .globl linux_banner\nlinux_banner: .asciz \"Linux version 5.4.0-test (kreloc@tests) #1 SMP\\n\"\n",
            ro.display()
        ),
    )
    .unwrap();
    let out = dir.join("vmlinux");
    run(Command::new("gcc").args(["-nostdlib", "-static", "-no-pie", "-o"]).arg(&out).arg(&asm), "gcc (link vmlinux)");
    out
}

/// `cmd_<name>` of scripts/Makefile.lib: the compressor reading stdin, then the 4-byte little-endian size.
fn compress(name: &str, data: &[u8]) -> Vec<u8> {
    let (prog, args): (&str, &[&str]) = match name {
        "gzip" => ("gzip", &["-n", "-9", "-c"]),
        "xz" => ("xz", &["--check=crc32", "--x86", "--lzma2=,dict=32MiB", "-c"]),
        "zstd" => ("zstd", &["-22", "--ultra", "-q", "-c"]),
        "lz4" => ("lz4", &["-l", "-9", "-q", "-c"]),
        "bzip2" => ("bzip2", &["-9", "-c"]),
        "lzma" => ("lzma", &["-9", "-c"]),
        _ => unreachable!(),
    };
    let mut child = Command::new(prog)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{prog} is missing (run scripts/setup.sh): {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let input = data.to_vec();
    let feeder = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &input));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    assert!(out.status.success(), "{prog} failed");
    let mut v = out.stdout;
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v
}

/// A bzImage-shaped file: one setup sector after the boot sector, `HdrS` protocol 2.15, payload_offset/length.
fn bzimage(payload: &[u8]) -> Vec<u8> {
    let setup_sects = 1u8;
    let mut img = vec![0u8; (usize::from(setup_sects) + 1) * 512];
    img[0x1f1] = setup_sects;
    img[0x1fe..0x200].copy_from_slice(&[0x55, 0xaa]);
    img[0x202..0x206].copy_from_slice(b"HdrS");
    img[0x206..0x208].copy_from_slice(&0x020fu16.to_le_bytes());
    // kernel_version points (from 0x200) at a release string in the setup code.
    img[0x20e..0x210].copy_from_slice(&0x100u16.to_le_bytes());
    img[0x300..0x300 + 10].copy_from_slice(b"5.4.0-test");
    let head = 0x40u32; // a small decompressor stub before the payload, as in real images
    img[0x248..0x24c].copy_from_slice(&head.to_le_bytes());
    img[0x24c..0x250].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    img.extend(std::iter::repeat_n(0x90, head as usize));
    img.extend_from_slice(payload);
    img.extend_from_slice(&[0; 64]);
    img
}

fn check_json(image: &Path, at: &str) -> (i32, serde_json::Value) {
    let out = kreloc().args(["--json", "check"]).arg(image).args(["--at", at]).output().unwrap();
    let doc =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), doc)
}

#[test]
fn every_compression_raw_and_in_a_bzimage() {
    let dir = tempfile::tempdir().unwrap();
    let object = purgatory(dir.path(), &["gcc"], FLAGS_2019, &fixture("purgatory.c"), None);
    let ro = dir.path().join("purgatory.ro");
    let vmlinux = std::fs::read(vmlinux(dir.path(), &ro)).unwrap();
    for name in ["gzip", "xz", "zstd", "lz4", "bzip2", "lzma"] {
        let payload = compress(name, &vmlinux);
        for (kind, image) in [("raw", payload.clone()), ("bzImage", bzimage(&payload))] {
            let path = dir.path().join(format!("vmlinuz-{name}-{kind}"));
            std::fs::write(&path, &image).unwrap();
            let out = dir.path().join(format!("extracted-{name}-{kind}.ro"));
            let json = run(kreloc().args(["--json", "extract"]).arg(&path).arg("-o").arg(&out), "kreloc extract");
            let doc: serde_json::Value = serde_json::from_slice(&json).unwrap();
            assert_eq!(doc["extracted"]["compression"], name, "{kind}: {doc}");
            assert_eq!(doc["extracted"]["origin"]["release"], "5.4.0-test", "{kind}: {doc}");
            assert_eq!(
                std::fs::read(&out).unwrap(),
                object,
                "{name} {kind}: the extracted object differs from the compiled one"
            );

            let (code, low) = check_json(&path, LOW);
            assert_eq!((code, &low["profile"]), (0, &serde_json::json!("linux-x86_64@5.4")), "{name} {kind}: {low}");
            let (code, high) = check_json(&path, HIGH);
            assert_eq!(code, 1, "{name} {kind}: {high}");
            let msg = high["verdicts"][0]["printed"][0].as_str().unwrap_or_default();
            assert!(msg.contains("Overflow in relocation type 11"), "{name} {kind}: {msg}");
        }
    }
    // CONFIG_KERNEL_UNCOMPRESSED: the bzImage payload is the ELF itself.
    let path = dir.path().join("vmlinuz-uncompressed");
    std::fs::write(&path, bzimage(&vmlinux)).unwrap();
    let out = dir.path().join("extracted-uncompressed.ro");
    let json = run(kreloc().args(["--json", "extract"]).arg(&path).arg("-o").arg(&out), "kreloc extract");
    let doc: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(
        (&doc["extracted"]["container"], &doc["extracted"]["compression"]),
        (&serde_json::json!("bz-image"), &serde_json::Value::Null),
        "{doc}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), object);
}

#[test]
fn an_explicit_profile_version_wins_and_an_image_without_purgatory_cannot_be_tested() {
    let dir = tempfile::tempdir().unwrap();
    purgatory(dir.path(), &["gcc"], FLAGS_2019, &fixture("purgatory.c"), None);
    let image = dir.path().join("vmlinuz");
    std::fs::write(
        &image,
        bzimage(&compress("gzip", &std::fs::read(vmlinux(dir.path(), &dir.path().join("purgatory.ro"))).unwrap())),
    )
    .unwrap();
    let out = kreloc().args(["--json", "window"]).arg(&image).args(["--profile", "linux-x86_64@6.6"]).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc.to_string().contains("linux-x86_64@6.6"), "{doc}");

    let empty = dir.path().join("not-a-kernel");
    std::fs::write(&empty, bzimage(&compress("gzip", b"no purgatory here"))).unwrap();
    let out = kreloc().arg("extract").arg(&empty).output().unwrap();
    assert_eq!(out.status.code(), Some(125));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no embedded ELF relocatable object") && err.lines().count() == 1, "{err}");
}
