#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect
mod support;

use object::{SectionKind, SymbolKind};
use support::*;

const AT: u64 = 0x13fffb000;

/// Seed 001's object: `.text` and `.ltext` both exec and both at sh_addr 0, `purgatory_start` in `.ltext`,
/// and an LLVM 18.1.0–18.1.4-style R_X86_64_32 from `.ltext` against `.kexec-purgatory`.
fn seed001() -> Vec<u8> {
    let mut b = Builder::x86_64();
    let text = b.text(".text", 0x700);
    let ltext = b.text(".ltext", 0x800);
    let kp = b.data(".kexec-purgatory", 0x200);
    b.global("purgatory_start", ltext, 0x10, 0x20, SymbolKind::Text);
    b.global("purgatory_sha_regions", kp, 0, 256, SymbolKind::Data);
    b.global("purgatory_sha256_digest", kp, 0x100, 32, SymbolKind::Data);
    let kps = b.section_symbol(kp);
    b.reloc(ltext, 0x20, kps, R_32, 0x60);
    let _ = text;
    b.entry(0x10);
    b.build()
}

#[test]
fn seed001_overflows_type_10_at_0x13fffb000_and_warns() {
    let v = load(&seed001(), "linux-x86_64", AT);
    // .text at +0, .ltext at +0x700, .kexec-purgatory at +0xf00; value = L + 0xf00 + 0x60.
    assert_eq!(v.messages.len(), 3, "{:#?}", v.messages);
    assert!(v.messages[0].to_string().starts_with("WARNING: at kernel/kexec_file.c"), "{}", v.messages[0]);
    assert_eq!(v.messages[1].to_string(), "kexec: Overflow in relocation type 10 value 0x13fffbf60");
    assert_eq!(v.messages[2].to_string(), "kexec-bzImage64: Loading purgatory failed");
    assert_eq!(v.entry_matches(), [".text", ".ltext"]);
    assert!(v.entry.warned);
}

#[test]
fn seed001_entry_is_misplaced_in_every_scan_era_and_right_with_the_symbol() {
    let bytes = {
        // Without the bad relocation, so only the entry differs.
        let mut b = Builder::x86_64();
        let _text = b.text(".text", 0x700);
        let ltext = b.text(".ltext", 0x800);
        b.global("purgatory_start", ltext, 0x10, 0x20, SymbolKind::Text);
        b.entry(0x10);
        b.kexec_file_symbols();
        b.build()
    };
    let warn = load(&bytes, "linux-x86_64@6.6", AT);
    assert!(warn.loaded && !warn.ok && warn.load_succeeds && !warn.good);
    assert_eq!(warn.entry.start, AT + 0x10, "first match (.text) wins");
    assert_eq!(warn.entry.intended.as_ref().unwrap().addr, AT + 0x710);
    assert!(warn.failure_text().unwrap().contains("entry misplaced"));

    let recompute = load(&bytes, "linux-x86_64@5.4", AT);
    assert_eq!(recompute.entry.start, 0x10 + AT + (AT + 0x700), "start -= 0; start += mem + offset, twice");
    assert!(!recompute.entry.warned);

    let legacy = load(&bytes, "linux-x86_64@4.15", AT);
    assert_eq!(legacy.entry.start, AT + 0x10);

    let fixed = load(&bytes, "linux-x86_64@7.0", AT);
    assert!(fixed.ok, "{:?}", fixed.failure);
    assert_eq!(fixed.entry.start, AT + 0x710);
}

#[test]
fn a_single_exec_section_gives_the_right_entry_without_warning() {
    let mut b = Builder::x86_64();
    let text = b.text(".text", 0x100);
    b.global("purgatory_start", text, 0x40, 0x10, SymbolKind::Text);
    b.entry(0x40);
    let v = load(&b.build(), "linux-x86_64", AT);
    assert!(v.ok);
    assert_eq!(v.entry.start, AT + 0x40);
    assert!(v.warnings.iter().all(|w| !w.to_string().contains("exec sections")));
}

#[test]
fn kernel_sizing_aligns_bss_after_the_buffer_and_rounds_memsz() {
    let mut b = Builder::x86_64();
    b.text(".text", 0x123);
    b.section(".bss", SectionKind::UninitializedData, &[0; 0x80], 64);
    let v = load(&b.build(), "linux-x86_64", AT);
    assert_eq!(v.bufsz, 0x140, "ALIGN(0x123, bss_align 64)");
    assert_eq!(v.memsz, 0x1000);
    let bss = v.placed(".bss").unwrap();
    assert_eq!(bss.addr, AT + 0x140);
}

#[test]
fn align_zero_is_zero_in_the_kernel_and_overruns_its_buffer() {
    let mut b = Builder::x86_64();
    b.text(".text", 0x100);
    b.data(".data", 0x40);
    b.raw_align(".data", 0);
    let bytes = b.build();
    let v = load(&bytes, "linux-x86_64", AT);
    // bufsz = ALIGN(0x100, 0) + 0x40 = 0x40, yet .text copies 0x100 bytes: past the buffer, but inside
    // vzalloc's page, which is never copied to the segment. The kernel loads it (issue 13, class 6).
    assert_eq!(v.bufsz, 0x40);
    assert!(v.loaded, "{:?}", v.failure);
    assert!(
        v.findings.iter().any(|f| f.to_string().contains(".text") && f.to_string().contains("into padding")),
        "{:?}",
        v.findings
    );
    assert_eq!(v.findings[0].code(), "section-into-padding");
    let data = v.placed(".data").unwrap();
    assert_eq!(data.addr, AT, "ALIGN(offset, 0) == 0 puts .data on top of .text");

    let kt = load(&bytes, "kexec-tools-x86_64", AT);
    assert!(kt.loaded, "kexec-tools treats alignment 0 as 1: {:?}", kt.failure);
    assert_eq!(kt.placed(".data").unwrap().addr, AT + 0x100);

    // Past the page-rounded buffer the copy really corrupts memory; the kernel still goes on.
    let mut b = Builder::x86_64();
    b.text(".text", 0x2000);
    b.data(".data", 0x40);
    b.raw_align(".data", 0);
    let v = load(&b.build(), "linux-x86_64", AT);
    assert!(v.loaded, "{:?}", v.failure);
    assert_eq!(v.findings[0].code(), "section-past-buffer");
    assert!(v.findings[0].to_string().contains("corrupts memory"), "{}", v.findings[0]);
}

#[test]
fn non_power_of_two_alignment_is_rejected_by_strict_only() {
    let mut b = Builder::x86_64();
    b.text(".text", 0x10);
    b.data(".data", 0x10);
    b.raw_align(".data", 24);
    let bytes = b.build();
    let strict = load(&bytes, "strict-x86_64", AT);
    assert!(strict.failure_text().unwrap().contains("not a power of two"));
    // The kernel computes ALIGN(0x10, 24) = (0x10 + 23) & ~23 literally.
    let k = load(&bytes, "linux-x86_64", AT);
    let data = k.placed(".data").unwrap();
    assert_eq!(data.addr - AT, (0x10u64 + 23) & !23);
}

#[test]
fn kexec_symbols_in_bss_or_with_the_wrong_size_fail_the_kernel_load() {
    let mut b = Builder::x86_64();
    b.text(".text", 0x10);
    b.bzimage64_symbols();
    let bss = b.section(".bss", SectionKind::UninitializedData, &[0; 0x200], 16);
    b.global("purgatory_sha_regions", bss, 0, 256, SymbolKind::Data);
    let v = load(&b.build(), "linux-x86_64", AT);
    assert_eq!(
        v.failure_text().as_deref(),
        Some("kexec_file: symbol purgatory_sha_regions is in a bss section. Cannot set")
    );

    let mut b = Builder::x86_64();
    b.bzimage64_symbols();
    let d = b.data(".kexec-purgatory", 0x200);
    b.global("purgatory_sha_regions", d, 0x100, 256, SymbolKind::Data);
    b.global("purgatory_sha256_digest", d, 0, 20, SymbolKind::Data);
    let v = load(&b.build(), "linux-x86_64", AT);
    assert_eq!(
        v.failure_text().as_deref(),
        Some("kexec_file: symbol purgatory_sha256_digest size mismatch: expected 20 actual 32")
    );
}

#[test]
fn align_zero_after_a_larger_section_overwrites_it_without_overrunning() {
    // Found by the elf fuzzer: bufsz = ALIGN(0x300, 0) + 0x300 = 0x300 and both copies land at offset 0.
    let mut b = Builder::x86_64();
    b.data(".data", 0x300);
    b.text(".text", 0x300);
    b.raw_align(".text", 0);
    let v = load(&b.build(), "linux-x86_64", AT);
    assert!(v.loaded, "the kernel goes on: {:?}", v.failure);
    assert!(v.findings.iter().any(|f| f.to_string().contains(".text lands on section .data")), "{:?}", v.findings);
    assert!(
        load(
            &{
                let mut b = Builder::x86_64();
                b.data(".data", 0x300);
                b.text(".text", 0x300);
                b.raw_align(".text", 0);
                b.build()
            },
            "strict-x86_64",
            AT
        )
        .loaded
    );
}

#[test]
fn bss_with_align_zero_lands_at_address_zero() {
    // Found by the elf fuzzer: ALIGN(bss_addr, 0) == 0.
    let mut b = Builder::x86_64();
    b.text(".text", 0x10);
    b.section(".bss", SectionKind::UninitializedData, &[0; 0x40], 8);
    b.raw_align(".bss", 0);
    let v = load(&b.build(), "linux-x86_64", AT);
    assert_eq!(v.placed(".bss").unwrap().addr, 0);
    assert!(v.loaded, "the kernel goes on: {:?}", v.failure);
    assert_eq!(v.findings[0].code(), "bss-outside-segment");
    assert!(v.findings[0].to_string().contains("outside the segment"), "{:?}", v.findings);
}

#[test]
fn an_empty_bss_with_align_zero_warns_and_its_symbols_resolve_to_zero() {
    // Found by the elf fuzzer: harmless to copy, but a relocation against it gets 0 + addend.
    let mut b = Builder::x86_64();
    let text = b.text(".text", 0x10);
    let bss = b.section(".bss", SectionKind::UninitializedData, &[], 8);
    b.raw_align(".bss", 0);
    let sym = b.section_symbol(bss);
    b.reloc(text, 0, sym, 1, 0x20);
    let bytes = b.build();
    let v = load(&bytes, "linux-x86_64", AT);
    assert!(v.loaded, "{:?}", v.failure);
    assert_eq!(&v.image[0..8], &0x20u64.to_le_bytes());
    assert!(
        v.warnings.iter().any(|w| w.to_string().contains("empty section .bss is placed at 0x0")),
        "{:?}",
        v.warnings
    );
    let obj = kreloc_oracle::parse(&bytes).unwrap();
    kreloc_oracle::properties::linux_and_strict_agree(&obj).expect("different placements are not a byte disagreement");
}
