#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect
mod support;

use support::*;

/// `.text` (0x20 bytes) then `.rodata`; an R_X86_64_32S from .text+0x1c against .rodata+0x40.
fn r32s_object() -> (Vec<u8>, u64) {
    let mut b = Builder::x86_64();
    let text = b.text(".text", 0x20);
    let ro = b.data(".rodata", 0x80);
    let sym = b.section_symbol(ro);
    b.reloc(text, 0x1c, sym, R_32S, 0x40);
    (b.build(), 0x20 + 0x40)
}

#[test]
fn r32s_bounds_the_window_below_2gib_and_names_the_relocation() {
    let (bytes, c) = r32s_object();
    let w = window(&bytes, "linux-x86_64");
    let last = (0x7fff_ffff - c) & !0xfff;
    // 32S also reaches the top 2 GiB (sign extension): that is where the kernel itself runs.
    let top = (0xffff_ffff_8000_0000u64 - c + 0xfff) & !0xfff;
    assert_eq!(w.intervals.0, vec![(0x3000, last), (top, u64::MAX - 0xfff)]);
    assert_eq!(w.limits.len(), 1);
    assert_eq!(w.limits[0].relocation.to_string(), "R_X86_64_32S against .rodata+0x40 in .text+0x1c");
    assert_eq!(
        w.limits[0].text,
        format!("limits the load to < {:#x} or >= {:#x}", 0x8000_0000 - c, 0xffff_ffff_8000_0000u64 - c)
    );
    // The boundary agrees with the relocator.
    assert!(load(&bytes, "linux-x86_64", last).loaded);
    assert!(!load(&bytes, "linux-x86_64", last + 0x1000).loaded);
}

#[test]
fn position_independent_objects_load_anywhere_in_the_loader_window() {
    let mut b = Builder::x86_64();
    let text = b.text(".text", 0x40);
    let d = b.data(".data", 0x40);
    let s = b.section_symbol(d);
    b.reloc(text, 4, s, R_PC32, -4);
    b.reloc(d, 8, s, R_64, 0);
    let w = window(&b.build(), "strict-x86_64");
    assert!(w.limits.is_empty());
    assert_eq!(w.intervals.0, vec![(0x3000, u64::MAX - 0xfff)]);
}

#[test]
fn the_i386_loader_cap_is_separate_from_what_relocates() {
    let mut b = Builder::i386();
    let text = b.section(".text", object::SectionKind::Text, &[0; 16], 4);
    let d = b.data(".data", 16);
    let s = b.section_symbol(d);
    b.reloc(text, 0, s, object::elf::R_386_32.0, 0);
    let w = window(&b.build(), "kexec-tools-i386");
    assert_eq!(w.intervals.0.last().unwrap().1, 0x7fff_f000, "capped by the loader at 0x7fffffff");
    assert_eq!(w.relocatable.0.last().unwrap().1, 0xffff_f000, "the purgatory itself relocates up to 4 GiB");
}

#[test]
fn an_unloadable_object_has_an_empty_window_with_blockers() {
    let w = window(&single_abs(R_GOTPCREL, 0), "linux-x86_64");
    assert!(w.intervals.is_empty());
    assert_eq!(w.blockers.iter().map(ToString::to_string).collect::<Vec<_>>(), ["kexec: Unknown rela relocation: 9"]);
}

/// Problems are told apart as a reader sees them: two unknown types the strict loader names alike are one
/// problem with both relocations, not two identical lines.
#[test]
fn problems_that_read_the_same_are_one_blocker() {
    let mut b = Builder::x86_64();
    let text = b.text(".text", 0x20);
    let d = b.data(".data", 0x10);
    let s = b.section_symbol(d);
    b.reloc(text, 0, s, 200, 0);
    b.reloc(text, 8, s, 201, 0);
    let w = window(&b.build(), "strict-x86_64");
    let texts: Vec<String> = w.blockers.iter().map(ToString::to_string).collect();
    assert_eq!(texts, ["R_X86_64_UNKNOWN cannot be applied by a purgatory loader"]);
    assert_eq!(w.blocking_relocations.len(), 2);
    assert!(w.blocking_relocations.iter().all(|r| r.blocker == 0));
    assert_eq!(w.blocking_relocations[1].relocation.to_string(), "R_X86_64_UNKNOWN against .data in .text+0x8");
}

/// Small deterministic PRNG (xorshift) so the property test is reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn random_object(rng: &mut Rng) -> Vec<u8> {
    let mut b = Builder::x86_64();
    let text = b.text(".text", 0x100);
    let data = b.data(".data", 0x100);
    let sd = b.section_symbol(data);
    let st = b.section_symbol(text);
    let abs = b.absolute("abs", rng.next() >> rng.below(64));
    for i in 0..(1 + rng.below(6)) {
        let r_type = [R_64, R_PC32, R_PLT32, R_32, R_32S][rng.below(5) as usize];
        let sym = [sd, st, abs][rng.below(3) as usize];
        let addend = (rng.next() >> (33 + rng.below(31))) as i64 - 0x100;
        b.reloc(text, i * 8, sym, r_type, addend);
    }
    b.build()
}

#[test]
fn the_window_agrees_with_concrete_relocation_at_sampled_addresses() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..300 {
        let bytes = random_object(&mut rng);
        for profile in ["linux-x86_64", "strict-x86_64", "kexec-tools-x86_64"] {
            let w = window(&bytes, profile);
            let mut samples: Vec<u64> = (0..20).map(|_| rng.next() & !0xfff).collect();
            for &(lo, hi) in &w.intervals.0 {
                samples.extend([lo, hi, lo.wrapping_sub(0x1000), hi.wrapping_add(0x1000)]);
            }
            for at in samples.into_iter().filter(|a| *a >= 0x3000 && *a <= u64::MAX - 0xfff) {
                let v = load(&bytes, profile, at);
                assert_eq!(
                    w.allows(at),
                    v.loaded,
                    "{profile} at {at:#x}: window {:?}, verdict {:?}",
                    w.intervals,
                    v.failure
                );
            }
        }
    }
}

#[test]
fn a_section_the_kernel_pins_at_zero_does_not_move_with_the_load() {
    // Found by the elf fuzzer: an empty bss with sh_addralign 0 sits at ALIGN(x, 0) == 0 at every load
    // address, so a 32S against it is the constant 0xc700 and never overflows.
    let mut b = Builder::x86_64();
    let text = b.text(".text", 0x20);
    let bss = b.section(".bss", object::SectionKind::UninitializedData, &[], 8);
    b.raw_align(".bss", 0);
    let sym = b.section_symbol(bss);
    b.reloc(text, 0x4, sym, R_32S, 0xc700);
    let bytes = b.build();
    let w = window(&bytes, "linux-x86_64");
    assert!(w.limits.is_empty(), "{:?}", w.limits);
    assert_eq!(w.intervals, w.loader_aligned());
    let v = load(&bytes, "linux-x86_64", 0x1_0000_0000_0000);
    assert!(v.loaded, "{:?}", v.failure);
    assert_eq!(&v.image[4..8], &0xc700u32.to_le_bytes());
}
