//! `zig cc`: the freestanding target gives a static relocation model (the linux target rejects -fno-pic,
//! and 0.10–0.13 with musl silently ignore it); `-g0` because zig emits DWARF even at -O2.

use std::path::Path;
use std::time::Duration;

use crate::config::{CompileConfig, Pic};
use crate::identity::Toolchain;
use crate::process::Child;
use crate::{Error, Unsupported};

/// `zig cc` with kreloc's caches, for compiles and links alike. The global cache is shared under kreloc's;
/// each command's artifacts stay in its own scratch directory (where it runs): in one shared cache, zig
/// 0.12/0.13 racing on the same source and flags (two shards, or two campaigns, on an empty cache) can find
/// the other's manifest before its object: "ld.lld: error: cannot open .../o/<hash>/purgatory.o".
pub fn cc(tc: &Toolchain, timeout: Duration) -> Child {
    zig(tc, timeout).arg("cc")
}

/// `zig ld.lld`: the lld bundled with zig's own LLVM, whose LTO turns zig's bitcode into machine code
/// (`zig cc -r -flto` writes bitcode back out).
pub fn ld_lld(tc: &Toolchain, timeout: Duration) -> Child {
    zig(tc, timeout).arg("ld.lld")
}

fn zig(tc: &Toolchain, timeout: Duration) -> Child {
    Child::new(&tc.exe, timeout)
        .env("ZIG_GLOBAL_CACHE_DIR", crate::dirs::cache_root().join("zig-cache"))
        .env("ZIG_LOCAL_CACHE_DIR", "zig-local-cache")
}

/// Flags zig rejects outright.
const REJECTED: &[&str] = &["-mpreferred-stack-boundary=3", "-mno-relax"];

pub fn command(tc: &Toolchain, cfg: &CompileConfig, src: &Path, out: &Path, timeout: Duration) -> Result<Child, Error> {
    Ok(cc(tc, timeout).args(["-target", "x86_64-freestanding-none"]).args(flags(cfg)?).arg(src).arg("-o").arg(out))
}

/// The base flags and the config's in zig's clang spelling, each once.
pub fn flags(cfg: &CompileConfig) -> Result<Vec<String>, Error> {
    if let Some(f) = cfg.extra.iter().find(|f| REJECTED.contains(&f.as_str())) {
        return Err(Unsupported::ZigRejects { flag: f.clone() }.into());
    }
    let mut flags = cfg.c_flags_for(crate::config::Dialect::Clang);
    // zig maps -fpie to pic without pie-ness; say so explicitly rather than let it guess.
    if cfg.pic == Pic::Pie {
        flags.retain(|f| f != "-fpie");
        flags.push("-fpic".into());
    }
    Ok(super::cc::dedupe(super::cc::BASE.iter().map(|f| f.to_string()).chain(flags)))
}
