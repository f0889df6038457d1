//! C (gcc -O0 and -O2), Rust (rustc -O) and the reference evaluator agree on every program's checksum.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::path::Path;
use std::process::Command;

use kreloc_gen::{emit_c, emit_rust, Program};

const HARNESS: &str = "#include <stdio.h>\nvoid kreloc_entry(unsigned long *out);\nint main(void) { unsigned long out[4] = {0}; kreloc_entry(out); printf(\"%lu\\n\", out[0]); return 0; }\n";

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what} must be installed (scripts/setup.sh): {e}"));
    assert!(out.status.success(), "{what}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Links `obj` with the hosted harness and returns what kreloc_entry computed.
fn execute(dir: &Path, obj: &Path, tag: &str) -> u64 {
    let harness = dir.join("harness.c");
    std::fs::write(&harness, HARNESS).unwrap();
    let exe = dir.join(format!("run-{tag}"));
    run(Command::new("gcc").args(["-no-pie", "-O0"]).arg(&harness).arg(obj).arg("-o").arg(&exe), "gcc (link)");
    run(&mut Command::new(&exe), tag).parse().unwrap()
}

fn c_object(dir: &Path, p: &Program, opt: &str) -> std::path::PathBuf {
    let src = dir.join("p.c");
    std::fs::write(&src, emit_c(p)).unwrap();
    let obj = dir.join(format!("c{opt}.o"));
    run(
        Command::new("gcc")
            .args([opt, "-ffreestanding", "-fno-pic", "-Wall", "-Werror", "-Wno-unused-function", "-c"])
            .arg(&src)
            .arg("-o")
            .arg(&obj),
        "gcc",
    );
    obj
}

fn rust_object(dir: &Path, p: &Program) -> std::path::PathBuf {
    let src = dir.join("p.rs");
    std::fs::write(&src, emit_rust(p)).unwrap();
    let obj = dir.join("r.o");
    run(
        Command::new("rustc")
            .args([
                "--crate-type=lib",
                "--emit=obj",
                "--edition=2021",
                "-C",
                "panic=abort",
                "-O",
                "-C",
                "relocation-model=static",
                "-o",
            ])
            .arg(&obj)
            .arg(&src),
        "rustc",
    );
    obj
}

fn undefined_symbols(obj: &Path) -> Vec<String> {
    use object::{Object, ObjectSymbol};
    let data = std::fs::read(obj).unwrap();
    let file = object::File::parse(&*data).unwrap();
    file.symbols()
        .filter(|s| s.is_undefined() && !s.name().unwrap_or("").is_empty())
        .map(|s| s.name().unwrap_or("").to_string())
        .collect()
}

#[test]
fn c_rust_and_the_evaluator_agree_on_30_seeds() {
    let covered: std::collections::BTreeSet<&str> =
        (0..30u64).flat_map(|seed| Program::from_seed(seed, 512).features()).collect();
    // The kernel idioms are all among the programs whose compiled checksum is compared.
    for idiom in kreloc_gen::KERNEL_IDIOMS {
        assert!(covered.contains(idiom), "{idiom} is in none of the 30 programs");
    }
    for seed in 0..30u64 {
        let p = Program::from_seed(seed, 512);
        let want = p.expected_checksum();
        let dir = tempfile::tempdir().unwrap();
        for opt in ["-O0", "-O2"] {
            let obj = c_object(dir.path(), &p, opt);
            assert_eq!(undefined_symbols(&obj), Vec::<String>::new(), "seed {seed} C {opt}");
            assert_eq!(
                execute(dir.path(), &obj, &format!("c{opt}")),
                want,
                "seed {seed}: C {opt} vs evaluator\n{}",
                emit_c(&p)
            );
        }
        let obj = rust_object(dir.path(), &p);
        assert_eq!(undefined_symbols(&obj), Vec::<String>::new(), "seed {seed} Rust");
        assert_eq!(execute(dir.path(), &obj, "rust"), want, "seed {seed}: Rust vs evaluator\n{}", emit_rust(&p));
    }
}

#[test]
fn every_reduction_edit_keeps_the_program_valid() {
    for seed in [3u64, 11, 17] {
        let p = Program::from_seed(seed, 512);
        for e in p.reduction_candidates() {
            let q = p.apply(&e).unwrap();
            assert!(q.size() < p.size(), "{e:?}");
            let dir = tempfile::tempdir().unwrap();
            let obj = c_object(dir.path(), &q, "-O2");
            assert_eq!(execute(dir.path(), &obj, "c"), q.expected_checksum(), "seed {seed} after {e:?}");
            let obj = rust_object(dir.path(), &q);
            assert_eq!(execute(dir.path(), &obj, "r"), q.expected_checksum(), "seed {seed} after {e:?} (Rust)");
        }
    }
}

#[test]
fn dense_switches_become_jump_tables() {
    use object::{Object, ObjectSection, ObjectSymbol};

    // Under -mcmodel=large -fno-pic a jump table is a .rodata array of absolute code addresses: relocations
    // of .rodata against an exec section. The same program with its switches removed has none.
    let mut p = (0..50u64)
        .map(|s| Program::from_seed(s, 512))
        .find(|p| p.features().contains(&"switch"))
        .expect("a program with a switch");
    // A const table of function pointers is code addresses in .rodata too.
    p.fnptr_table = false;
    let without = {
        let mut q = p.clone();
        q.funcs.retain(|f| !matches!(f.kind, kreloc_gen::ast::FuncKind::Switch { .. }));
        q
    };
    let table_relocs = |p: &Program| {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("p.c");
        std::fs::write(&src, emit_c(p)).unwrap();
        let obj = dir.path().join("p.o");
        run(
            Command::new("gcc")
                .args(["-O2", "-mcmodel=large", "-fno-pic", "-ffreestanding", "-c"])
                .arg(&src)
                .arg("-o")
                .arg(&obj),
            "gcc",
        );
        let data = std::fs::read(&obj).unwrap();
        let file = object::File::parse(&*data).unwrap();
        let is_code = |t: object::RelocationTarget| {
            let section = match t {
                object::RelocationTarget::Section(i) => Some(i),
                object::RelocationTarget::Symbol(i) => file.symbol_by_index(i).ok().and_then(|s| s.section_index()),
                _ => None,
            };
            section.and_then(|i| file.section_by_index(i).ok()).is_some_and(|s| s.kind() == object::SectionKind::Text)
        };
        let rodata = file.section_by_name(".rodata").map(|s| s.relocations().collect::<Vec<_>>()).unwrap_or_default();
        rodata.iter().filter(|(_, r)| is_code(r.target())).count()
    };
    assert!(table_relocs(&p) >= 6, "a switch of 6 or more cases is a jump table");
    assert_eq!(table_relocs(&without), 0);
}
