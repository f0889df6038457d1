//! `kreloc check/window/relocate` as a user (and `git bisect run`) sees them.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

mod support;

use std::process::Command;

use support::*;

fn kreloc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kreloc")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write_kernel_model_object(dir: &std::path::Path) -> String {
    let bytes =
        purgatory(dir, &["gcc"], &["-mcmodel=kernel", "-fno-pic", "-mno-red-zone"], &fixture("purgatory.c"), None);
    let path = dir.join("purgatory.ro");
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn check_exit_codes_work_as_a_bisect_predicate() {
    let dir = tempfile::tempdir().unwrap();
    let obj = write_kernel_model_object(dir.path());
    let (code, out, _) = kreloc(&["check", &obj, "--at", "0x17f7affd000"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("kexec: Overflow in relocation type 11 value 0x17f7aff"), "{out}");
    assert!(out.contains("bounded by:"), "{out}");
    let (code, out, _) = kreloc(&["check", &obj, "--at", "0x7000_0000", "--at", "1G"]);
    assert_eq!(code, 0, "{out}");
    let (code, _, _) = kreloc(&["check", &obj, "--at", "0x7000_0000", "--at", "0x17f7affd000"]);
    assert_eq!(code, 1, "bad at any requested address is bad");
}

#[test]
fn check_without_at_states_the_address_it_chose() {
    let dir = tempfile::tempdir().unwrap();
    let obj = write_kernel_model_object(dir.path());
    let (code, out, _) = kreloc(&["check", &obj]);
    assert_eq!(code, 1);
    assert!(out.contains("load address 0x13ffff000 (top-down in a typical crashkernel"), "{out}");
}

#[test]
fn json_output_parses_and_carries_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let obj = write_kernel_model_object(dir.path());
    let (code, out, _) = kreloc(&["check", &obj, "--at", "0x17f7affd000", "--json"]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["schema"], "kreloc/1");
    assert_eq!(doc["good"], false);
    assert_eq!(doc["verdicts"][0]["loaded"], false);
    // Messages are typed, tagged by a stable code (issue 10); the text is what `check` prints without --json.
    assert_eq!(doc["verdicts"][0]["messages"][0]["code"], "overflow");
    assert_eq!(doc["verdicts"][0]["messages"][0]["r_type"], 11);
    assert_eq!(doc["verdicts"][0]["stages"]["relocates"]["passed"], false);
    assert_eq!(doc["window_is_about"], "relocation");
    assert!(!doc["window"]["limits"].as_array().unwrap().is_empty());
    let (_, out, _) = kreloc(&["window", &obj, "--json"]);
    let w: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(w["intervals"][0][0], 0x3000);
    let (_, out, _) = kreloc(&["--json", "profiles"]);
    let p: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(p["schema"], "kreloc/1");
    assert!(p["items"].as_array().unwrap().iter().any(|x| x["name"] == "kexec-tools-i386"));
}

#[test]
fn unusable_input_is_a_one_line_error_and_exit_125() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.o");
    std::fs::write(&junk, b"not an elf at all").unwrap();
    for args in [
        vec!["check", junk.to_str().unwrap()],
        vec!["check", "/nonexistent/purgatory.ro"],
        vec!["window", junk.to_str().unwrap()],
    ] {
        let (code, out, err) = kreloc(&args);
        assert_eq!(code, 125, "{args:?}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("kreloc: error: "), "{err}");
    }
    // A mistyped profile is a usage error (2), not "cannot test" (125, which git bisect takes as skip).
    let (code, _, err) = kreloc(&["check", "x.o", "--profile", "linux-arm"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown profile 'linux-arm'"), "{err}");
    let (code, out, _) = kreloc(&["--json", "check", "x.o", "--profile", "linux-arm"]);
    assert_eq!(code, 2);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("errors are json with --json");
    assert_eq!((doc["schema"].as_str(), doc["exit_code"].as_i64()), (Some("kreloc/1"), Some(2)));
    let (code, out, _) = kreloc(&["--json", "check", "/nonexistent/purgatory.ro"]);
    assert_eq!(code, 125);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("errors are json with --json");
    assert!(doc["error"].as_str().unwrap().contains("/nonexistent/purgatory.ro"), "{doc}");
    let (code, _, _) = kreloc(&["check", "x.o", "--at", "banana"]);
    assert_eq!(code, 2, "usage errors are clap's exit 2");
}

#[test]
fn relocate_writes_the_image_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let obj = write_kernel_model_object(dir.path());
    let out_path = dir.path().join("img.bin");
    let (code, out, _) = kreloc(&["relocate", &obj, "--at", "0x10000000", "-o", out_path.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let image = std::fs::read(&out_path).unwrap();
    let v = load(&std::fs::read(&obj).unwrap(), "linux-x86_64", 0x1000_0000);
    assert_eq!(image, v.image);
}

#[test]
fn help_teaches_with_examples_and_exit_codes() {
    let (_, out, _) = kreloc(&["check", "--help"]);
    assert!(out.contains("125 cannot test") && out.contains("2 usage error"), "{out}");
    assert!(out.contains("[possible values: linux-x86_64,"), "{out}");
    let (_, out, _) = kreloc(&["--help"]);
    assert!(out.contains("git bisect run"), "{out}");
}

#[test]
fn json_stages_separate_relocation_from_the_symbol_steps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no_digests.ro");
    let src =
        std::fs::read_to_string(fixture("purgatory.c")).unwrap().replace("purgatory_sha_regions", "renamed_regions");
    let src_path = dir.path().join("no_digests.c");
    std::fs::write(&src_path, src).unwrap();
    std::fs::write(&path, purgatory(dir.path(), &["gcc"], &["-mcmodel=large", "-fno-pic"], &src_path, None)).unwrap();
    let obj = path.to_string_lossy().into_owned();
    let (code, out, _) = kreloc(&["check", &obj, "--at", "0x13fffb000", "--json"]);
    assert_eq!(code, 1, "the whole load fails: {out}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    let stages = &doc["verdicts"][0]["stages"];
    assert_eq!(stages["relocates"]["passed"], true, "a user who only wants relocation reads this");
    assert_eq!(stages["loader_symbols"]["passed"], true);
    assert!(stages.get("arch_symbols").is_none(), "the kernel has no arch_update_purgatory step: {stages}");
    assert_eq!(stages["digest_symbols"]["passed"], false);
    assert_eq!(stages["digest_symbols"]["failure"]["kind"], "silent");
    assert_eq!(doc["verdicts"][0]["messages"].as_array().unwrap().len(), 0, "the kernel prints nothing");
    let (_, text, _) = kreloc(&["check", &obj, "--at", "0x13fffb000"]);
    assert!(
        text.contains("stages: relocates: yes, loader symbols: yes, digest symbols: FAILS ((no message)"),
        "{text}"
    );
}

/// A kexec-tools x86_64 purgatory (built as kexec-tools builds it) without `panic_kernel`, the last symbol
/// `arch_update_purgatory()` sets.
const KEXEC_TOOLS_NO_PANIC_KERNEL: &str = "unsigned long long entry64_regs[17] = {1};\nchar stack_end[1];\nunsigned long cmdline_end = 1;\n\
unsigned char reset_vga = 0, console_vga = 0, console_serial = 0;\nunsigned short serial_base = 0;\nunsigned int serial_baud = 0;\n\
unsigned long backup_src_start = 0, backup_src_size = 0, backup_start = 0;\n\
struct { unsigned long long s, l; } sha256_regions[16] = {{1, 1}};\nunsigned char sha256_digest[32] = {1};\n\
unsigned long purgatory_start(void) { return cmdline_end; }\n";

#[test]
fn json_shows_kexec_tools_arch_update_as_its_own_stage() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("kt.c");
    std::fs::write(&src, KEXEC_TOOLS_NO_PANIC_KERNEL).unwrap();
    let bytes =
        purgatory(dir.path(), &["gcc"], &["-mcmodel=large", "-fno-pic", "-fno-zero-initialized-in-bss"], &src, None);
    let path = dir.path().join("kt.o");
    std::fs::write(&path, bytes).unwrap();
    let obj = path.to_string_lossy().into_owned();
    let (code, out, _) = kreloc(&["check", &obj, "--profile", "kexec-tools-x86_64", "--at", "0x13fffb000", "--json"]);
    assert_eq!(code, 1, "the whole load fails: {out}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    let v = &doc["verdicts"][0];
    assert_eq!(v["loaded"], true, "relocation alone succeeds");
    let stages = &v["stages"];
    assert_eq!(stages["loader_symbols"]["passed"], true);
    assert_eq!(stages["arch_symbols"]["passed"], false);
    assert_eq!(stages["arch_symbols"]["failure"]["kind"], "loader");
    assert_eq!(stages["arch_symbols"]["failure"]["message"]["code"], "symbol-not-found");
    assert_eq!(stages["arch_symbols"]["failure"]["message"]["name"], "panic_kernel");
    assert_eq!(stages["digest_symbols"]["reached"], false);
    assert_eq!(v["printed"], serde_json::json!(["Symbol: panic_kernel not found cannot set"]));
    let (_, text, _) = kreloc(&["check", &obj, "--profile", "kexec-tools-x86_64", "--at", "0x13fffb000"]);
    assert!(
        text.contains(
            "arch symbols: FAILS (Symbol: panic_kernel not found cannot set), digest symbols: not reached (alone: yes)"
        ),
        "{text}"
    );
}

/// kexec-tools built its purgatory `-mcmodel=large` before its PIC/PIE fix; a compiler that defaults to PIC
/// turns that into GOT and PLT relocations the loader refuses, many per reason. `check` and `window` say each
/// reason once, with a count and the first sites; `--verbose` and `--json` keep every site.
#[test]
fn blocking_relocations_are_grouped_by_problem() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = purgatory(dir.path(), &["gcc"], &["-mcmodel=large", "-fpic"], &fixture("purgatory.c"), None);
    let obj = dir.path().join("large-pic.ro");
    std::fs::write(&obj, bytes).unwrap();
    let obj = obj.to_str().unwrap();
    let args = ["--profile", "kexec-tools-x86_64"];

    let (code, json, _) = kreloc(&[&["window", obj, "--json"][..], &args].concat());
    assert_eq!(code, 1, "{json}");
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let blockers: Vec<&str> = doc["blockers"].as_array().unwrap().iter().map(|b| b.as_str().unwrap()).collect();
    let sites = doc["blocking_relocations"].as_array().unwrap();
    let sites_of = |i: usize| {
        sites.iter().filter(|s| s["blocker"] == i).map(|s| s["relocation"].as_str().unwrap()).collect::<Vec<_>>()
    };
    assert!(sites.len() > blockers.len(), "several relocations per reason: {doc}");
    assert!((0..blockers.len()).any(|i| sites_of(i).len() > 3), "a reason with more sites than a summary shows: {doc}");

    let (code, out, _) = kreloc(&[&["check", obj, "--at", "0x13fffb000"][..], &args].concat());
    assert_eq!(code, 1, "{out}");
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("blocked everywhere: ")).collect();
    assert_eq!(lines.len(), blockers.len(), "one line per reason: {out}");
    for (i, b) in blockers.iter().enumerate() {
        let line = lines
            .iter()
            .find(|l| l.starts_with(&format!("blocked everywhere: {b} (")))
            .unwrap_or_else(|| panic!("no line for {b}: {out}"));
        let n = sites_of(i).len();
        assert!(line.contains(&format!("({n} relocation")), "{line}");
        assert!(line.contains(sites_of(i)[0]), "the first site is named: {line}");
        assert_eq!(line.contains("--verbose lists them"), n > 3, "{line}");
    }
    assert!(out.lines().count() <= 40, "fits on one screen: {out}");

    let (_, verbose, _) = kreloc(&[&["window", obj, "--verbose"][..], &args].concat());
    for s in sites {
        assert!(verbose.contains(s["relocation"].as_str().unwrap()), "--verbose lists {s}: {verbose}");
    }
}

/// `build.rs` links the unwinder in (libgcc_s's start-up `cpuid` probes cost a sixth of a check in a
/// virtual machine): the binary needs no libgcc_s, and unwinding still works in what this package links.
#[test]
fn kreloc_starts_without_libgcc_s_and_unwinds() {
    use object::read::elf::{Dyn, FileHeader};
    let bytes = std::fs::read(env!("CARGO_BIN_EXE_kreloc")).unwrap();
    let elf = object::elf::FileHeader64::<object::LittleEndian>::parse(&*bytes).unwrap();
    let endian = elf.endian().unwrap();
    let sections = elf.sections(endian, &*bytes).unwrap();
    let (dynamic, link) = sections.dynamic(endian, &*bytes).unwrap().expect("a dynamic section");
    let strings = sections.strings(endian, &*bytes, link).unwrap();
    let needed: Vec<String> = dynamic
        .iter()
        .filter(|d| d.d_tag(endian) == object::elf::DT_NEEDED)
        .map(|d| String::from_utf8_lossy(d.string(endian, strings).unwrap()).into_owned())
        .collect();
    assert!(needed.iter().any(|n| n.starts_with("libc.so")), "{needed:?}");
    assert!(!needed.iter().any(|n| n.starts_with("libgcc_s")), "{needed:?}");

    // This test binary is linked the same way: a panic unwinds through drops and is caught.
    struct Dropped<'a>(&'a std::cell::Cell<bool>);
    impl Drop for Dropped<'_> {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let dropped = std::cell::Cell::new(false);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _d = Dropped(&dropped);
        panic!("unwinds");
    }));
    assert!(caught.is_err() && dropped.get());
    let (code, out, _) = kreloc(&["--version"]);
    assert_eq!((code, out.starts_with("kreloc ")), (0, true), "{out}");
}

/// A reader that closes the pipe first (`kreloc check … | head`) ends kreloc quietly, by SIGPIPE as a C
/// program ends, not with a panic and a backtrace.
#[test]
fn a_closed_stdout_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let obj = write_kernel_model_object(dir.path());
    for json in [false, true] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kreloc"));
        cmd.args(["check", &obj, "--at", "0x13fffb000"]).args(json.then_some("--json"));
        let out = cmd.stdout(writer).stderr(std::process::Stdio::piped()).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "json {json}: {:?} {stderr}", out.status);
        assert!(stderr.is_empty(), "json {json}: {stderr}");
    }
}
