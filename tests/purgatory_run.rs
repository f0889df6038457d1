//! Running real purgatories (`kreloc check --run`, kreloc-exec's purgatory run): Debian's shipped kernel and
//! kexec-tools purgatories return with their digest verified at both seed addresses; a segment corrupted
//! after the digest was stored spins in the named failure loop; a memcpy-family function that gcc turned
//! into a call to itself is reported as unbounded recursion in that function.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

#[path = "support/debian.rs"]
mod debian;

use std::path::Path;
use std::process::Command;

use debian::{deb, kernel_package, unpack};
use kreloc_exec::purgatory::{self, Options, RunOutcome};

const ADDRESSES: [u64; 2] = [0x1_3fff_b000, 0x17f_7aff_d000];

/// `kreloc --json check --run FILE --at LOW --at HIGH`.
fn check_run(file: &Path) -> (i32, serde_json::Value) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kreloc"));
    cmd.args(["--json", "check", "--run"]).arg(file);
    for a in ADDRESSES {
        cmd.args(["--at", &format!("{a:#x}")]);
    }
    let out = cmd.output().unwrap();
    let doc =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), doc)
}

fn assert_runs_and_returns(file: &Path) {
    let (code, doc) = check_run(file);
    let runs = doc["runs"].as_array().unwrap_or_else(|| panic!("no runs: {doc}"));
    assert_eq!(runs.len(), 2, "{doc}");
    for (r, at) in runs.iter().zip(ADDRESSES) {
        assert_eq!(r["load_addr"], at, "{r}");
        assert_eq!(r["outcome"]["kind"], "returned", "{}: {r}", file.display());
        assert_eq!(r["start_reaches_entry"], true, "{r}");
        let digested: Vec<_> =
            r["loaded"]["segments"].as_array().unwrap().iter().filter(|s| s["digested"] == true).collect();
        assert!(digested.len() >= 3, "{r}");
        assert_eq!(r["loaded"]["digest_hex"].as_str().map(str::len), Some(64), "{r}");
    }
    assert_eq!(doc["good"], true, "{doc}");
    assert_eq!(code, 0);
}

fn debian_kernel(dir: &Path) -> std::path::PathBuf {
    unpack(&deb(&kernel_package()), dir, "boot", "vmlinuz-")
}

fn debian_kexec(dir: &Path) -> std::path::PathBuf {
    unpack(&deb("kexec-tools"), dir, "sbin", "kexec")
}

#[test]
fn debians_kernel_purgatory_runs_and_verifies_its_digest_at_both_addresses() {
    let dir = tempfile::tempdir().unwrap();
    assert_runs_and_returns(&debian_kernel(dir.path()));
}

#[test]
fn debians_kexec_tools_purgatory_runs_and_verifies_its_digest_at_both_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let kexec = debian_kexec(dir.path());
    assert_runs_and_returns(&kexec);
    // Its printf/sprintf save %xmm0-7 in a prologue guarded by `test %al,%al`; purgatory's callers pass
    // %al = 0, so those saves never run and the run above is not judged bad for their presence.
    let x = kreloc_extract::extract(&std::fs::read(&kexec).unwrap()).unwrap();
    let ro = dir.path().join("kexec-purgatory.ro");
    std::fs::write(&ro, &x.object).unwrap();
    let out = Command::new("objdump").arg("-d").arg(&ro).output().expect("objdump");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("movaps %xmm0,"),
        "no guarded %xmm save in kexec-tools' purgatory"
    );
}

/// The purgatory in `file`, with the profile `kreloc check` would choose.
fn embedded(file: &Path, profile: &str) -> (kreloc_oracle::Object, Box<dyn kreloc_oracle::Profile>) {
    let x = kreloc_extract::extract(&std::fs::read(file).unwrap()).unwrap();
    (kreloc_oracle::parse(&x.object).unwrap(), kreloc_oracle::parse_profile(profile).unwrap())
}

#[test]
fn a_segment_corrupted_after_the_digest_was_stored_spins_in_the_named_failure_loop() {
    let dir = tempfile::tempdir().unwrap();
    let corrupt = Options { corrupt_segment: true, ..Options::default() };
    for (file, profile) in
        [(debian_kernel(dir.path()), "linux-x86_64@6.1"), (debian_kexec(dir.path()), "kexec-tools-x86_64")]
    {
        let (obj, prof) = embedded(&file, profile);
        let r = purgatory::run(&obj, &*prof, ADDRESSES[1], corrupt);
        assert!(r.corrupted.is_some(), "{r:?}");
        match &r.outcome {
            RunOutcome::FailureLoop { function, .. } => assert_eq!(function, "purgatory", "{profile}"),
            other => panic!("{profile}: {other}"),
        }
        assert!(!r.is_good());
        // The same load, untouched, returns: the byte flip is what made the difference.
        assert_eq!(
            purgatory::run(&obj, &*prof, ADDRESSES[1], Options::default()).outcome,
            RunOutcome::Returned,
            "{profile}"
        );
    }
}

/// Compiles tests/fixtures/run_purgatory.c with gcc-12 and `flags` and links it as the kernel links
/// purgatory.ro.
fn build_fixture(dir: &Path, flags: &[&str]) -> std::path::PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run_purgatory.c");
    let (o, ro) = (dir.join("p.o"), dir.join("p.ro"));
    let base = [
        "-O2",
        "-fno-zero-initialized-in-bss",
        "-mcmodel=small",
        "-fpic",
        "-fvisibility=hidden",
        "-mno-sse",
        "-mno-mmx",
        "-mno-red-zone",
        "-fno-stack-protector",
        "-c",
    ];
    let out = Command::new("gcc-12")
        .args(base)
        .args(flags)
        .arg(&src)
        .arg("-o")
        .arg(&o)
        .output()
        .expect("gcc-12 (scripts/setup.sh installs it)");
    assert!(out.status.success(), "gcc-12: {}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new("ld")
        .args(["-r", "-e", "purgatory_start", "-z", "nodefaultlib"])
        .arg(&o)
        .arg("-o")
        .arg(&ro)
        .output()
        .expect("ld");
    assert!(out.status.success(), "ld: {}", String::from_utf8_lossy(&out.stderr));
    ro
}

#[test]
fn a_vectorized_sha256_loop_is_judged_bad_for_its_sse_instruction_and_the_same_source_with_mno_sse_is_good() {
    let dir = tempfile::tempdir().unwrap();
    let profile = kreloc_oracle::parse_profile("linux-x86_64@6.6").unwrap();
    let kernel_flags = ["-ffreestanding", "-fno-tree-loop-distribute-patterns"];
    // gcc-12 vectorizes at -O2; build_fixture passes -mno-sse, which a later -msse2 undoes.
    let vectorized = build_fixture(dir.path(), &[&kernel_flags[..], &["-msse2"]].concat());
    let obj = kreloc_oracle::parse(&std::fs::read(&vectorized).unwrap()).unwrap();
    for at in ADDRESSES {
        match purgatory::run(&obj, &*profile, at, Options::default()).outcome {
            RunOutcome::VectorInstruction { function: Some(_), instruction, .. } => {
                assert!(instruction.contains("%xmm"), "{instruction}")
            }
            other => panic!("at {at:#x}: {other}"),
        }
    }
    let scalar = build_fixture(dir.path(), &kernel_flags);
    let obj = kreloc_oracle::parse(&std::fs::read(&scalar).unwrap()).unwrap();
    assert_eq!(purgatory::run(&obj, &*profile, ADDRESSES[0], Options::default()).outcome, RunOutcome::Returned);
}

/// The functions whose body carries a call relocation against their own name, from `objdump -dr`.
fn functions_calling_themselves(ro: &Path) -> Vec<String> {
    let out = Command::new("objdump").arg("-dr").arg(ro).output().expect("objdump");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut current = String::new();
    let mut found = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_suffix(">:").and_then(|l| l.split_once(" <")).map(|(_, n)| n) {
            current = name.to_string();
        } else if line.contains("R_X86_64_PLT32")
            && line.trim_end().ends_with(&format!("\t{current}-0x4"))
            && !found.contains(&current)
        {
            found.push(current.clone());
        }
    }
    found
}

#[test]
fn a_memcpy_turned_into_a_call_to_itself_is_reported_as_unbounded_recursion_in_that_function() {
    let dir = tempfile::tempdir().unwrap();
    let profile = kreloc_oracle::parse_profile("linux-x86_64@6.6").unwrap();
    // gcc-12 -O2 without -ffreestanding recognises the byte loops of memcpy/memmove/memset and calls them.
    let bad = build_fixture(dir.path(), &[]);
    let selfcalls = functions_calling_themselves(&bad);
    assert!(selfcalls.iter().any(|f| f.starts_with("mem")), "the disassembly shows no self call: {selfcalls:?}");
    let obj = kreloc_oracle::parse(&std::fs::read(&bad).unwrap()).unwrap();
    for at in ADDRESSES {
        let r = purgatory::run(&obj, &*profile, at, Options::default());
        match &r.outcome {
            RunOutcome::StackOverflow { function: Some(f), calls_itself: true, .. } => {
                assert!(selfcalls.contains(f), "{f} vs {selfcalls:?}")
            }
            other => panic!("at {at:#x}: {other}"),
        }
    }
    // The same source built as the kernel builds purgatory returns with its digest verified.
    let good = build_fixture(dir.path(), &["-ffreestanding", "-fno-tree-loop-distribute-patterns"]);
    assert_eq!(functions_calling_themselves(&good), Vec::<String>::new());
    let obj = kreloc_oracle::parse(&std::fs::read(&good).unwrap()).unwrap();
    for at in ADDRESSES {
        assert_eq!(purgatory::run(&obj, &*profile, at, Options::default()).outcome, RunOutcome::Returned, "at {at:#x}");
    }
}
