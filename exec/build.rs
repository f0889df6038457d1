//! Builds the runner (runner/main.rs) with plain rustc for the target, so it carries no sanitizer even when
//! this crate is built for an ASan fuzzer, and hands its bytes and their hash to the crate.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=runner/main.rs");
    println!("cargo:rerun-if-changed=src/protocol.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let exe = out.join("kreloc-exec-runner");
    let target = std::env::var("TARGET").unwrap_or_default();
    let bytes = if target.starts_with("x86_64-") && target.contains("linux") {
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        let build = |static_link: bool| {
            let mut cmd = Command::new(&rustc);
            cmd.args(["--edition", "2021", "--crate-type", "bin", "--crate-name", "kreloc_exec_runner"])
                .args(["-C", "opt-level=2", "-C", "panic=abort", "-C", "debuginfo=0", "-C", "strip=symbols"])
                .args(["--target", &target])
                .arg("runner/main.rs")
                .arg("-o")
                .arg(&exe)
                .env_remove("RUSTC_WRAPPER");
            if static_link {
                // A static runner starts faster and leaves more of its address space free.
                cmd.args(["-C", "target-feature=+crt-static"]);
            }
            cmd.status().is_ok_and(|s| s.success())
        };
        assert!(build(true) || build(false), "rustc could not build the sandbox runner (exec/runner/main.rs)");
        std::fs::read(&exe).expect("the runner was just built")
    } else {
        println!("cargo:warning=kreloc-exec runs relocated code on x86_64 Linux only; execution will be unavailable");
        Vec::new()
    };
    std::fs::write(&exe, &bytes).expect("OUT_DIR is writable");
    println!("cargo:rustc-env=KRELOC_RUNNER_HASH={:016x}", fnv1a(&bytes));
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}
