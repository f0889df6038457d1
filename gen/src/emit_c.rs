//! The C emitter: freestanding, UB-free (unsigned arithmetic only, indices reduced in range, no recursion),
//! shaped like arch/x86/purgatory: its own memcpy/memset (string.c), the sha regions and digest in
//! `.kexec-purgatory`, `entry64_regs`, and an assembly entry that switches to its own stack and calls C.

use std::fmt::Write;

use crate::ast::{FuncKind, Link, Program, RegionObject, Sect, Temp, Vis, LARGE_LEN, SHA_REGIONS};
use crate::eval::{h0, MIX_K1, MIX_K2, MIX_K3, RARE_K, SHA256_H0, SHA256_K};

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
        Vis::Hidden => {
            format!("__attribute__((visibility(\"hidden\"))) {}", if weak { "__attribute__((weak)) " } else { "" })
        }
        Vis::Default => if weak { "__attribute__((weak)) " } else { "" }.into(),
    }
}

fn list<T>(items: impl Iterator<Item = T>, f: impl Fn(T) -> String) -> String {
    items.map(f).collect::<Vec<_>>().join(", ")
}

/// The program as C.
pub fn emit_c(p: &Program) -> String {
    let mut s = String::from(HEADER);
    s.push_str(&mix());
    globals(p, &mut s);
    funcs(p, &mut s);
    purgatory(p, &mut s);
    s.push_str(&format!("__asm__({});\n", c_string_lines(crate::ENTRY_ASM)));
    s.push_str(ENTRY);
    s
}

fn mix() -> String {
    format!("static inline u64 mix(u64 h, u64 x)\n{{\n\th = (((h << 23) | (h >> 41)) ^ x) * {MIX_K1:#x}UL;\n\th = (h ^ (h >> 32)) * {MIX_K2:#x}UL;\n\treturn (h ^ (h >> 29)) + {MIX_K3:#x}UL;\n}}\n\n")
}

fn globals(p: &Program, s: &mut String) {
    for (i, a) in p.arrays.iter().enumerate() {
        let len = p.array_len(i);
        let init = if a.large {
            "{0}".to_string()
        } else {
            format!("{{{}}}", list(0..len, |k| format!("{:#x}UL", p.init(i, k))))
        };
        let konst = if a.konst { "const " } else { "" };
        let _ = writeln!(s, "{}{}{konst}u64 kreloc_g{i}[{len}] = {init};", linkage(a.vis, a.weak), section(a.sect));
        if a.addr_fn {
            let _ = writeln!(
                s,
                "__attribute__((noinline)) const u64 *kreloc_base{i}(void) {{ return OPAQUE(&kreloc_g{i}[0]); }}"
            );
        }
    }
    for (i, t) in p.strings.iter().enumerate() {
        let _ = writeln!(s, "static const char kreloc_s{i}[] = \"{}\";", String::from_utf8_lossy(&t.text));
    }
    if p.string_table && !p.strings.is_empty() {
        let _ = writeln!(
            s,
            "static const char *const kreloc_st[{}] = {{{}}};",
            p.strings.len(),
            list(0..p.strings.len(), |i| format!("kreloc_s{i}"))
        );
    }
    for (i, t) in p.ptr_tables.iter().enumerate() {
        let Some(a) = p.ptr_target(t) else { continue };
        let len = p.array_len(a);
        let _ = writeln!(
            s,
            "static const u64 *const kreloc_p{i}[{}] = {{{}}};",
            t.idxs.len(),
            list(t.idxs.iter(), |&k| format!("&kreloc_g{a}[{}]", k as usize % len))
        );
    }
    if let Some(n) = p.struct_words() {
        let _ = writeln!(
            s,
            "struct kreloc_blob {{ u64 w[{n}]; }};\nstruct kreloc_blob kreloc_blob_src = {{{{{}}}}};",
            list(0..n, |k| format!("{:#x}UL", p.blob_word(k)))
        );
    }
    let regions = list(p.regions().into_iter(), |o| match o {
        RegionObject::Array(i) => format!("{{(const u8 *)kreloc_g{i}, {}}}", p.array_len(i) * 8),
        RegionObject::Str(i) => format!("{{(const u8 *)kreloc_s{i}, {}}}", p.strings[i].text.len()),
        RegionObject::Digest => "{purgatory_sha256_digest, 32}".into(),
    });
    let _ =
        writeln!(s, "struct kexec_sha_region {{ const u8 *start; u64 len; }};\nextern u8 purgatory_sha256_digest[32];");
    let _ = writeln!(s, "struct kexec_sha_region purgatory_sha_regions[{SHA_REGIONS}] __attribute__((section(\".kexec-purgatory\"))) = {{{regions}}};");
    let _ = writeln!(
        s,
        "u8 purgatory_sha256_digest[32] __attribute__((section(\".kexec-purgatory\"))) = {{{}}};",
        list(0..32, |k| format!("{:#x}", p.digest_byte(k)))
    );
    loader_data(s);
    let _ = writeln!(s, "u64 kreloc_result[4];\n");
}

/// What the loaders get and set, explicitly zero: in `.data` under `-fno-zero-initialized-in-bss` (or in
/// `.kexec-purgatory`). One line, so that reduced programs stay short.
fn loader_data(s: &mut String) {
    let decls = crate::loader_data::LOADER_DATA.iter().map(|d| {
        let sect = if d.kexec_purgatory { section(Sect::KexecPurgatory) } else { String::new() };
        let (dims, init) = if d.count == 1 { (String::new(), "0") } else { (format!("[{}]", d.count), "{0}") };
        format!("{sect}{} {}{dims} = {init};", d.elem.name(), d.name)
    });
    let _ = writeln!(s, "{}", decls.collect::<Vec<_>>().join(" "));
}

fn funcs(p: &Program, s: &mut String) {
    if p.funcs.iter().any(|f| matches!(f.kind, FuncKind::Rare { .. })) {
        let _ = writeln!(
            s,
            "__attribute__((cold, noinline)) static u64 kreloc_rare(u64 x) {{ return (x >> 3) * {RARE_K:#x}UL + 1; }}"
        );
    }
    for (i, f) in p.funcs.iter().enumerate() {
        let temp = match f.temp {
            Temp::Normal => "",
            Temp::Hot => "__attribute__((hot)) ",
            Temp::Cold => "__attribute__((cold)) ",
        };
        let sect = f.section().map(|n| format!("__attribute__((section(\"{n}\"))) ")).unwrap_or_default();
        let _ = writeln!(
            s,
            "{}{temp}{sect}__attribute__((noinline)) u64 kreloc_f{i}(u64 x)\n{{",
            linkage(f.vis, f.link == Link::Weak)
        );
        match &f.kind {
            FuncKind::Arith { mul, add, shift } => {
                let _ = writeln!(s, "\treturn (x * {mul:#x}UL + {add:#x}UL) ^ (x >> {shift});");
            }
            FuncKind::Switch { cases, default } => {
                let _ = writeln!(s, "\tswitch (x % {}UL) {{", cases.len() + 1);
                for (k, c) in cases.iter().enumerate() {
                    let _ = writeln!(s, "\tcase {k}: return {c:#x}UL + x;");
                }
                let _ = writeln!(s, "\tdefault: return {default:#x}UL ^ x;\n\t}}");
            }
            FuncKind::Lookup { array } => {
                if p.arrays.is_empty() {
                    let _ = writeln!(s, "\treturn x;");
                } else {
                    let a = *array as usize % p.arrays.len();
                    let _ = writeln!(s, "\treturn kreloc_g{a}[x % {}UL] + x;", p.array_len(a));
                }
            }
            FuncKind::Rare { add } => {
                let _ = writeln!(s, "\tif (__builtin_expect((x & 3) == 0, 0))\n\t\treturn kreloc_rare(x ^ {add:#x}UL);\n\treturn x * 5 + {add:#x}UL;");
            }
            FuncKind::PushSection { k } => {
                let _ = writeln!(
                    s,
                    "\tconst u64 *q;\n\tu64 here;\n\t__asm__({}\n\t\t: \"=r\"(q), \"=r\"(here));",
                    c_string_lines(&push_section_asm(*k, "%0", "%1", "%%"))
                );
                s.push_str(PUSH_SECTION_CHECK);
            }
        }
        s.push_str("}\n");
        if f.link == Link::Alias {
            // The target's attributes again: gcc warns when an alias is less restrictive.
            let _ = writeln!(
                s,
                "{temp}__attribute__((noinline)) u64 kreloc_a{i}(u64 x) __attribute__((alias(\"kreloc_f{i}\")));"
            );
        }
    }
    if p.fnptr_table && !p.funcs.is_empty() {
        let _ = writeln!(
            s,
            "static u64 (*const kreloc_fp[{}])(u64) = {{{}}};",
            p.funcs.len(),
            list(0..p.funcs.len(), |i| format!("kreloc_f{i}"))
        );
    }
    if p.sha256 {
        sha256(p, s);
    } else {
        let _ = writeln!(
            s,
            "__attribute__((noinline)) static u64 kreloc_digest(void)\n{{\n\tu64 d = {:#x}UL;{DIGEST_LOOP}\treturn d;\n}}",
            !p.salt
        );
    }
    for i in p.large_arrays() {
        let (a, b) = p.fill_consts(i);
        let _ = writeln!(s, "__attribute__((noinline)) static void kreloc_fill{i}(void)\n{{\n\tfor (u64 k = 0; k < {LARGE_LEN}; k++)\n\t\tkreloc_g{i}[k] = (k ^ {a:#x}UL) * {b:#x}UL;\n}}");
    }
    if p.struct_words().is_some() {
        s.push_str("__attribute__((noinline)) static u64 kreloc_fold_blob(u64 h, const struct kreloc_blob *b)\n{\n\tfor (u64 k = 0; k < sizeof(b->w) / 8; k++)\n\t\th = mix(h, b->w[k]);\n\treturn h;\n}\n");
    }
    if let Some(n) = p.zero_words() {
        let _ = writeln!(s, "__attribute__((noinline)) static u64 kreloc_zero(u64 h)\n{{\n\tu64 buf[{n}] = {{0}};\n\tu64 *b = OPAQUE(&buf[0]);\n\tb[h % {n}UL] = h;\n\tfor (u64 k = 0; k < {n}; k++)\n\t\th = mix(h, b[k]);\n\treturn h;\n}}");
    }
    if let Some(n) = p.stack_words() {
        let _ = writeln!(s, "__attribute__((noinline)) static u64 kreloc_stack(u64 h)\n{{\n\tu64 buf[{n}];\n\tfor (u64 k = 0; k < {n}; k++)\n\t\tbuf[k] = mix(h, k);\n\tconst u64 *b = OPAQUE(&buf[0]);\n\tfor (u64 k = {n}; k > 0; k--)\n\t\th = mix(h, b[k - 1]);\n\treturn h;\n}}");
    }
}

/// The inline asm of a `PushSection` helper, in either dialect: `q` gets the address of `k`, `here` the
/// asm's own address, which the `.long` after `k` refers back to PC-relatively. `pct` is how `%` is spelt.
pub(crate) fn push_section_asm(k: u64, q: &str, here: &str, pct: &str) -> String {
    format!("7:\tlea 8f({pct}rip), {q}\n\t.pushsection .rodata.kreloc_asm, \"a\"\n\t.balign 8\n8:\t.quad {k:#x}\n\t.long 7b - .\n\t.long 0\n\t.popsection\n\tlea 7b({pct}rip), {here}")
}

/// SHA-256 over the regions, as purgatory's sha256_init/update/final loop: one byte at a time into a block,
/// a message schedule on the stack and the round constants in a const table.
fn sha256(p: &Program, s: &mut String) {
    let _ = writeln!(s, "static const u32 kreloc_sha_k[64] = {{{}}};", list(SHA256_K.iter(), |k| format!("{k:#x}")));
    // The state comes from a table and the block buffer starts unset, as sha256_init leaves it: an
    // initialiser for the whole struct puts the (dead) buffer's zeros in .rodata behind a relocation.
    let _ = writeln!(s, "static const u32 kreloc_sha_h0[8] = {{{}}};", list(SHA256_H0.iter(), |k| format!("{k:#x}")));
    s.push_str(SHA256_C);
    let _ = writeln!(
        s,
        "__attribute__((noinline)) static u64 kreloc_digest(void)\n{{\n\tstruct kreloc_sha x;\n\tfor (u64 k = 0; k < 8; k++)\n\t\tx.s[k] = kreloc_sha_h0[k];\n\tx.n = 0;\n\tu8 out[32];\n\tfor (u64 i = 0; i < 16; i++)\n\t\tkreloc_sha_update(&x, purgatory_sha_regions[i].start, purgatory_sha_regions[i].len);\n\tkreloc_sha_final(&x, out);\n\tu64 d = {:#x}UL;\n\tfor (u64 k = 0; k < 32; k++)\n\t\td = mix(d, OPAQUE(&out[0])[k]);\n\treturn d;\n}}",
        !p.salt
    );
}

/// A const object read through an opaque pointer, so its bytes are read from memory, not folded.
fn konst(p: &Program, i: usize) -> String {
    if p.arrays[i].konst {
        format!("OPAQUE(&kreloc_g{i}[0])")
    } else {
        format!("kreloc_g{i}")
    }
}

fn purgatory(p: &Program, s: &mut String) {
    let _ = writeln!(
        s,
        "__attribute__((used)) void purgatory(void)\n{{\n\tu64 h = {:#x}UL;\n\th = mix(h, kreloc_digest());",
        h0(p)
    );
    s.push_str("\tfor (u64 k = 0; k < 32; k++)\n\t\th = mix(h, purgatory_sha256_digest[k]);\n");
    for i in p.large_arrays() {
        let _ = writeln!(s, "\tkreloc_fill{i}();");
    }
    if let Some((dst, src, n)) = p.copy_plan() {
        let _ = writeln!(s, "\tfor (u64 k = 0; k < {n}; k++)\n\t\tkreloc_g{dst}[k] = kreloc_g{src}[k];");
    }
    if let Some((dst, byte)) = p.set_plan() {
        let v = u64::from_le_bytes([byte; 8]);
        let _ = writeln!(s, "\tfor (u64 k = 0; k < {}; k++)\n\t\tkreloc_g{dst}[k] = {v:#x}UL;", p.array_len(dst));
    }
    if p.struct_words().is_some() {
        s.push_str("\tstruct kreloc_blob b = kreloc_blob_src;\n\th = kreloc_fold_blob(h, &b);\n");
    }
    if p.zero_words().is_some() {
        s.push_str("\th = kreloc_zero(h);\n");
    }
    if p.stack_words().is_some() {
        s.push_str("\th = kreloc_stack(h);\n");
    }
    let _ = writeln!(s, "\tfor (u64 r = 0; r < {}; r++) {{", p.rounds);
    for (i, a) in p.arrays.iter().enumerate() {
        let len = p.array_len(i);
        let g = konst(p, i);
        if a.large {
            let _ = writeln!(
                s,
                "\t\tfor (u64 k = 0; k < 16; k++)\n\t\t\th = mix(h, kreloc_g{i}[(k * 7919UL) % {LARGE_LEN}UL]);"
            );
        } else {
            let _ = writeln!(s, "\t\tfor (u64 k = 0; k < {len}; k++)\n\t\t\th = mix(h, {g}[k]);");
        }
        if a.addr_fn {
            let _ = writeln!(s, "\t\th = mix(h, kreloc_base{i}()[h % {len}UL]);");
        }
    }
    for (i, t) in p.strings.iter().enumerate() {
        let _ = writeln!(
            s,
            "\t\tfor (u64 k = 0; k < {}; k++)\n\t\t\th = mix(h, (u8)OPAQUE(&kreloc_s{i}[0])[k]);",
            t.text.len()
        );
    }
    if p.string_table {
        for (i, t) in p.strings.iter().enumerate() {
            let _ = writeln!(
                s,
                "\t\tfor (u64 k = 0; k < {}; k++)\n\t\t\th = mix(h, (u8)OPAQUE(&kreloc_st[0])[{i}][k]);",
                t.text.len()
            );
        }
    }
    for (i, t) in p.ptr_tables.iter().enumerate() {
        if p.ptr_target(t).is_some() {
            let _ = writeln!(
                s,
                "\t\tfor (u64 k = 0; k < {}; k++)\n\t\t\th = mix(h, *OPAQUE(&kreloc_p{i}[0])[k]);",
                t.idxs.len()
            );
        }
    }
    for (i, f) in p.funcs.iter().enumerate() {
        let n = f.paths();
        let name = if f.link == Link::Alias { "kreloc_a" } else { "kreloc_f" };
        let _ = writeln!(s, "\t\tfor (u64 k = 0; k < {n}; k++)\n\t\t\th = mix(h, {name}{i}((h >> 16) * {n}UL + k));");
    }
    if p.fnptr_table && !p.funcs.is_empty() {
        let _ = writeln!(
            s,
            "\t\tfor (u64 k = 0; k < {}; k++)\n\t\t\th = mix(h, OPAQUE(&kreloc_fp[0])[k](h));",
            p.funcs.len()
        );
    }
    for i in p.writable_arrays() {
        let _ = writeln!(s, "\t\tkreloc_g{i}[h % {}UL] = h;", p.array_len(i));
    }
    s.push_str("\t}\n");
    // Through an opaque pointer: the last stores must reach memory before they are read back.
    for i in p.writable_arrays() {
        let _ =
            writeln!(s, "\tfor (u64 k = 0; k < {}; k++)\n\t\th = mix(h, OPAQUE(&kreloc_g{i}[0])[k]);", p.array_len(i));
    }
    s.push_str("\tkreloc_result[0] = h;\n}\n");
}

/// The assembly as a C string literal, one source line per instruction.
fn c_string_lines(asm: &str) -> String {
    asm.lines().map(|l| format!("\n\t\"{}\\n\"", l.replace('"', "\\\""))).collect()
}

const HEADER: &str = "/* Generated by kreloc-gen: a freestanding, UB-free, purgatory-like program. */
typedef unsigned long u64; typedef unsigned int u32; typedef unsigned short u16; typedef unsigned char u8;
#define OPAQUE(p) ({ __typeof__(p) o_ = (p); __asm__(\"\" : \"+r\"(o_)); o_; }) /* not seen through: data read from memory */

void *memcpy(void *d, const void *s, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		((volatile u8 *)d)[i] = ((const volatile u8 *)s)[i];
	return d;
}

void *memset(void *d, int c, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		((volatile u8 *)d)[i] = (u8)c;
	return d;
}

";

/// purgatory's sha256 over its regions, as a hash of every byte.
const DIGEST_LOOP: &str = "
	for (u64 i = 0; i < 16; i++)
		for (u64 k = 0; k < purgatory_sha_regions[i].len; k++)
			d = mix(d, purgatory_sha_regions[i].start[k]);
";

/// After a `PushSection` asm: the entry's PC-relative `.long` must lead back to the asm, and its zero padding
/// is folded in too, so every byte the asm puts in the section feeds the checksum.
const PUSH_SECTION_CHECK: &str = "\tu64 rel = ((u64)(u32)q[1] ^ 0x80000000UL) - 0x80000000UL;
\tu64 at = (u64)&q[1] + rel;
\treturn (q[0] + x) ^ (at == here ? 0 : 0x5ca1ab1eUL) ^ (q[1] >> 32);
";

/// purgatory/sha256.c's shape: a context, a byte-at-a-time update and the final padding.
const SHA256_C: &str = "#define ROR32(v, n) (((v) >> (n)) | ((v) << (32 - (n))))
struct kreloc_sha { u32 s[8]; u8 buf[64]; u64 n; };
__attribute__((noinline)) static void kreloc_sha_block(struct kreloc_sha *x)
{
	u32 w[64];
	for (u64 i = 0; i < 16; i++)
		w[i] = (u32)x->buf[4 * i] << 24 | (u32)x->buf[4 * i + 1] << 16 | (u32)x->buf[4 * i + 2] << 8 | (u32)x->buf[4 * i + 3];
	for (u64 i = 16; i < 64; i++)
		w[i] = w[i - 16] + (ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 7]
			+ (ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10));
	u32 a = x->s[0], b = x->s[1], c = x->s[2], d = x->s[3], e = x->s[4], f = x->s[5], g = x->s[6], h = x->s[7];
	for (u64 i = 0; i < 64; i++) {
		u32 t1 = h + (ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25)) + ((e & f) ^ (~e & g)) + kreloc_sha_k[i] + w[i];
		u32 t2 = (ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
	}
	x->s[0] += a; x->s[1] += b; x->s[2] += c; x->s[3] += d; x->s[4] += e; x->s[5] += f; x->s[6] += g; x->s[7] += h;
}
static void kreloc_sha_update(struct kreloc_sha *x, const u8 *p, u64 len)
{
	for (u64 k = 0; k < len; k++) {
		x->buf[x->n % 64] = p[k];
		if (++x->n % 64 == 0)
			kreloc_sha_block(x);
	}
}
static void kreloc_sha_final(struct kreloc_sha *x, u8 *out)
{
	u64 bits = x->n * 8;
	u8 pad = 0x80;
	kreloc_sha_update(x, &pad, 1);
	pad = 0;
	while (x->n % 64 != 56)
		kreloc_sha_update(x, &pad, 1);
	for (u64 k = 0; k < 8; k++) {
		u8 v = (u8)(bits >> (56 - 8 * k));
		kreloc_sha_update(x, &v, 1);
	}
	for (u64 k = 0; k < 32; k++)
		out[k] = (u8)(x->s[k / 4] >> (24 - 8 * (k % 4)));
}
";

const ENTRY: &str = "void purgatory_start(void);
void kreloc_entry(u64 *out)
{
	purgatory_start();
	out[0] = kreloc_result[0];
}
";
