#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect
use kreloc_placement::memmap::{parse_crashkernel, MemoryMap};
use kreloc_placement::{place, Loader};

const IOMEM: &str = "\
00000000-00000fff : Reserved
00001000-0009ffff : System RAM
000a0000-000fffff : Reserved
00100000-dfffffff : System RAM
  01000000-01ffffff : Kernel code
e0000000-febfffff : PCI Bus 0000:00
100000000-21fffffff : System RAM
";

fn map() -> MemoryMap {
    MemoryMap::parse(IOMEM).unwrap()
}

#[test]
fn i386_loader_places_under_its_cap_with_crashkernel_at_1968m() {
    let crash = parse_crashkernel("256M@1968M").unwrap();
    let p = place(Loader::KexecToolsI386, &map(), Some(crash), 0x8000, 0x1000);
    assert_eq!(p.address, Some(0x7fff_8000), "top-down, capped at 0x7fffffff: {:?}", p.messages);
}

#[test]
fn i386_loader_fails_with_crashkernel_at_3264m_like_kexec_tools() {
    let crash = parse_crashkernel("256M@3264M").unwrap();
    let p = place(Loader::KexecToolsI386, &map(), Some(crash), 0x8000, 0x1000);
    assert_eq!(p.address, None);
    assert_eq!(p.messages, vec!["Could not find a free area of memory of 0x8000 bytes...", "locate_hole failed"]);
    // The 2021 patch (x86_64 kernel from i386 user space) lifts the cap: it loads.
    let patched = place(Loader::KexecToolsI386Kernel64, &map(), Some(crash), 0x8000, 0x1000);
    assert_eq!(patched.address, Some(0xcc00_0000 + 0x1000_0000 - 0x8000));
    assert!(place(Loader::KexecToolsX86_64, &map(), Some(crash), 0x8000, 0x1000).address.is_some());
}

#[test]
fn the_kernel_places_top_down_in_the_crash_reservation() {
    let crash = parse_crashkernel("0x10000000@0x130000000").unwrap();
    let big = MemoryMap::parse("0x1000-0x9ffff usable\n0x100000-0x17fffffffff usable\n").unwrap();
    assert_eq!(place(Loader::LinuxX86_64, &big, Some(crash), 0x5000, 0x1000).address, Some(0x1_3fff_b000), "seed 001");
    let high = parse_crashkernel("512M@0x17f60000000").unwrap();
    let p = place(Loader::LinuxX86_64, &big, Some(high), 0x3000, 0x1000);
    assert_eq!(p.address, Some(0x17f_7fff_d000));
}

#[test]
fn a_crash_kernel_line_in_iomem_is_used_when_none_is_given() {
    let m = MemoryMap::parse("00001000-9fffffff : System RAM\n  7b000000-8affffff : Crash kernel\n").unwrap();
    assert_eq!(m.crash.unwrap().start, 0x7b00_0000);
    assert_eq!(place(Loader::KexecToolsI386, &m, None, 0x8000, 0x1000).address, Some(0x7fff_8000));
}

#[test]
fn bad_maps_and_specs_are_clear_errors() {
    assert!(MemoryMap::parse("garbage here\n").unwrap_err().0.contains("line 1"));
    assert!(MemoryMap::parse("0x2000-0x1000 usable\n").unwrap_err().0.contains("below start"));
    assert!(MemoryMap::parse("0x1000-0x2000 reserved\n").unwrap_err().0.contains("no RAM"));
    assert!(parse_crashkernel("256M").is_err());
    assert!(parse_crashkernel("0@1G").is_err());
}
