//! Links the unwinder into `kreloc` itself, as a `+crt-static` build does, instead of loading libgcc_s.
//!
//! libgcc_s's constructor probes the CPU with a dozen `cpuid` instructions, each a trap to the hypervisor in
//! a virtual machine: `perf` put a sixth of a `kreloc check` process there, in a library loaded only for
//! unwinding. libgcc_eh is the same unwinder as an archive (gcc ships it for static links). Whole, and
//! ahead of the standard library on the link line, it defines every `_Unwind_*` the standard library asks
//! for, so `--as-needed` drops libgcc_s. Unwinding, `catch_unwind` and backtraces work as before.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let gnu_linux = var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu";
    // A static build links libgcc_eh already.
    let crt_static = var("CARGO_CFG_TARGET_FEATURE").split(',').any(|f| f == "crt-static");
    if gnu_linux && !crt_static {
        println!("cargo:rustc-link-lib=static:+whole-archive=gcc_eh");
    }
}
