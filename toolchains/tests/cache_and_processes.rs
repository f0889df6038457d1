//! The cache makes re-runs free; missing compilers are clear errors; hanging compilers die with their children.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use kreloc_toolchains::identity::{Family, Kind, Toolchain, Version};
use kreloc_toolchains::matrix::compile_matrix;
use kreloc_toolchains::{resolve, Cache, CompileConfig, CompileOutcome, Compiler, Source};

#[test]
fn a_rerun_of_the_same_matrix_does_no_compiles() {
    let dir = tempfile::tempdir().unwrap();
    let c = Compiler::new(Cache::at(dir.path()));
    let tcs = vec![resolve("gcc@12").unwrap(), resolve("clang-19").unwrap()];
    let configs: Vec<(String, CompileConfig)> = ["small-nopic", "kernel", "large"]
        .iter()
        .map(|n| (n.to_string(), kreloc_toolchains::config::named(n).unwrap().config()))
        .collect();
    let sources = vec![Source::c("unsigned long g[4]; unsigned long *f(int i) { return &g[i & 3]; }")];
    let first = compile_matrix(&c, &sources, &tcs, &configs, 2, false).unwrap();
    assert_eq!(first.len(), 6);
    assert_eq!((c.cache.hits(), c.cache.misses()), (0, 6));
    let second = compile_matrix(&c, &sources, &tcs, &configs, 2, false).unwrap();
    assert_eq!((c.cache.hits(), c.cache.misses()), (6, 6), "the re-run is all hits");
    for ((_, a), (_, b)) in first.iter().zip(&second) {
        assert_eq!(a.as_ref().unwrap().object(), b.as_ref().unwrap().object());
    }
    assert!(matches!(second[0].1.as_ref().unwrap(), CompileOutcome::Object { cached: true, .. }));
}

#[test]
fn missing_or_unavailable_compilers_are_clear_errors() {
    let e = resolve("path:/nonexistent/cc").unwrap_err().to_string();
    assert!(e.contains("/nonexistent/cc"), "{e}");
    let e = resolve("llvm@12").unwrap_err().to_string();
    assert!(e.contains("cannot be had here") && e.contains("llvm 13, 14"), "{e}");
    let e = resolve("clang-99").unwrap_err().to_string();
    assert!(e.contains("clang-99 is not on PATH"), "{e}");
    let e = resolve("fortran@9").unwrap_err().to_string();
    assert!(e.contains("bad toolchain"), "{e}");
}

/// Running (a zombie waiting for its new parent to reap it counts as dead).
fn pid_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().next()) != Some("Z"),
        Err(_) => false,
    }
}

#[test]
fn a_hanging_compiler_is_killed_with_its_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("grandchild.pid");
    let fake = dir.path().join("fake-cc");
    // The fake compiler starts a grandchild that would outlive it, records its pid, then hangs.
    std::fs::write(&fake, format!("#!/bin/sh\nsleep 300 &\necho $! > {}\nsleep 300\n", pidfile.display())).unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let tc = Toolchain { family: Family::Gcc, version: Version(vec![0, 0]), kind: Kind::Path, exe: fake };
    let mut c = Compiler::new(Cache::disabled());
    c.timeout = Duration::from_millis(500);
    let out = c.compile(&tc, &Source::c("int x;"), &CompileConfig::default()).unwrap();
    assert!(matches!(out, CompileOutcome::Timeout { .. }), "{out:?}");
    let grandchild: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(!pid_alive(grandchild), "the grandchild {grandchild} survived");
}

#[test]
fn a_crashing_compiler_is_an_ice() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("crash-cc");
    std::fs::write(&fake, "#!/bin/sh\necho 'internal compiler error: in foo, at bar.c:1' >&2\nkill -SEGV $$\n")
        .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let tc = Toolchain { family: Family::Gcc, version: Version(vec![0, 0]), kind: Kind::Path, exe: fake };
    let out = Compiler::new(Cache::disabled()).compile(&tc, &Source::c("int x;"), &CompileConfig::default()).unwrap();
    assert!(matches!(out, CompileOutcome::Ice { .. }), "{out:?}");
}
