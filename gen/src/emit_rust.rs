//! The Rust emitter: a `#![no_std]` library with no panicking paths (raw-pointer access, wrapping
//! arithmetic), `#[link_section]` statics, its own memcpy/memset and the same assembly entry as the C
//! program, so the object has no undefined symbols and computes the same checksum.

use std::fmt::Write;

use crate::ast::{FuncKind, Link, Program, RegionObject, Sect, Temp, Vis, LARGE_LEN, SHA_REGIONS};
use crate::eval::{h0, MIX_K1, MIX_K2, MIX_K3, RARE_K, SHA256_H0, SHA256_K};

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

fn list<T>(items: impl Iterator<Item = T>, f: impl Fn(T) -> String) -> String {
    items.map(f).collect::<Vec<_>>().join(", ")
}

/// The program as Rust.
pub fn emit_rust(p: &Program) -> String {
    let mut s = String::from(HEADER);
    let _ = write!(
        s,
        "#[inline(always)]\nfn mix(h: u64, x: u64) -> u64 {{\n    let mut h = h.rotate_left(23) ^ x;\n    h = h.wrapping_mul({MIX_K1:#x});\n    h ^= h >> 32;\n    h = h.wrapping_mul({MIX_K2:#x});\n    (h ^ (h >> 29)).wrapping_add({MIX_K3:#x})\n}}\n\n"
    );
    globals(p, &mut s);
    funcs(p, &mut s);
    purgatory(p, &mut s);
    let _ = writeln!(s, "core::arch::global_asm!(r#\"\n{}\"#, options(att_syntax));", crate::ENTRY_ASM);
    s.push_str(ENTRY);
    s
}

fn globals(p: &Program, s: &mut String) {
    for (i, a) in p.arrays.iter().enumerate() {
        let len = p.array_len(i);
        let init = if a.large {
            format!("[0; {len}]")
        } else {
            format!("[{}]", list(0..len, |k| format!("{:#x}", p.init(i, k))))
        };
        let m = if a.konst { "" } else { "mut " };
        let _ = writeln!(s, "{}{}static {m}kreloc_g{i}: [u64; {len}] = {init};", section(a.sect), export(a.vis));
        if a.addr_fn {
            let _ = writeln!(s, "#[inline(never)]\n#[no_mangle]\npub extern \"C\" fn kreloc_base{i}() -> *const u64 {{ core::hint::black_box(core::ptr::addr_of!(kreloc_g{i}) as *const u64) }}");
        }
    }
    for (i, t) in p.strings.iter().enumerate() {
        let _ = writeln!(s, "static kreloc_s{i}: [u8; {}] = *b\"{}\";", t.text.len(), String::from_utf8_lossy(&t.text));
    }
    if p.string_table && !p.strings.is_empty() {
        let _ = writeln!(
            s,
            "static kreloc_st: Ptrs<u8, {}> = Ptrs([{}]);",
            p.strings.len(),
            list(0..p.strings.len(), |i| format!("kreloc_s{i}.as_ptr()"))
        );
    }
    for (i, t) in p.ptr_tables.iter().enumerate() {
        let Some(a) = p.ptr_target(t) else { continue };
        let len = p.array_len(a);
        let _ = writeln!(
            s,
            "static kreloc_p{i}: Ptrs<u64, {}> = Ptrs([{}]);",
            t.idxs.len(),
            list(t.idxs.iter(), |&k| format!("&kreloc_g{a}[{}] as *const u64", k as usize % len))
        );
    }
    if let Some(n) = p.struct_words() {
        let _ = writeln!(s, "#[repr(C)]\n#[derive(Clone, Copy)]\npub struct Blob {{ w: [u64; {n}] }}\n#[no_mangle]\npub static mut kreloc_blob_src: Blob = Blob {{ w: [{}] }};", list(0..n, |k| format!("{:#x}", p.blob_word(k))));
    }
    let mut regions: Vec<String> = p
        .regions()
        .into_iter()
        .map(|o| match o {
            RegionObject::Array(i) => format!(
                "ShaRegion {{ start: unsafe {{ core::ptr::addr_of!(kreloc_g{i}) as *const u8 }}, len: {} }}",
                p.array_len(i) * 8
            ),
            RegionObject::Str(i) => {
                format!("ShaRegion {{ start: kreloc_s{i}.as_ptr(), len: {} }}", p.strings[i].text.len())
            }
            RegionObject::Digest => {
                "ShaRegion { start: unsafe { core::ptr::addr_of!(purgatory_sha256_digest) as *const u8 }, len: 32 }"
                    .into()
            }
        })
        .collect();
    regions.resize(SHA_REGIONS, "ShaRegion { start: core::ptr::null(), len: 0 }".into());
    let _ = writeln!(s, "#[repr(C)]\npub struct ShaRegion {{ start: *const u8, len: u64 }}");
    let _ = writeln!(s, "#[no_mangle]\n#[link_section = \".kexec-purgatory\"]\npub static mut purgatory_sha_regions: [ShaRegion; {SHA_REGIONS}] = [{}];", regions.join(", "));
    let _ = writeln!(s, "#[no_mangle]\n#[link_section = \".kexec-purgatory\"]\npub static mut purgatory_sha256_digest: [u8; 32] = [{}];", list(0..32, |k| format!("{:#x}", p.digest_byte(k))));
    loader_data(s);
    let _ = writeln!(s, "#[no_mangle]\npub static mut kreloc_result: [u64; 4] = [0; 4];\n");
}

/// What the loaders get and set, zero in a named section: rustc has no `-fno-zero-initialized-in-bss`.
fn loader_data(s: &mut String) {
    for d in crate::loader_data::LOADER_DATA {
        let sect =
            if d.kexec_purgatory { section(Sect::KexecPurgatory) } else { "#[link_section = \".data\"]\n".to_string() };
        let (ty, init) = if d.count == 1 {
            (d.elem.name().to_string(), "0".to_string())
        } else {
            (format!("[{}; {}]", d.elem.name(), d.count), format!("[0; {}]", d.count))
        };
        let _ = writeln!(s, "#[no_mangle]\n{sect}pub static mut {}: {ty} = {init};", d.name);
    }
}

/// A pointer to array `i`'s first element (opaque for const arrays, so their bytes are read from memory).
fn arr(p: &Program, i: usize) -> String {
    if p.arrays[i].konst {
        format!("core::hint::black_box(core::ptr::addr_of!(kreloc_g{i}) as *const u64)")
    } else {
        format!("(core::ptr::addr_of_mut!(kreloc_g{i}) as *mut u64)")
    }
}

fn funcs(p: &Program, s: &mut String) {
    if p.funcs.iter().any(|f| matches!(f.kind, FuncKind::Rare { .. })) {
        let _ = writeln!(s, "#[cold]\n#[inline(never)]\nextern \"C\" fn kreloc_rare(x: u64) -> u64 {{ (x >> 3).wrapping_mul({RARE_K:#x}).wrapping_add(1) }}");
    }
    for (i, f) in p.funcs.iter().enumerate() {
        let temp = match f.temp {
            _ if f.section().is_some() => format!("#[link_section = \"{}\"]\n", f.section().unwrap_or_default()),
            Temp::Normal => String::new(),
            Temp::Hot => format!("#[link_section = \".text.hot.kreloc_f{i}\"]\n"),
            Temp::Cold => format!("#[cold]\n#[link_section = \".text.unlikely.kreloc_f{i}\"]\n"),
        };
        let _ = write!(s, "{temp}#[inline(never)]\n{}extern \"C\" fn kreloc_f{i}(x: u64) -> u64 {{\n", export(f.vis));
        match &f.kind {
            FuncKind::Arith { mul, add, shift } => {
                let _ = writeln!(s, "    x.wrapping_mul({mul:#x}).wrapping_add({add:#x}) ^ (x >> {shift})");
            }
            FuncKind::Switch { cases, default } => {
                let _ = writeln!(s, "    match x % {} {{", cases.len() + 1);
                for (k, c) in cases.iter().enumerate() {
                    let _ = writeln!(s, "        {k} => ({c:#x}u64).wrapping_add(x),");
                }
                let _ = writeln!(s, "        _ => {default:#x} ^ x,\n    }}");
            }
            FuncKind::Lookup { array } => {
                if p.arrays.is_empty() {
                    let _ = writeln!(s, "    x");
                } else {
                    let a = *array as usize % p.arrays.len();
                    let _ = writeln!(s, "    unsafe {{ (*(core::ptr::addr_of!(kreloc_g{a}) as *const u64).add((x % {}) as usize)).wrapping_add(x) }}", p.array_len(a));
                }
            }
            FuncKind::Rare { add } => {
                let _ = writeln!(s, "    if x & 3 == 0 {{ kreloc_rare(x ^ {add:#x}) }} else {{ x.wrapping_mul(5).wrapping_add({add:#x}) }}");
            }
            FuncKind::PushSection { k } => {
                let asm = crate::emit_c::push_section_asm(*k, "{0}", "{1}", "%");
                let _ = writeln!(s, "    let q: *const u64;\n    let here: u64;\n    unsafe {{ core::arch::asm!({}, out(reg) q, out(reg) here, options(att_syntax, nostack, nomem, preserves_flags)); }}", list(asm.lines(), |l| format!("{:?}", l.trim_start())));
                s.push_str(PUSH_SECTION_CHECK);
            }
        }
        s.push_str("}\n");
        if f.link == Link::Alias {
            let _ = writeln!(s, "core::arch::global_asm!(\".globl kreloc_a{i}\", \".set kreloc_a{i}, {{}}\", sym kreloc_f{i});\nextern \"C\" {{\n    fn kreloc_a{i}(x: u64) -> u64;\n}}");
        }
    }
    if p.fnptr_table && !p.funcs.is_empty() {
        let _ = writeln!(
            s,
            "static kreloc_fp: [extern \"C\" fn(u64) -> u64; {}] = [{}];",
            p.funcs.len(),
            list(0..p.funcs.len(), |i| format!("kreloc_f{i}"))
        );
    }
    if p.sha256 {
        sha256(p, s);
    } else {
        digest_mix(p, s);
    }
    for i in p.large_arrays() {
        let (a, b) = p.fill_consts(i);
        let _ = writeln!(s, "#[inline(never)]\nunsafe extern \"C\" fn kreloc_fill{i}() {{\n    for k in 0..{LARGE_LEN}usize {{ *{}.add(k) = (k as u64 ^ {a:#x}).wrapping_mul({b:#x}); }}\n}}", arr(p, i));
    }
    if p.struct_words().is_some() {
        s.push_str("#[inline(never)]\nextern \"C\" fn kreloc_fold_blob(mut h: u64, b: &Blob) -> u64 {\n    for w in b.w.iter() { h = mix(h, *w); }\n    h\n}\n");
    }
    if let Some(n) = p.stack_words() {
        let _ = writeln!(s, "#[inline(never)]\nunsafe extern \"C\" fn kreloc_stack(mut h: u64) -> u64 {{\n    let mut buf = core::mem::MaybeUninit::<[u64; {n}]>::uninit();\n    let w = buf.as_mut_ptr() as *mut u64;\n    for k in 0..{n}usize {{ *w.add(k) = mix(h, k as u64); }}\n    let b = core::hint::black_box(w as *const u64);\n    for k in (0..{n}usize).rev() {{ h = mix(h, *b.add(k)); }}\n    h\n}}");
    }
    if let Some(n) = p.zero_words() {
        let _ = writeln!(s, "#[inline(never)]\nunsafe extern \"C\" fn kreloc_zero(mut h: u64) -> u64 {{\n    let mut buf = [0u64; {n}];\n    let b = core::hint::black_box(buf.as_mut_ptr());\n    *b.add((h % {n}) as usize) = h;\n    for k in 0..{n}usize {{ h = mix(h, *b.add(k)); }}\n    h\n}}");
    }
}

/// The byte mix over the regions.
fn digest_mix(p: &Program, s: &mut String) {
    let _ = writeln!(
        s,
        "#[inline(never)]\nunsafe extern \"C\" fn kreloc_digest() -> u64 {{\n    let mut d: u64 = {:#x};\n    let r = core::ptr::addr_of!(purgatory_sha_regions) as *const ShaRegion;\n    for i in 0..16usize {{\n        let reg = &*r.add(i);\n        for k in 0..reg.len as usize {{ d = mix(d, *reg.start.add(k) as u64); }}\n    }}\n    d\n}}",
        !p.salt
    );
}

/// SHA-256 over the regions, shaped as the C emitter's (purgatory's sha256 loop).
fn sha256(p: &Program, s: &mut String) {
    let _ = writeln!(s, "static kreloc_sha_k: [u32; 64] = [{}];", list(SHA256_K.iter(), |k| format!("{k:#x}")));
    s.push_str(SHA256_RS);
    let _ = writeln!(
        s,
        "#[inline(never)]\nunsafe extern \"C\" fn kreloc_digest() -> u64 {{\n    let mut x = Sha {{ s: [{}], buf: [0; 64], n: 0 }};\n    let r = core::ptr::addr_of!(purgatory_sha_regions) as *const ShaRegion;\n    for i in 0..16usize {{ let reg = &*r.add(i); sha_update(&mut x, reg.start, reg.len); }}\n    let out = sha_final(&mut x);\n    let o = core::hint::black_box(out.as_ptr());\n    let mut d: u64 = {:#x};\n    for k in 0..32usize {{ d = mix(d, *o.add(k) as u64); }}\n    d\n}}",
        list(SHA256_H0.iter(), |k| format!("{k:#x}")),
        !p.salt
    );
}

fn purgatory(p: &Program, s: &mut String) {
    let _ = writeln!(s, "#[no_mangle]\npub unsafe extern \"C\" fn purgatory() {{\n    let mut h: u64 = {:#x};\n    h = mix(h, kreloc_digest());", h0(p));
    s.push_str("    for k in 0..32usize { h = mix(h, *(core::ptr::addr_of!(purgatory_sha256_digest) as *const u8).add(k) as u64); }\n");
    for i in p.large_arrays() {
        let _ = writeln!(s, "    kreloc_fill{i}();");
    }
    if let Some((dst, src, n)) = p.copy_plan() {
        let _ = writeln!(s, "    for k in 0..{n}usize {{ *{}.add(k) = *{}.add(k); }}", arr(p, dst), arr(p, src));
    }
    if let Some((dst, byte)) = p.set_plan() {
        let v = u64::from_le_bytes([byte; 8]);
        let _ = writeln!(s, "    for k in 0..{}usize {{ *{}.add(k) = {v:#x}; }}", p.array_len(dst), arr(p, dst));
    }
    if p.struct_words().is_some() {
        s.push_str("    let b: Blob = core::ptr::read(core::ptr::addr_of!(kreloc_blob_src));\n    h = kreloc_fold_blob(h, &b);\n");
    }
    if p.zero_words().is_some() {
        s.push_str("    h = kreloc_zero(h);\n");
    }
    if p.stack_words().is_some() {
        s.push_str("    h = kreloc_stack(h);\n");
    }
    let _ = writeln!(s, "    for _ in 0..{} {{", p.rounds);
    for (i, a) in p.arrays.iter().enumerate() {
        let len = p.array_len(i);
        if a.large {
            let _ = writeln!(
                s,
                "        for k in 0..16usize {{ h = mix(h, *{}.add((k * 7919) % {LARGE_LEN})); }}",
                arr(p, i)
            );
        } else {
            let _ = writeln!(s, "        for k in 0..{len}usize {{ h = mix(h, *{}.add(k)); }}", arr(p, i));
        }
        if a.addr_fn {
            let _ = writeln!(s, "        h = mix(h, *kreloc_base{i}().add((h % {len}) as usize));");
        }
    }
    for (i, t) in p.strings.iter().enumerate() {
        let _ = writeln!(
            s,
            "        for k in 0..{}usize {{ h = mix(h, *core::hint::black_box(kreloc_s{i}.as_ptr()).add(k) as u64); }}",
            t.text.len()
        );
    }
    if p.string_table {
        for (i, t) in p.strings.iter().enumerate() {
            let _ = writeln!(s, "        for k in 0..{}usize {{ h = mix(h, *(*core::hint::black_box(kreloc_st.0.as_ptr()).add({i})).add(k) as u64); }}", t.text.len());
        }
    }
    for (i, t) in p.ptr_tables.iter().enumerate() {
        if p.ptr_target(t).is_some() {
            let _ = writeln!(
                s,
                "        for k in 0..{}usize {{ h = mix(h, **core::hint::black_box(kreloc_p{i}.0.as_ptr()).add(k)); }}",
                t.idxs.len()
            );
        }
    }
    for (i, f) in p.funcs.iter().enumerate() {
        let n = f.paths();
        let name = if f.link == Link::Alias { "kreloc_a" } else { "kreloc_f" };
        let _ = writeln!(s, "        for k in 0..{n}u64 {{ h = mix(h, {name}{i}((h >> 16) * {n} + k)); }}");
    }
    if p.fnptr_table && !p.funcs.is_empty() {
        let _ = writeln!(
            s,
            "        for k in 0..{}usize {{ h = mix(h, (*core::hint::black_box(kreloc_fp.as_ptr()).add(k))(h)); }}",
            p.funcs.len()
        );
    }
    for i in p.writable_arrays() {
        let _ = writeln!(s, "        *{}.add((h % {}) as usize) = h;", arr(p, i), p.array_len(i));
    }
    s.push_str("    }\n");
    // Through an opaque pointer: the last stores must reach memory before they are read back.
    for i in p.writable_arrays() {
        let _ = writeln!(
            s,
            "    for k in 0..{}usize {{ h = mix(h, *core::hint::black_box({}).add(k)); }}",
            p.array_len(i),
            arr(p, i)
        );
    }
    s.push_str("    *(core::ptr::addr_of_mut!(kreloc_result) as *mut u64) = h;\n}\n");
}

const HEADER: &str = "// Generated by kreloc-gen: a no_std, panic-free, purgatory-like program.
#![no_std]
#![allow(non_upper_case_globals, static_mut_refs, unused_unsafe, dead_code, unused_mut, unused_parens)]

#[no_mangle]
pub unsafe extern \"C\" fn memcpy(d: *mut u8, s: *const u8, n: usize) -> *mut u8 {
    let mut i = 0;
    while i < n {
        core::ptr::write_volatile(d.add(i), core::ptr::read_volatile(s.add(i)));
        i += 1;
    }
    d
}

#[no_mangle]
pub unsafe extern \"C\" fn memset(d: *mut u8, c: i32, n: usize) -> *mut u8 {
    let mut i = 0;
    while i < n {
        core::ptr::write_volatile(d.add(i), c as u8);
        i += 1;
    }
    d
}

#[repr(transparent)]
struct Ptrs<T, const N: usize>([*const T; N]);
unsafe impl<T, const N: usize> Sync for Ptrs<T, N> {}

";

/// After a `PushSection` asm: the entry's PC-relative `.long` must lead back to the asm, and its zero padding
/// is folded in too, so every byte the asm puts in the section feeds the checksum.
const PUSH_SECTION_CHECK: &str =
    "    let rel = ((unsafe { *q.add(1) } as u32 as u64) ^ 0x8000_0000).wrapping_sub(0x8000_0000);
    let at = (q as u64).wrapping_add(8).wrapping_add(rel);
    x.wrapping_add(unsafe { *q }) ^ if at == here { 0 } else { 0x5ca1_ab1e } ^ (unsafe { *q.add(1) } >> 32)
";

/// The C emitter's SHA-256 (purgatory/sha256.c's shape) in Rust.
const SHA256_RS: &str = "struct Sha { s: [u32; 8], buf: [u8; 64], n: u64 }
#[inline(never)]
fn sha_block(x: &mut Sha) {
    let mut w = [0u32; 64];
    for i in 0..16 {
        w[i] = u32::from_be_bytes([x.buf[4 * i], x.buf[4 * i + 1], x.buf[4 * i + 2], x.buf[4 * i + 3]]);
    }
    for i in 16..64 {
        let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
        let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = x.s;
    for i in 0..64 {
        let t1 = h
            .wrapping_add(e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25))
            .wrapping_add((e & f) ^ (!e & g))
            .wrapping_add(kreloc_sha_k[i])
            .wrapping_add(w[i]);
        let t2 = (a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22)).wrapping_add((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d.wrapping_add(t1); d = c; c = b; b = a; a = t1.wrapping_add(t2);
    }
    for (s, v) in x.s.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *s = s.wrapping_add(v);
    }
}
unsafe fn sha_update(x: &mut Sha, p: *const u8, len: u64) {
    for k in 0..len as usize {
        x.buf[(x.n % 64) as usize] = *p.add(k);
        x.n += 1;
        if x.n % 64 == 0 {
            sha_block(x);
        }
    }
}
unsafe fn sha_final(x: &mut Sha) -> [u8; 32] {
    let bits = x.n.wrapping_mul(8);
    sha_update(x, [0x80u8].as_ptr(), 1);
    while x.n % 64 != 56 {
        sha_update(x, [0u8].as_ptr(), 1);
    }
    sha_update(x, bits.to_be_bytes().as_ptr(), 8);
    let mut out = [0u8; 32];
    for k in 0..32 {
        out[k] = (x.s[k / 4] >> (24 - 8 * (k % 4))) as u8;
    }
    out
}
";

const ENTRY: &str = "extern \"C\" {
    fn purgatory_start();
}

#[no_mangle]
pub unsafe extern \"C\" fn kreloc_entry(out: *mut u64) {
    purgatory_start();
    *out = core::ptr::read_volatile(core::ptr::addr_of!(kreloc_result) as *const u64);
}
";
