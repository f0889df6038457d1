//! What the oracle benches share.

use std::fmt::Write as _;

/// The body of a purgatory-sized C program (after a declaration of `unsigned long g[64]`): 40 functions over
/// their own tables and `g`, a table of pointers to them, and `purgatory_start` calling each.
pub fn forty_functions(s: &mut String) {
    for f in 0..40 {
        let _ = writeln!(s, "static const unsigned long t{f}[8] = {{{f},1,2,3,4,5,6,7}};");
        let _ = writeln!(s, "unsigned long f{f}(unsigned long x) {{ switch (x & 7) {{ case 0: return g[{}] + t{f}[1]; case 1: return g[{}] ^ x; case 2: return t{f}[x & 7]; case 3: return g[{}] * 3; case 4: return x + {f}; case 5: return g[{}]; default: return t{f}[(x >> 3) & 7] + g[x & 63]; }} }}", f % 64, (f * 3) % 64, (f * 5) % 64, (f * 7) % 64);
    }
    s.push_str("static unsigned long (*const fns[40])(unsigned long) = {");
    s.push_str(&(0..40).map(|f| format!("f{f}")).collect::<Vec<_>>().join(","));
    s.push_str("};\nvoid purgatory_start(void) { unsigned long h = 0; for (int i = 0; i < 40; i++) h += fns[i](h); g[0] = h; }\n");
}
