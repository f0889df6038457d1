//! Placement arithmetic under extreme addresses, sizes and alignments (0, 1, non-powers of two, 2^63,
//! u64::MAX-ish), as a crafted object or memory map reaches it through `kreloc place`. Run with overflow
//! checks (`cargo test --profile ci`): a wrapping subtraction panics there instead of passing silently.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use arbitrary::{Arbitrary, Unstructured};
use kreloc_placement::holes::{kernel_top_down, locate_hole, HoleRequest};
use kreloc_placement::memmap::{parse_crashkernel, MemoryMap, Range};
use kreloc_placement::{place, Loader};

/// Values near the edges of the address space, mixed with anything.
#[derive(Debug, Clone, Copy)]
struct Edge(u64);

impl<'a> Arbitrary<'a> for Edge {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Edge> {
        const EDGES: [u64; 12] = [0, 1, 2, 3, 0xfff, 0x1000, 0x1001, 0x3000, 1 << 32, (1 << 63) - 1, 1 << 63, u64::MAX];
        Ok(Edge(match u.int_in_range(0..=3u8)? {
            0 => EDGES[u.choose_index(EDGES.len())?],
            1 => u64::MAX - u64::from(u.arbitrary::<u16>()?),
            2 => u64::from(u.arbitrary::<u32>()?),
            _ => u.arbitrary()?,
        }))
    }
}

fn range(u: &mut Unstructured) -> arbitrary::Result<Range> {
    let (a, b) = (Edge::arbitrary(u)?.0, Edge::arbitrary(u)?.0);
    Ok(Range { start: a.min(b), end: a.max(b) })
}

/// Deterministic pseudo-random bytes (splitmix64), so a failure reproduces from its case number.
fn bytes(case: u64) -> Vec<u8> {
    let mut z = case;
    (0..64)
        .flat_map(|_| {
            z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (x ^ (x >> 31)).to_le_bytes()
        })
        .collect()
}

const LOADERS: [Loader; 5] = [
    Loader::KexecToolsI386,
    Loader::KexecToolsI386NonReloc,
    Loader::KexecToolsI386Kernel64,
    Loader::KexecToolsX86_64,
    Loader::LinuxX86_64,
];

/// A placed purgatory lies whole inside the loader's window and one RAM range (or the crash reservation).
fn check_case(case: u64) -> arbitrary::Result<()> {
    let data = bytes(case);
    let mut u = Unstructured::new(&data);
    let mut ram = vec![range(&mut u)?, range(&mut u)?, range(&mut u)?];
    ram.sort_by_key(|r| r.start);
    let crash = if u.arbitrary()? { Some(range(&mut u)?) } else { None };
    let (memsz, align) = (Edge::arbitrary(&mut u)?.0, Edge::arbitrary(&mut u)?.0);
    let loader = LOADERS[u.choose_index(LOADERS.len())?];
    let map = MemoryMap { ram: ram.clone(), crash: None };
    let p = place(loader, &map, crash, memsz, align);
    if let Some(at) = p.address {
        let last = at.checked_add(memsz.max(1) - 1).unwrap_or_else(|| panic!("case {case}: {p:?} wraps"));
        assert!(p.window.0 <= at && last <= p.window.1, "case {case}: {p:?} outside its window");
        // A kdump load searches the crash reservation (the kernel takes it as RAM); any other load, RAM.
        match crash {
            Some(c) => {
                assert!(c.start <= at && last <= c.end, "case {case}: {p:?} outside the crash reservation {c:?}")
            }
            None => {
                assert!(ram.iter().any(|r| r.start <= at && last <= r.end), "case {case}: {p:?} outside RAM {ram:?}")
            }
        }
    }
    let req = HoleRequest {
        size: memsz,
        align,
        min: Edge::arbitrary(&mut u)?.0,
        max: Edge::arbitrary(&mut u)?.0,
        end: if u.arbitrary()? { 1 } else { -1 },
    };
    if let Ok(at) = locate_hole(&ram, &[range(&mut u)?], 0, u64::MAX, req) {
        assert!(
            at >= req.min && at.checked_add(memsz.max(1) - 1).is_some_and(|l| l <= req.max),
            "case {case}: {at:#x} for {req:?}"
        );
    }
    let (lo, hi) = (Edge::arbitrary(&mut u)?.0, Edge::arbitrary(&mut u)?.0);
    if let Some(at) = kernel_top_down(&ram, lo, hi, memsz, align) {
        assert!(
            at >= lo && at.checked_add(memsz.max(1) - 1).is_some_and(|l| l <= hi),
            "case {case}: {at:#x} in [{lo:#x}, {hi:#x}]"
        );
    }
    Ok(())
}

#[test]
fn placement_never_wraps_and_stays_inside_ram_and_window() {
    for case in 0..20_000 {
        check_case(case).unwrap();
    }
}

#[test]
fn crafted_maps_and_crashkernel_specs_are_errors_not_panics() {
    for text in [
        "0x0-0xffffffffffffffff usable",
        "ffffffffffffffff-ffffffffffffffff : System RAM",
        "0x10-0x0 usable",
        "-",
        "0x1-",
        "x-y ram",
    ] {
        let _ = MemoryMap::parse(text);
    }
    for spec in
        ["0@0", "1@0xffffffffffffffff", "0xffffffffffffffff@1", "16G@0xfffffffc00000000", "17179869184G@0", "@", "1@"]
    {
        if let Ok(r) = parse_crashkernel(spec) {
            assert!(r.start <= r.end, "{spec}: {r:?}");
        }
    }
    assert!(parse_crashkernel("1@0xffffffffffffffff").is_ok(), "the last byte is a valid one-byte reservation");
    assert!(parse_crashkernel("2@0xffffffffffffffff").is_err(), "it would wrap");
}

#[test]
fn top_of_search_fits_the_reservation_or_is_none() {
    let map = MemoryMap { ram: vec![Range { start: 0x1000, end: 0xdfff_ffff }], crash: None };
    let crash = Range { start: 0xcc00_0000, end: 0xdbff_ffff };
    let p = place(Loader::KexecToolsI386, &map, Some(crash), 0x6000, 16);
    assert_eq!(p.top_of_search(), Some(0xdbff_a000));
    let tiny = Range { start: 0xdbff_f000, end: 0xdbff_ffff };
    assert_eq!(place(Loader::KexecToolsI386, &map, Some(tiny), 0x6000, 16).top_of_search(), None, "does not fit");
    for (memsz, align) in [(u64::MAX, 1), (0, u64::MAX), (1, 1 << 63), (0x6000, 3)] {
        if let Some(at) = place(Loader::LinuxX86_64, &map, Some(crash), memsz, align).top_of_search() {
            assert!(
                at >= crash.start && at.checked_add(memsz.max(1) - 1).is_some_and(|l| l <= crash.end),
                "{memsz:#x} {align:#x}: {at:#x}"
            );
        }
    }
}
