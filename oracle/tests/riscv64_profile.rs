//! linux-riscv64: instruction immediates patched as arch/riscv/kernel/elf_kexec.c does, checked on synthetic
//! objects and against ld.lld on real clang output.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

mod support;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use object::write::{Object as WObject, Relocation, SectionId, Symbol, SymbolSection};
use object::{
    Architecture, BinaryFormat, Endianness, RelocationFlags, SectionKind, SymbolFlags, SymbolKind, SymbolScope,
};

const AT: u64 = 0x8020_0000;

/// `.text` holding `insns` (little-endian words), `.data` of 0x40 bytes, and a text symbol `target` at 0x100.
fn object(insns: &[(u64, u32)], relocs: &[(u64, u32, Target, i64)]) -> Vec<u8> {
    let mut w = WObject::new(BinaryFormat::Elf, Architecture::Riscv64, Endianness::Little);
    let t = w.add_section(Vec::new(), b".text".to_vec(), SectionKind::Text);
    let mut text = vec![0u8; 0x200];
    for &(off, insn) in insns {
        text[off as usize..off as usize + 4].copy_from_slice(&insn.to_le_bytes());
    }
    w.append_section_data(t, &text, 4);
    let d = w.add_section(Vec::new(), b".data".to_vec(), SectionKind::Data);
    w.append_section_data(d, &[0; 0x40], 8);
    let sym = |w: &mut WObject, name: &str, value, section| {
        w.add_symbol(Symbol {
            name: name.as_bytes().to_vec(),
            value,
            size: 0,
            kind: SymbolKind::Text,
            scope: SymbolScope::Linkage,
            weak: false,
            section,
            flags: SymbolFlags::None,
        })
    };
    let func = sym(&mut w, "target", 0x100, SymbolSection::Section(t));
    let undef = sym(&mut w, "missing", 0, SymbolSection::Undefined);
    let label = sym(&mut w, ".Lpcrel_hi0", 0x10, SymbolSection::Section(t));
    let data = w.section_symbol(d);
    for &(offset, r_type, target, addend) in relocs {
        let symbol = match target {
            Target::Func => func,
            Target::Data => data,
            Target::Undefined => undef,
            Target::AuipcAt0x10 => label,
        };
        let r = Relocation {
            offset,
            symbol,
            addend,
            flags: RelocationFlags::Elf { r_type: object::elf::RelocationType(r_type) },
        };
        w.add_relocation(t as SectionId, r).unwrap();
    }
    w.write().unwrap()
}

#[derive(Clone, Copy)]
enum Target {
    Func,
    Data,
    Undefined,
    /// The label a PCREL_LO12_I names: the auipc at +0x10.
    AuipcAt0x10,
}

fn load(bytes: &[u8]) -> kreloc_oracle::Verdict {
    let obj = kreloc_oracle::parse(bytes).unwrap();
    kreloc_oracle::load(&obj, &*kreloc_oracle::parse_profile("linux-riscv64").unwrap(), AT)
}

fn word(v: &kreloc_oracle::Verdict, off: usize) -> u32 {
    u32::from_le_bytes(v.image[off..off + 4].try_into().unwrap())
}

#[test]
fn jal_and_branch_immediates_keep_the_opcode() {
    // jal x0 at 0x0 and beq x0,x0 at 0xf8, both to `target` (+0x100): offsets 0x100 and 8.
    let v = load(&object(&[(0, 0x6f), (0xf8, 0x63)], &[(0, 17, Target::Func, 0), (0xf8, 16, Target::Func, 0)]));
    assert!(v.loaded, "{:?}", v.failure);
    assert_eq!(word(&v, 0), 0x1000_006f, "jal x0, +0x100");
    assert_eq!(word(&v, 0xf8), 0x0000_0463, "beq x0, x0, +8");
}

#[test]
fn pcrel_hi20_patches_the_auipc_and_the_instruction_after_it() {
    // auipc a0, 0 ; addi a0, a0, 0 at 0x10, to .data + addend, where .data + addend - P is `offset`.
    let probe = load(&object(&[], &[]));
    let data = probe.placed(".data").unwrap().addr;
    let place = AT + 0x10;
    // (offset, auipc, addi): a low part >= 0x800 is negative, so the high part rounds up.
    for (offset, auipc, addi) in
        [(0x1234_5678u64, 0x1234_5517u32, 0x6785_0513u32), (0x1234_5878, 0x1234_6517, 0x8785_0513)]
    {
        let addend = (place + offset).wrapping_sub(data) as i64;
        let v = load(&object(
            &[(0x10, 0x0000_0517), (0x14, 0x0005_0513)],
            &[(0x10, 23, Target::Data, addend), (0x14, 24, Target::AuipcAt0x10, 0)],
        ));
        assert!(v.loaded, "{:?}", v.failure);
        assert_eq!(word(&v, 0x10), auipc, "auipc for {offset:#x}");
        assert_eq!(word(&v, 0x14), addi, "addi for {offset:#x}");
    }
}

#[test]
fn an_undefined_symbol_is_based_at_zero_without_an_error() {
    let v = load(&object(&[(0, 0x6f)], &[(0x40, 2, Target::Undefined, 0x1234)]));
    assert!(v.loaded, "the riscv loader relocates an undefined symbol against 0: {:?}", v.failure);
    assert_eq!(&v.image[0x40..0x48], &0x1234u64.to_le_bytes());
}

#[test]
fn unsupported_types_use_the_kernels_unprefixed_message() {
    // PCREL_LO12_S (25): the kernel has no case for it.
    let v = load(&object(&[], &[(0x10, 25, Target::Data, 0)]));
    assert_eq!(v.failure_text().as_deref(), Some("Unknown rela relocation: 25"));
    assert!(v.message_lines().iter().any(|m| m == "Error loading purgatory ret=-8"), "{:?}", v.messages);
}

#[test]
fn add_and_sub_accumulate_into_the_field() {
    // A .data-relative difference as compilers emit for jump tables: ADD32 target, SUB32 .data.
    let v = load(&object(&[], &[(0x80, 35, Target::Func, 0), (0x80, 39, Target::Data, 0)]));
    assert!(v.loaded, "{:?}", v.failure);
    let text = v.placed(".text").unwrap().addr;
    let data = v.placed(".data").unwrap().addr;
    assert_eq!(word(&v, 0x80), (text + 0x100).wrapping_sub(data) as u32);
}

// ---- against ld.lld on clang's own riscv64 output ----

const CLANG: &str = "clang-19";
const LLD: &str = "ld.lld-19";

fn program(i: u32) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "static const unsigned long table[8] = {{3,1,4,1,5,9,2,{i}}};");
    // Padding in front of `g` varies the PC offsets' low 12 bits, so some round the high part up.
    let _ = writeln!(s, "unsigned char pad[{}] = {{1}};", 0x300 + i * 0x2a0);
    let _ = writeln!(s, "unsigned long g[4] = {{{i},2,3,4}};");
    let _ = writeln!(s, "static unsigned long *const ptrs[2] = {{&g[0], &g[3]}};");
    let _ = writeln!(s, "static const char *const msg = \"kreloc riscv {i}\";");
    let _ = writeln!(s, "__attribute__((noinline)) static unsigned long f0(unsigned long x) {{ return x + {i}; }}");
    // In its own section, so the call stays a relocation (R_RISCV_CALL_PLT) rather than being resolved by the assembler.
    let _ = writeln!(
        s,
        "__attribute__((noinline, section(\".text.f1\"))) static unsigned long f1(unsigned long x) {{ return x * 3; }}"
    );
    let _ = writeln!(s, "static unsigned long (*const fp[2])(unsigned long) = {{f0, f1}};");
    let _ = writeln!(s, "static unsigned long sw(unsigned long x) {{ switch (x % {}) {{", 6 + i % 4);
    for c in 0..(6 + i % 4) {
        let _ = writeln!(s, "  case {c}: return g[{}] + {};", c % 4, c * 13 + i);
    }
    let _ = writeln!(s, "  default: return table[x & 7]; }} }}");
    let _ = writeln!(s, "unsigned long purgatory_start(void) {{ unsigned long h = 0;");
    let _ = writeln!(s, "  for (unsigned long k = 0; k < 8; k++) h = h * 31 + sw(h + k) + f1(k) + fp[k & 1](table[k]) + *ptrs[k & 1] + (unsigned char)msg[k & 7] + pad[k];");
    let _ = writeln!(s, "  return h; }}");
    s
}

fn compile(dir: &Path, i: u32, opt: &str) -> std::path::PathBuf {
    let src = dir.join(format!("r{i}{opt}.c"));
    std::fs::write(&src, program(i)).unwrap();
    let obj = src.with_extension("o");
    let out = Command::new(CLANG)
        .args([
            "--target=riscv64-unknown-elf",
            "-march=rv64gc",
            "-mabi=lp64d",
            "-mcmodel=medany",
            "-mno-relax",
            "-ffreestanding",
            "-fno-pic",
            "-c",
        ])
        .arg(opt)
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .output()
        .unwrap_or_else(|e| panic!("{CLANG} must be installed by scripts/setup.sh: {e}"));
    assert!(out.status.success(), "{CLANG}: {}", String::from_utf8_lossy(&out.stderr));
    obj
}

fn lld_sections(dir: &Path, obj: &Path, v: &kreloc_oracle::Verdict) -> Vec<(String, u64, Vec<u8>)> {
    let ld = obj.with_extension("ld");
    std::fs::write(&ld, support::linker_script(v)).unwrap();
    let elf = obj.with_extension("elf");
    let out = Command::new(LLD)
        .args(["-static", "-nostdlib", "--no-relax", "--build-id=none", "-e", "purgatory_start", "-T"])
        .arg(&ld)
        .arg(obj)
        .arg("-o")
        .arg(&elf)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{LLD} must be installed by scripts/setup.sh: {e}"));
    assert!(out.status.success(), "{LLD}: {}", String::from_utf8_lossy(&out.stderr));
    support::linked_sections(&std::fs::read(&elf).unwrap(), v, LLD)
}

#[test]
fn clang_riscv64_objects_relocate_exactly_as_ld_lld_links_them() {
    let dir = tempfile::tempdir().unwrap();
    let profile = kreloc_oracle::parse_profile("linux-riscv64").unwrap();
    let mut compared = 0;
    let mut kinds = std::collections::BTreeSet::new();
    for i in 0..6 {
        for opt in ["-O0", "-O2"] {
            let obj = compile(dir.path(), i, opt);
            let parsed = kreloc_oracle::parse(&std::fs::read(&obj).unwrap()).unwrap();
            for at in [AT, 0x1_3fff_b000] {
                let v = kreloc_oracle::load(&parsed, &*profile, at);
                assert!(v.loaded, "program {i} {opt} at {at:#x}: {:?}", v.failure);
                kinds.extend(v.reloc_types());
                for (name, addr, data) in lld_sections(dir.path(), &obj, &v) {
                    let p = v.placed(&name).unwrap();
                    assert_eq!(addr, p.addr, "{LLD} placed {name} elsewhere");
                    let off = p.buf_offset.unwrap() as usize;
                    assert!(
                        v.image[off..off + data.len()] == data[..],
                        "program {i} {opt} at {at:#x}: {name} differs from {LLD}"
                    );
                }
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 24);
    for kind in ["R_RISCV_PCREL_HI20", "R_RISCV_PCREL_LO12_I", "R_RISCV_CALL_PLT", "R_RISCV_64"] {
        assert!(kinds.contains(kind), "the programs no longer exercise {kind}: {kinds:?}");
    }
}

#[test]
fn a_lo12_that_does_not_follow_its_auipc_is_a_finding_not_a_refusal() {
    // The label of the auipc is `target` (+0x100); the LO12_I sits at +0x108, one instruction too far.
    let relocs = [(0x100, 23, Target::Data, 0), (0x108, 24, Target::Func, 0)];
    let bytes = object(&[(0x100, 0x517), (0x104, 0x0000_0013), (0x108, 0x0005_0513)], &relocs);
    let v = load(&bytes);
    assert!(v.loaded, "the real kernel relocates it: {:?}", v.failure);
    let f = v.findings.first().expect("a finding").to_string();
    assert!(f.contains(".text+0x108") && f.contains("the kernel patches the wrong instruction, .text+0x104"), "{f}");
    assert_ne!(word(&v, 0x104), 0x13, "the nop after the auipc is what the kernel overwrites");
    let obj = kreloc_oracle::parse(&bytes).unwrap();
    let w = kreloc_oracle::window::window(&obj, &*kreloc_oracle::parse_profile("linux-riscv64").unwrap());
    assert!(!w.intervals.0.is_empty(), "the window is about relocation: {:?}", w.intervals);
    assert_eq!(w.hazards.len(), 1, "the hazard is listed apart: {:?}", w.hazards);
}
