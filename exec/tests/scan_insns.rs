#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect
use kreloc_exec::scan::{explain, instruction_at, OperandKind};

// Seed 002: with LTO, `mov $0x97f8f0,%rsi` replaced `lea -0x33f7(%rip),%rsi`.
const MOV_IMM32: &[u8] = &[0x48, 0xc7, 0xc6, 0xf0, 0xf8, 0x97, 0x00];
const LEA_RIP: &[u8] = &[0x48, 0x8d, 0x35, 0x09, 0xcc, 0xff, 0xff];

#[test]
fn names_the_immediate_of_seed_002s_mov() {
    let i = instruction_at(MOV_IMM32, 0x982cf0, 3).unwrap();
    assert_eq!(i.operand_kind, OperandKind::Immediate);
    assert_eq!(i.text, "mov $0x97f8f0,%rsi");
    assert_eq!((i.offset, i.len), (0, 7));
    assert!(explain(&i, "R_X86_64_32S").contains("correct only where it was linked"));
}

#[test]
fn names_the_rip_displacement_of_the_lea() {
    let i = instruction_at(LEA_RIP, 0x982d30, 3).unwrap();
    assert_eq!(i.operand_kind, OperandKind::RipDisplacement);
    assert_eq!(i.text, "lea -0x33f7(%rip),%rsi");
    assert!(explain(&i, "R_X86_64_PC32").contains("position independent"));
}

#[test]
fn finds_the_instruction_containing_an_offset_after_others() {
    let mut code = vec![0x90, 0x90];
    code.extend_from_slice(MOV_IMM32);
    code.push(0xc3);
    let i = instruction_at(&code, 0, 5).unwrap();
    assert_eq!(i.offset, 2);
    assert_eq!(i.operand_kind, OperandKind::Immediate);
    assert_eq!(instruction_at(&code, 0, 9).unwrap().mnemonic, "ret");
    assert!(instruction_at(&code, 0, 10).is_none(), "past the end");
}

#[test]
fn garbage_never_panics() {
    let mut state = 7u64;
    for _ in 0..2000 {
        let bytes: Vec<u8> = (0..32)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (state >> 33) as u8
            })
            .collect();
        let _ = instruction_at(&bytes, 0x1000, (state >> 40) % 40);
    }
}
