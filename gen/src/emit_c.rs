//! The C emitter: freestanding, UB-free (unsigned arithmetic only, indices reduced in range, no recursion),
//! providing its own memcpy/memset since compilers emit calls to them for copy and fill loops.

use std::fmt::Write;

use crate::ast::{FuncKind, Program, Sect, Temp, Vis, LARGE_LEN};
use crate::eval::{SHA_DIGEST0, SHA_REGION0_LEN};

fn section(s: Sect) -> String {
    match s {
        Sect::Default => String::new(),
        Sect::KexecPurgatory => "__attribute__((section(\".kexec-purgatory\"))) ".into(),
        Sect::Named(n) => format!("__attribute__((section(\".data.kreloc{n}\"))) "),
    }
}

fn linkage(v: Vis, weak: bool) -> String {
    match v {
        Vis::Static => "static ".into(),
        Vis::Hidden => format!("__attribute__((visibility(\"hidden\"))) {}", if weak { "__attribute__((weak)) " } else { "" }),
        Vis::Default => if weak { "__attribute__((weak)) " } else { "" }.into(),
    }
}

/// The program as C.
pub fn emit_c(p: &Program) -> String {
    let mut s = String::from(HEADER);
    if p.copy_plan().is_some() {
        s.push_str(MEMCPY);
    }
    if p.set_plan().is_some() {
        s.push_str(MEMSET);
    }
    s.push_str(MIX);
    if p.sha_pair {
        let _ = writeln!(s, "struct kreloc_sha_region {{ u64 start, len; }};");
        let _ = writeln!(s, "struct kreloc_sha_region purgatory_sha_regions[16] __attribute__((section(\".kexec-purgatory\"))) = {{{{0, {SHA_REGION0_LEN:#x}UL}}}};");
        let _ = writeln!(s, "u8 purgatory_sha256_digest[32] __attribute__((section(\".kexec-purgatory\"))) = {{{SHA_DIGEST0:#x}}};");
    }
    for (i, a) in p.arrays.iter().enumerate() {
        let len = p.array_len(i);
        let init: Vec<String> = if a.large { vec![format!("{:#x}UL", p.init(i, 0))] } else { (0..len).map(|k| format!("{:#x}UL", p.init(i, k))).collect() };
        let konst = if a.konst { "const " } else { "" };
        let _ = writeln!(s, "{}{}{konst}u64 kreloc_g{i}[{len}] = {{{}}};", linkage(a.vis, a.weak), section(a.sect), init.join(", "));
        if a.addr_fn {
            let _ = writeln!(s, "__attribute__((noinline)) const u64 *kreloc_base{i}(void) {{ return kreloc_g{i}; }}");
        }
    }
    for (i, t) in p.strings.iter().enumerate() {
        let _ = writeln!(s, "static const char kreloc_s{i}[] = \"{}\";", String::from_utf8_lossy(&t.text));
    }
    for (i, t) in p.ptr_tables.iter().enumerate() {
        let Some(a) = p.ptr_target(t) else { continue };
        let len = p.array_len(a);
        let ptrs: Vec<String> = t.idxs.iter().map(|&k| format!("&kreloc_g{a}[{}]", k as usize % len)).collect();
        let _ = writeln!(s, "static const u64 *const kreloc_p{i}[{}] = {{{}}};", ptrs.len(), ptrs.join(", "));
    }
    for (i, f) in p.funcs.iter().enumerate() {
        let temp = match f.temp {
            Temp::Normal => "",
            Temp::Hot => "__attribute__((hot)) ",
            Temp::Cold => "__attribute__((cold)) ",
        };
        let _ = writeln!(s, "{}{temp}__attribute__((noinline)) u64 kreloc_f{i}(u64 x)\n{{", linkage(f.vis, false));
        match &f.kind {
            FuncKind::Arith { mul, add, shift } => {
                let _ = writeln!(s, "\treturn (x * {mul}UL + {add}UL) ^ (x >> {shift});");
            }
            FuncKind::Switch { cases, default } => {
                let _ = writeln!(s, "\tswitch (x % {}UL) {{", cases.len());
                for (k, c) in cases.iter().enumerate() {
                    let _ = writeln!(s, "\tcase {k}: return {c}UL + x;");
                }
                let _ = writeln!(s, "\tdefault: return {default}UL;\n\t}}");
            }
            FuncKind::Lookup { array } => {
                if p.arrays.is_empty() {
                    let _ = writeln!(s, "\treturn x;");
                } else {
                    let a = *array as usize % p.arrays.len();
                    let _ = writeln!(s, "\treturn kreloc_g{a}[x % {}UL] + x;", p.array_len(a));
                }
            }
        }
        s.push_str("}\n");
    }
    if p.fnptr_table && !p.funcs.is_empty() {
        let names: Vec<String> = (0..p.funcs.len()).map(|i| format!("kreloc_f{i}")).collect();
        let _ = writeln!(s, "static u64 (*const kreloc_fp[{}])(u64) = {{{}}};", names.len(), names.join(", "));
    }
    s.push_str(&entry(p));
    s
}

fn entry(p: &Program) -> String {
    let mut s = String::from("void kreloc_entry(u64 *out)\n{\n\tu64 h = 0x9e3779b97f4a7c15UL;\n");
    if let Some((dst, src, n)) = p.copy_plan() {
        let _ = writeln!(s, "\tfor (u64 k = 0; k < {n}; k++)\n\t\tkreloc_g{dst}[k] = kreloc_g{src}[k];");
    }
    if let Some((dst, byte)) = p.set_plan() {
        let v = u64::from_le_bytes([byte; 8]);
        let _ = writeln!(s, "\tfor (u64 k = 0; k < {}; k++)\n\t\tkreloc_g{dst}[k] = {v:#x}UL;", p.array_len(dst));
    }
    if p.sha_pair {
        s.push_str("\th = mix(h, purgatory_sha_regions[0].len);\n\th = mix(h, purgatory_sha256_digest[0]);\n");
    }
    let _ = writeln!(s, "\tfor (u64 r = 0; r < {}; r++) {{", p.rounds);
    for (i, a) in p.arrays.iter().enumerate() {
        let len = p.array_len(i);
        if a.large {
            let _ = writeln!(s, "\t\tfor (u64 k = 0; k < 16; k++)\n\t\t\th = mix(h, kreloc_g{i}[(k * 7919UL) % {LARGE_LEN}UL]);");
        } else {
            let _ = writeln!(s, "\t\tfor (u64 k = 0; k < {len}; k++)\n\t\t\th = mix(h, kreloc_g{i}[k]);");
        }
        if a.addr_fn {
            let _ = writeln!(s, "\t\th = mix(h, kreloc_base{i}()[h % {len}UL]);");
        }
    }
    for (i, t) in p.strings.iter().enumerate() {
        let _ = writeln!(s, "\t\tfor (u64 k = 0; k < {}; k++)\n\t\t\th = mix(h, (u8)kreloc_s{i}[k]);", t.text.len());
    }
    for (i, t) in p.ptr_tables.iter().enumerate() {
        if p.ptr_target(t).is_some() {
            let _ = writeln!(s, "\t\tfor (u64 k = 0; k < {}; k++)\n\t\t\th = mix(h, *kreloc_p{i}[k]);", t.idxs.len());
        }
    }
    for f in 0..p.funcs.len() {
        let _ = writeln!(s, "\t\th = mix(h, kreloc_f{f}(h));");
    }
    if p.fnptr_table && !p.funcs.is_empty() {
        let _ = writeln!(s, "\t\th = mix(h, kreloc_fp[h % {}UL](h));", p.funcs.len());
    }
    for i in p.writable_arrays() {
        let _ = writeln!(s, "\t\tkreloc_g{i}[h % {}UL] = h;", p.array_len(i));
    }
    s.push_str("\t}\n\tout[0] = h;\n}\n\nu64 kreloc_result[4];\n\nvoid purgatory_start(void)\n{\n\tkreloc_entry(kreloc_result);\n}\n");
    s
}

const HEADER: &str = "/* Generated by kreloc-gen: a freestanding, UB-free, purgatory-like program. */
typedef unsigned long u64;
typedef unsigned char u8;

";

/// Provided only when a copy loop exists: that is when compilers emit calls to it.
const MEMCPY: &str = "void *memcpy(void *d, const void *s, unsigned long n)
{
	volatile u8 *dd = d;
	const volatile u8 *ss = s;
	for (unsigned long i = 0; i < n; i++)
		dd[i] = ss[i];
	return d;
}

";

/// Provided only when a fill loop exists.
const MEMSET: &str = "void *memset(void *d, int c, unsigned long n)
{
	volatile u8 *dd = d;
	for (unsigned long i = 0; i < n; i++)
		dd[i] = (u8)c;
	return d;
}

";

const MIX: &str = "static inline u64 mix(u64 h, u64 x)
{
	h = (h ^ x) * 0x100000001b3UL;
	return h ^ (h >> 29);
}

";
