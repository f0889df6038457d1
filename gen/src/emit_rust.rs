//! The Rust emitter: a `#![no_std]` library with no panicking paths (raw-pointer access, wrapping
//! arithmetic), `#[link_section]` statics, and its own memcpy/memset, so the object has no undefined symbols.

use std::fmt::Write;

use crate::ast::{FuncKind, Program, Sect, Temp, Vis, LARGE_LEN};
use crate::eval::{SHA_DIGEST0, SHA_REGION0_LEN};

fn section(s: Sect) -> String {
    match s {
        Sect::Default => String::new(),
        Sect::KexecPurgatory => "#[link_section = \".kexec-purgatory\"]\n".into(),
        Sect::Named(n) => format!("#[link_section = \".data.kreloc{n}\"]\n"),
    }
}

/// `#[no_mangle] pub` for exported items (Rust has no stable hidden visibility or weak definitions).
fn export(v: Vis) -> &'static str {
    match v {
        Vis::Static => "",
        Vis::Hidden | Vis::Default => "#[no_mangle]\npub ",
    }
}

/// The program as Rust.
pub fn emit_rust(p: &Program) -> String {
    let mut s = String::from(HEADER);
    if p.copy_plan().is_some() {
        s.push_str(MEMCPY);
    }
    if p.set_plan().is_some() {
        s.push_str(MEMSET);
    }
    s.push_str(REST);
    if p.sha_pair {
        let _ = writeln!(s, "#[repr(C)]\n#[derive(Clone, Copy)]\npub struct ShaRegion {{ start: u64, len: u64 }}");
        let _ = writeln!(s, "#[no_mangle]\n#[link_section = \".kexec-purgatory\"]\npub static mut purgatory_sha_regions: [ShaRegion; 16] = {{ let mut r = [ShaRegion {{ start: 0, len: 0 }}; 16]; r[0].len = {SHA_REGION0_LEN:#x}; r }};");
        let _ = writeln!(s, "#[no_mangle]\n#[link_section = \".kexec-purgatory\"]\npub static mut purgatory_sha256_digest: [u8; 32] = {{ let mut d = [0u8; 32]; d[0] = {SHA_DIGEST0:#x}; d }};");
    }
    for (i, a) in p.arrays.iter().enumerate() {
        let len = p.array_len(i);
        let init = if a.large {
            format!("{{ let mut a = [0u64; {LARGE_LEN}]; a[0] = {:#x}; a }}", p.init(i, 0))
        } else {
            format!("[{}]", (0..len).map(|k| format!("{:#x}", p.init(i, k))).collect::<Vec<_>>().join(", "))
        };
        let m = if a.konst { "" } else { "mut " };
        let _ = writeln!(s, "{}{}static {m}kreloc_g{i}: [u64; {len}] = {init};", section(a.sect), export(a.vis));
        if a.addr_fn {
            let _ = writeln!(s, "#[inline(never)]\n#[no_mangle]\npub extern \"C\" fn kreloc_base{i}() -> *const u64 {{ core::ptr::addr_of!(kreloc_g{i}) as *const u64 }}");
        }
    }
    for (i, t) in p.strings.iter().enumerate() {
        let _ = writeln!(s, "static kreloc_s{i}: [u8; {}] = *b\"{}\";", t.text.len(), String::from_utf8_lossy(&t.text));
    }
    for (i, t) in p.ptr_tables.iter().enumerate() {
        let Some(a) = p.ptr_target(t) else { continue };
        let len = p.array_len(a);
        let ptrs: Vec<String> = t.idxs.iter().map(|&k| format!("&kreloc_g{a}[{}] as *const u64", k as usize % len)).collect();
        let _ = writeln!(s, "static kreloc_p{i}: Ptrs<{}> = Ptrs([{}]);", ptrs.len(), ptrs.join(", "));
    }
    for (i, f) in p.funcs.iter().enumerate() {
        let temp = match f.temp {
            Temp::Normal => String::new(),
            Temp::Hot => format!("#[link_section = \".text.hot.kreloc_f{i}\"]\n"),
            Temp::Cold => format!("#[link_section = \".text.unlikely.kreloc_f{i}\"]\n"),
        };
        let _ = write!(s, "{temp}#[inline(never)]\n{}extern \"C\" fn kreloc_f{i}(x: u64) -> u64 {{\n", export(f.vis));
        match &f.kind {
            FuncKind::Arith { mul, add, shift } => {
                let _ = writeln!(s, "    x.wrapping_mul({mul}).wrapping_add({add}) ^ (x >> {shift})");
            }
            FuncKind::Switch { cases, default } => {
                let _ = writeln!(s, "    match x % {} {{", cases.len());
                for (k, c) in cases.iter().enumerate() {
                    let _ = writeln!(s, "        {k} => ({c}u64).wrapping_add(x),");
                }
                let _ = writeln!(s, "        _ => {default},\n    }}");
            }
            FuncKind::Lookup { array } => {
                if p.arrays.is_empty() {
                    let _ = writeln!(s, "    x");
                } else {
                    let a = *array as usize % p.arrays.len();
                    let _ = writeln!(s, "    unsafe {{ (*(core::ptr::addr_of!(kreloc_g{a}) as *const u64).add((x % {}) as usize)).wrapping_add(x) }}", p.array_len(a));
                }
            }
        }
        s.push_str("}\n");
    }
    if p.fnptr_table && !p.funcs.is_empty() {
        let names: Vec<String> = (0..p.funcs.len()).map(|i| format!("kreloc_f{i}")).collect();
        let _ = writeln!(s, "static kreloc_fp: [extern \"C\" fn(u64) -> u64; {}] = [{}];", names.len(), names.join(", "));
    }
    s.push_str(&entry(p));
    s
}

fn arr(p: &Program, i: usize) -> String {
    if p.arrays[i].konst {
        format!("(core::ptr::addr_of!(kreloc_g{i}) as *const u64)")
    } else {
        format!("(core::ptr::addr_of_mut!(kreloc_g{i}) as *mut u64)")
    }
}

fn entry(p: &Program) -> String {
    let mut s = String::from("#[no_mangle]\npub unsafe extern \"C\" fn kreloc_entry(out: *mut u64) {\n    let mut h: u64 = 0x9e3779b97f4a7c15;\n");
    if let Some((dst, src, n)) = p.copy_plan() {
        let _ = writeln!(s, "    for k in 0..{n}usize {{ *{}.add(k) = *{}.add(k); }}", arr(p, dst), arr(p, src));
    }
    if let Some((dst, byte)) = p.set_plan() {
        let v = u64::from_le_bytes([byte; 8]);
        let _ = writeln!(s, "    for k in 0..{}usize {{ *{}.add(k) = {v:#x}; }}", p.array_len(dst), arr(p, dst));
    }
    if p.sha_pair {
        s.push_str("    h = mix(h, *(core::ptr::addr_of!(purgatory_sha_regions) as *const u64).add(1));\n");
        s.push_str("    h = mix(h, *(core::ptr::addr_of!(purgatory_sha256_digest) as *const u8) as u64);\n");
    }
    let _ = writeln!(s, "    for _ in 0..{} {{", p.rounds);
    for (i, a) in p.arrays.iter().enumerate() {
        let len = p.array_len(i);
        if a.large {
            let _ = writeln!(s, "        for k in 0..16usize {{ h = mix(h, *{}.add((k * 7919) % {LARGE_LEN})); }}", arr(p, i));
        } else {
            let _ = writeln!(s, "        for k in 0..{len}usize {{ h = mix(h, *{}.add(k)); }}", arr(p, i));
        }
        if a.addr_fn {
            let _ = writeln!(s, "        h = mix(h, *kreloc_base{i}().add((h % {len}) as usize));");
        }
    }
    for (i, t) in p.strings.iter().enumerate() {
        let _ = writeln!(s, "        for k in 0..{}usize {{ h = mix(h, *kreloc_s{i}.as_ptr().add(k) as u64); }}", t.text.len());
    }
    for (i, t) in p.ptr_tables.iter().enumerate() {
        if p.ptr_target(t).is_some() {
            let _ = writeln!(s, "        for k in 0..{}usize {{ h = mix(h, **kreloc_p{i}.0.as_ptr().add(k)); }}", t.idxs.len());
        }
    }
    for f in 0..p.funcs.len() {
        let _ = writeln!(s, "        h = mix(h, kreloc_f{f}(h));");
    }
    if p.fnptr_table && !p.funcs.is_empty() {
        let _ = writeln!(s, "        h = mix(h, (*kreloc_fp.as_ptr().add((h % {}) as usize))(h));", p.funcs.len());
    }
    for i in p.writable_arrays() {
        let _ = writeln!(s, "        *{}.add((h % {}) as usize) = h;", arr(p, i), p.array_len(i));
    }
    s.push_str("    }\n    *out = h;\n}\n\n#[no_mangle]\npub static mut kreloc_result: [u64; 4] = [0; 4];\n\n#[no_mangle]\npub unsafe extern \"C\" fn purgatory_start() {\n    kreloc_entry(core::ptr::addr_of_mut!(kreloc_result) as *mut u64);\n}\n");
    s
}

const HEADER: &str = "// Generated by kreloc-gen: a no_std, panic-free, purgatory-like program.
#![no_std]
#![allow(non_upper_case_globals, static_mut_refs, unused_unsafe, dead_code, unused_mut)]

";

/// Provided only when a copy loop exists: that is when LLVM emits calls to it.
const MEMCPY: &str = "#[no_mangle]
pub unsafe extern \"C\" fn memcpy(d: *mut u8, s: *const u8, n: usize) -> *mut u8 {
    let mut i = 0;
    while i < n {
        core::ptr::write_volatile(d.add(i), core::ptr::read_volatile(s.add(i)));
        i += 1;
    }
    d
}

";

/// Provided only when a fill loop exists.
const MEMSET: &str = "#[no_mangle]
pub unsafe extern \"C\" fn memset(d: *mut u8, c: i32, n: usize) -> *mut u8 {
    let mut i = 0;
    while i < n {
        core::ptr::write_volatile(d.add(i), c as u8);
        i += 1;
    }
    d
}

";

const REST: &str = "#[inline(always)]
fn mix(h: u64, x: u64) -> u64 {
    let h = (h ^ x).wrapping_mul(0x100000001b3);
    h ^ (h >> 29)
}

#[repr(transparent)]
struct Ptrs<const N: usize>([*const u64; N]);
unsafe impl<const N: usize> Sync for Ptrs<N> {}

";
