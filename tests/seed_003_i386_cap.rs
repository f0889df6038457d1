//! Seed 003: kexec-tools' i386 bzImage loader caps purgatory at 0x7fffffff, so a crashkernel above that
//! gives "locate_hole failed", although the purgatory itself could load there.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

mod support;

use std::process::Command;

const IOMEM: &str = "00001000-0009ffff : System RAM\n00100000-dfffffff : System RAM\ne0000000-febfffff : PCI Bus 0000:00\n100000000-21fffffff : System RAM\n";

/// An i386 purgatory of 0x8000 bytes with R_386_32 relocations (the shape of kexec-tools' purgatory).
fn purgatory_i386(dir: &std::path::Path) -> String {
    let mut b = support::synth::Builder::i386();
    let text = b.section(".text", object::SectionKind::Text, &vec![0x90; 0x6000], 16);
    let data = b.data(".data", 0x1800);
    let sym = b.section_symbol(data);
    b.global("purgatory_start", text, 0, 0x10, object::SymbolKind::Text);
    for i in 0..16 {
        b.reloc(text, 0x100 + i * 8, sym, object::elf::R_386_32.0, 0);
    }
    // What kexec-tools' bzImage loader and update_purgatory get and set in its own i386 purgatory.
    for (name, at, size) in [
        ("entry32_regs", 0x1000, 36),
        ("cmdline_end", 0x1040, 4),
        ("sha256_regions", 0x1100, 256),
        ("sha256_digest", 0x1200, 32),
    ] {
        b.global(name, data, at, size, object::SymbolKind::Data);
    }
    // arch_update_purgatory() for kexec -p (unsigned longs are 4 bytes).
    let arch = [
        ("reset_vga", 1),
        ("serial_base", 2),
        ("serial_baud", 4),
        ("console_vga", 1),
        ("console_serial", 1),
        ("backup_src_start", 4),
        ("backup_src_size", 4),
        ("backup_start", 4),
        ("panic_kernel", 1),
    ];
    for (i, (name, size)) in arch.into_iter().enumerate() {
        b.global(name, data, 0x1300 + i as u64 * 4, size, object::SymbolKind::Data);
    }
    b.global("stack_end", data, 0x1800, 0, object::SymbolKind::Data);
    let path = dir.join("purgatory.ro");
    std::fs::write(&path, b.build()).unwrap();
    path.to_string_lossy().into_owned()
}

fn place(crash: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let obj = purgatory_i386(dir.path());
    let map = dir.path().join("iomem");
    std::fs::write(&map, IOMEM).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kreloc"))
        .args([
            "place",
            "--loader",
            "kexec-tools-i386",
            "--memmap",
            map.to_str().unwrap(),
            "--crashkernel",
            crash,
            &obj,
        ])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn crashkernel_at_1968m_loads_under_the_cap() {
    let (code, out) = place("256M@1968M");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("placed at 0x7fff8000"), "{out}");
    assert!(out.contains("verdict at 0x7fff8000: LOADS"), "{out}");
}

#[test]
fn crashkernel_at_3264m_fails_like_kexec_tools_though_the_purgatory_could_load_there() {
    let (code, out) = place("256M@3264M");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Could not find a free area of memory of 0x8000 bytes...\n  locate_hole failed"), "{out}");
    assert!(out.contains("the purgatory itself relocates at 0xdbff8000"), "{out}");
}
