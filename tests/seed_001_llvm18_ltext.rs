//! Seed 001: LLVM 18 started emitting `.ltext` under -mcmodel=large, so two exec sections contain the
//! entry (WARN), and 18.1.0–18.1.4 emitted R_X86_64_32 for section-attributed globals.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

mod support;

use support::*;

const AT: u64 = 0x1_3fff_b000;

fn build(cc: &[String], flags: &[&str], script: Option<&str>) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let cc: Vec<&str> = cc.iter().map(String::as_str).collect();
    purgatory(dir.path(), &cc, flags, &fixture("purgatory.c"), script)
}

#[test]
fn llvm17_keeps_one_text_section_and_llvm18_adds_ltext() {
    let l17 = build(&zig_cc("0.12.1"), &["-mcmodel=large"], None);
    let l18 = build(&zig_cc("0.13.0"), &["-mcmodel=large"], None);
    assert!(!section_names(&l17).contains(&".ltext".to_string()), "{:?}", section_names(&l17));
    assert!(section_names(&l18).contains(&".ltext".to_string()), "{:?}", section_names(&l18));

    let v17 = load(&l17, "linux-x86_64", AT);
    assert!(v17.ok && v17.warnings.iter().all(|w| !w.to_string().contains("exec sections")), "{:?}", v17.warnings);

    let v18 = load(&l18, "linux-x86_64", AT);
    assert!(v18.loaded);
    assert!(v18.entry.warned);
    assert!(v18.messages[0].to_string().starts_with("WARNING: at kernel/kexec_file.c"), "{:?}", v18.messages);
    assert_eq!(v18.entry_matches(), [".text", ".ltext"]);
}

#[test]
fn the_4_17_to_6_3_kernels_misplace_the_llvm18_entry() {
    let l18 = build(&zig_cc("0.13.0"), &["-mcmodel=large"], None);
    let v = load(&l18, "linux-x86_64@5.4", AT);
    assert!(v.loaded && !v.ok);
    let intended = v.entry.intended.as_ref().unwrap();
    assert_eq!(intended.addr, AT, "purgatory_start is at the start of .text");
    let ltext = v.placed(".ltext").unwrap().addr;
    // start = e_entry - 0 + (mem + 0) for .text, then again + (mem + offset(.ltext)).
    assert_eq!(v.entry.start, AT + ltext);
    assert!(v.failure_text().unwrap().contains("entry misplaced"));
}

#[test]
fn llvm_18_1_0_to_18_1_4_r32_overflows_at_0x13fffb000() {
    // 18.1.6 (zig 0.13) is already fixed, so the buggy object is synthetic: .text, .ltext and
    // .kexec-purgatory at offset 0xf00, with an R_X86_64_32 from .ltext against .kexec-purgatory+0x860.
    use object::SymbolKind;
    let mut b = synth::Builder::x86_64();
    let text = b.text(".text", 0x700);
    let ltext = b.text(".ltext", 0x800);
    let kp = b.data(".kexec-purgatory", 0x900);
    b.global("purgatory_start", text, 0, 0x10, SymbolKind::Text);
    b.global("purgatory_sha_regions", kp, 0, 256, SymbolKind::Data);
    b.global("purgatory_sha256_digest", kp, 0x100, 32, SymbolKind::Data);
    let sym = b.section_symbol(kp);
    b.reloc(ltext, 0x24, sym, synth::R_32, 0x860);
    let bytes = b.build();
    let v = load(&bytes, "linux-x86_64", AT);
    assert_eq!(v.messages[1].to_string(), "kexec: Overflow in relocation type 10 value 0x13fffc760");
    assert_eq!(v.messages[2].to_string(), "kexec-bzImage64: Loading purgatory failed");
    let w = kreloc_oracle::window::window(
        &kreloc_oracle::parse(&bytes).unwrap(),
        &*kreloc_oracle::parse_profile("linux-x86_64").unwrap(),
    );
    assert_eq!(w.limits[0].relocation.to_string(), "R_X86_64_32 against .kexec-purgatory+0x860 in .ltext+0x24");
    assert!(!w.allows(AT) && w.allows(0x7fff_0000));
}

#[test]
fn both_fixes_pass() {
    // Fix 1: a linker script merging .ltext into .text.
    let merge = "SECTIONS { .text : { *(.text .text.*) *(.ltext .ltext.*) } .rodata : { *(.rodata .rodata.* .lrodata .lrodata.*) } .data : { *(.data .data.* .ldata .ldata.*) } }";
    let merged = build(&zig_cc("0.13.0"), &["-mcmodel=large"], Some(merge));
    assert!(!section_names(&merged).contains(&".ltext".to_string()));
    for profile in ["linux-x86_64", "linux-x86_64@5.4"] {
        let v = load(&merged, profile, AT);
        assert!(v.ok && !v.entry.warned, "{profile}: {:?} {:?}", v.failure, v.messages);
    }
    // Fix 2 (the 2024 flags): the small model with pic and hidden visibility loads anywhere.
    let pic =
        build(&zig_cc("0.13.0"), &["-mcmodel=small", "-fpic", "-fvisibility=hidden", "-fno-stack-protector"], None);
    let w = kreloc_oracle::window::window(
        &kreloc_oracle::parse(&pic).unwrap(),
        &*kreloc_oracle::parse_profile("linux-x86_64").unwrap(),
    );
    assert!(w.limits.is_empty() && w.blockers.is_empty(), "{:?} {:?}", w.limits, w.blockers);
    for at in [AT, 0x17f_7aff_d000, 0x7fff_f000] {
        let v = load(&pic, "linux-x86_64", at);
        assert!(v.ok && !v.entry.warned, "{at:#x}: {:?}", v.failure);
    }
}
