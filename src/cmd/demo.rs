//! `kreloc demo`: the five seed scenarios end to end, as a table of expected and observed behaviour.

use std::time::Duration;

use kreloc_exec::{run_object, ExecOutcome};
use kreloc_oracle::profile::{I386Mode, KernelVersion};
use kreloc_oracle::synth::known;
use kreloc_oracle::{load, parse, window, Object, ProfileId};
use kreloc_placement::memmap::{parse_crashkernel, MemoryMap};
use kreloc_placement::zimage::{check_zimage, InitrdRule};
use kreloc_placement::{place, Loader};
use kreloc_toolchains::link::{Link, Linker};
use kreloc_toolchains::{config, resolve, Cache, CompileConfig, Compiler, Source};
use serde::Serialize;

use super::exit;

const PURGATORY: &str = kreloc_bisect::BUILTIN_CASE;
const TRAMPOLINE: &str = include_str!("../../tests/fixtures/trampoline.c");
const MERGE_LTEXT: &str = "SECTIONS { .text : { *(.text .text.*) *(.ltext .ltext.*) } }";

/// One line of the table.
#[derive(Debug, Serialize)]
pub struct Row {
    pub scenario: &'static str,
    pub expected: String,
    pub observed: String,
    pub pass: bool,
}

fn row(scenario: &'static str, expected: impl Into<String>, observed: impl Into<String>, pass: bool) -> Row {
    Row { scenario, expected: expected.into(), observed: observed.into(), pass }
}

struct Demo {
    compiler: Compiler,
}

impl Demo {
    fn build(&self, tc: &str, src: &str, cfg: &CompileConfig, script: Option<&str>) -> Result<Object, String> {
        let tc = resolve(tc).map_err(|e| format!("{e} (run scripts/setup.sh)"))?;
        let mut c = Compiler::new(Cache::default_location());
        c.link = Some(Link { linker: Linker::Bfd, script: script.map(str::to_string) });
        let compiler = if script.is_some() { &c } else { &self.compiler };
        let out = compiler.compile(&tc, &Source::c(src), cfg).map_err(|e| e.to_string())?;
        let bytes = out.object().ok_or_else(|| format!("{} failed: {:?}", tc.id(), out.kind()))?;
        parse(bytes).map_err(|e| e.to_string())
    }
}

fn named(n: &str) -> CompileConfig {
    config::named(n).map(|c| c.config()).unwrap_or_default()
}

fn first_message(v: &kreloc_oracle::Verdict) -> String {
    v.messages.first().map(ToString::to_string).unwrap_or_else(|| {
        if v.ok {
            "loads".into()
        } else {
            v.failure_text().unwrap_or_default()
        }
    })
}

fn seed000(d: &Demo, rows: &mut Vec<Row>) -> Result<(), String> {
    let linux = ProfileId::LinuxX86_64(None).profile();
    let at = 0x17f_7aff_d000;
    let bad = load(&d.build("gcc@12", PURGATORY, &named("kernel-2019"), None)?, &*linux, at);
    let msg = first_message(&bad);
    rows.push(row(
        "000 2019 flags at 0x17f7affd000",
        "Overflow in relocation type 11",
        &msg,
        msg.contains("Overflow in relocation type 11"),
    ));
    for cfg in ["kernel-2018", "kernel-2024"] {
        let obj = d.build("gcc@12", PURGATORY, &named(cfg), None)?;
        let w = window::window(&obj, &*linux);
        let anywhere = w.limits.is_empty() && w.blockers.is_empty();
        rows.push(row(
            "000 earlier/2024 flags",
            format!("{cfg} loads anywhere"),
            if anywhere { "loads anywhere" } else { "bounded" },
            anywhere,
        ));
    }
    let split = |n: &str| {
        config::named(n).map(|c| c.flags.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap_or_default()
    };
    let pred = kreloc_bisect::predicate::OraclePredicate {
        case: Source::c(PURGATORY),
        config: CompileConfig::default(),
        profile: ProfileId::LinuxX86_64(None),
        addresses: vec![at],
        regress: kreloc_bisect::predicate::Regress::LoadFails,
        compiler: Compiler { cache: Cache::disabled(), timeout: Duration::from_secs(120), link: Some(Link::kernel()) },
    };
    let tc = resolve("gcc@12").map_err(|e| e.to_string())?;
    let r = kreloc_bisect::flags::bisect_flags(&split("kernel-2018"), &split("kernel-2019"), &tc, &pred)
        .map_err(|e| e.to_string())?;
    let culprit: Vec<String> = r.culprit.iter().map(|c| c.to_string()).collect();
    let text = culprit.join(", ");
    rows.push(row(
        "000 kbisect flags",
        "-mcmodel=large -> -mcmodel=kernel",
        &text,
        text == "-mcmodel=large -> -mcmodel=kernel",
    ));
    Ok(())
}

fn seed001(d: &Demo, rows: &mut Vec<Row>) -> Result<(), String> {
    let at = 0x1_3fff_b000;
    let linux = ProfileId::LinuxX86_64(None).profile();
    let l17 = d.build("llvm@17", PURGATORY, &named("kernel-2018"), None)?;
    let l18 = d.build("llvm@18", PURGATORY, &named("kernel-2018"), None)?;
    let has_ltext = |o: &Object| o.sections.iter().any(|s| o.name_is(s.name, ".ltext"));
    rows.push(row(
        "001 LLVM 17 vs 18, large",
        "18 adds .ltext",
        format!("17: {}, 18: {}", has_ltext(&l17), has_ltext(&l18)),
        !has_ltext(&l17) && has_ltext(&l18),
    ));
    let v = load(&l18, &*linux, at);
    rows.push(row(
        "001 LLVM 18 on Linux 6.x",
        "WARN, two exec sections",
        if v.entry.warned { "WARN (.text, .ltext)" } else { "no WARN" },
        v.entry.warned,
    ));
    let old = ProfileId::LinuxX86_64(Some(KernelVersion::series(5, 4))).profile();
    let v = load(&l18, &*old, at);
    let intended = v.entry.intended.as_ref().map_or(0, |i| i.addr);
    rows.push(row(
        "001 LLVM 18 on Linux 4.17-6.3",
        "entry misplaced",
        format!("jumps to {:#x}, purgatory_start at {intended:#x}", v.entry.start),
        v.entry.misplaced(),
    ));
    let synth = parse(&known::llvm18_r32_large()).map_err(|e| e.to_string())?;
    let msg = load(&synth, &*linux, at).messages.get(1).map(ToString::to_string).unwrap_or_default();
    rows.push(row(
        "001 18.1.0-18.1.4 R_X86_64_32",
        "Overflow in relocation type 10 value 0x13fffc760",
        &msg,
        msg == "kexec: Overflow in relocation type 10 value 0x13fffc760",
    ));
    let merged = d.build("llvm@18", PURGATORY, &named("kernel-2018"), Some(MERGE_LTEXT))?;
    let v = load(&merged, &*linux, at);
    rows.push(row(
        "001 fix: merge .ltext into .text",
        "loads, no WARN",
        if v.ok && !v.entry.warned { "loads, no WARN" } else { "still broken" },
        v.ok && !v.entry.warned,
    ));
    let pic = d.build("llvm@18", PURGATORY, &named("kernel-2024"), None)?;
    let w = window::window(&pic, &*linux);
    let ok = load(&pic, &*linux, at).ok && w.limits.is_empty();
    rows.push(row(
        "001 fix: small + pic + hidden",
        "loads anywhere",
        if ok { "loads anywhere" } else { "bounded" },
        ok,
    ));
    Ok(())
}

fn seed002(d: &Demo, rows: &mut Vec<Row>) -> Result<(), String> {
    let strict = ProfileId::StrictX86_64.profile();
    let (link, away, t) = (0x1000_0000, 0x3000_0000, Duration::from_secs(2));
    for (cfg, want_same) in [("small-nopic", false), ("small-pie", true)] {
        let mut c = named(cfg);
        if want_same {
            c.visibility = kreloc_toolchains::config::Visibility::Hidden;
        }
        let obj = d.build("gcc@12", TRAMPOLINE, &c, None)?;
        let home = run_object(&obj, &*strict, link, link, "kreloc_entry", t).map_err(|e| e.0)?;
        let there = run_object(&obj, &*strict, link, away, "kreloc_entry", t).map_err(|e| e.0)?;
        let same = home == there && matches!(home, ExecOutcome::Returned { .. });
        let refs = kreloc_exec::scan::absolute_references(&obj);
        let insn = refs
            .iter()
            .find_map(|r| r.insn.as_ref())
            .map(|i| i.text.clone())
            .unwrap_or_else(|| "no absolute reference".into());
        let expected = if want_same { "same checksum at both addresses" } else { "differs; mov $imm32 named" };
        let observed = format!("{}; {insn}", if same { "same" } else { "differs" });
        rows.push(row(
            "002 trampoline copy",
            format!("{cfg}: {expected}"),
            observed,
            same == want_same && (want_same || insn.starts_with("mov $")),
        ));
    }
    Ok(())
}

fn seed003(rows: &mut Vec<Row>) -> Result<(), String> {
    let map = MemoryMap::parse(
        "00001000-0009ffff : System RAM\n00100000-dfffffff : System RAM\n100000000-21fffffff : System RAM\n",
    )
    .map_err(|e| e.0)?;
    let obj = parse(&known::i386_purgatory(0x6000)).map_err(|e| e.to_string())?;
    let prof = ProfileId::KexecToolsI386(I386Mode::Crash).profile();
    let (_, memsz, align) = kreloc_oracle::layout::footprint(&obj, prof.layout_rule());
    for (ck, want) in [("256M@1968M", true), ("256M@3264M", false)] {
        let crash = parse_crashkernel(ck).map_err(|e| e.0)?;
        let p = place(Loader::KexecToolsI386, &map, Some(crash), memsz, align);
        let observed = match p.address {
            Some(a) => format!("placed at {a:#x}"),
            None => p.messages.join(" / "),
        };
        let relocates = p.top_of_search().is_some_and(|at| window::window(&obj, &*prof).relocatable.contains(at));
        let expected = if want {
            "loads under the 0x7fffffff cap"
        } else {
            "locate_hole failed (purgatory itself relocates there)"
        };
        rows.push(row(
            "003 i386 loader",
            format!("crashkernel={ck}: {expected}"),
            observed,
            p.address.is_some() == want && relocates,
        ));
    }
    Ok(())
}

fn seed004(rows: &mut Vec<Row>) -> Result<(), String> {
    for (size, len, want_overlap) in [(15_024_128usize, 4_399_040usize, true), (8_871_936, 4_381_592, false)] {
        let r = check_zimage(&known::zimage(size, len), 0x8000_0000, InitrdRule::Ratio4).map_err(|e| e.0)?;
        let observed =
            if r.overlaps.is_empty() { "no overlap".to_string() } else { format!("overlap: {}", r.overlaps.len()) };
        let expected = if want_overlap { "overlap (DEBUG_RODATA)" } else { "no overlap" };
        rows.push(row(
            "004 ARM zImage ratio4",
            format!("{size} vs {len}: {expected}"),
            observed,
            r.overlaps.is_empty() != want_overlap,
        ));
    }
    Ok(())
}

/// Runs every scenario; exit 0 when all pass.
pub fn demo(json: bool) -> i32 {
    let mut compiler = Compiler::new(Cache::default_location());
    compiler.link = Some(Link::kernel());
    let d = Demo { compiler };
    let mut rows = Vec::new();
    let results = [
        seed000(&d, &mut rows),
        seed001(&d, &mut rows),
        seed002(&d, &mut rows),
        seed003(&mut rows),
        seed004(&mut rows),
    ];
    for (i, r) in results.iter().enumerate() {
        if let Err(e) = r {
            rows.push(row(["000", "001", "002", "003", "004"][i], "runs", format!("error: {e}"), false));
        }
    }
    let pass = rows.iter().all(|r| r.pass);
    if json {
        kreloc_cli::json::print(&rows);
    } else {
        println!("{:<34} {:<58} {:<60} ", "scenario", "expected", "observed");
        for r in &rows {
            println!("{:<34} {:<58} {:<60} {}", r.scenario, r.expected, r.observed, if r.pass { "ok" } else { "FAIL" });
        }
        println!("\n{} of {} checks as expected", rows.iter().filter(|r| r.pass).count(), rows.len());
    }
    if pass {
        exit::GOOD
    } else {
        exit::BAD
    }
}
