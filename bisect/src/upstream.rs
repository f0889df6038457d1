//! `upstream.md`: a triage as a report to paste into an LLVM, GCC or kernel tracker. Title, affected and
//! unaffected versions, the reproducer inline, the plain commands, expected vs actual, the first bad
//! release/commit/pass and one line of kernel impact; the kernel form says which purgatory flag to change.

use std::path::Path;

use kreloc_campaign::attribute::Step;
use kreloc_campaign::reduce_finding::{Evidence, Reduced};
use kreloc_toolchains::Family;

use crate::flags::FlagChange;
use crate::triage::TriageReport;

/// Who the report is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Audience {
    Llvm,
    Gcc,
    Kernel,
}

impl Audience {
    /// The tracker of the step's family; the kernel's for a config (or any non-compiler) step.
    pub fn for_step(step: &Step) -> Audience {
        match step {
            Step::Release { family: Family::Llvm, .. }
            | Step::FixedIn { family: Family::Llvm, .. }
            | Step::Family { family: Family::Llvm } => Audience::Llvm,
            Step::Release { family: Family::Gcc, .. }
            | Step::FixedIn { family: Family::Gcc, .. }
            | Step::Family { family: Family::Gcc } => Audience::Gcc,
            _ => Audience::Kernel,
        }
    }
}

/// The codegen flags of a compile command that a title names (code model, PIC, optimisation level).
fn key_flags(command: &str) -> String {
    let keep = |w: &&str| {
        w.starts_with("-mcmodel=")
            || w.starts_with("-O")
            || ["-fno-pic", "-fpic", "-fpie", "-fno-pie", "-fPIC", "-fPIE"].contains(w)
    };
    command.split(' ').filter(keep).collect::<Vec<_>>().join(" ")
}

/// The loader's first line after "the loader prints:", or its verdict line.
fn loader_says(e: &Evidence) -> String {
    let mut lines = e.loader_output.lines();
    if lines.clone().any(|l| l.trim() == "the loader prints:") {
        return lines.by_ref().skip_while(|l| l.trim() != "the loader prints:").nth(1).unwrap_or("").trim().to_string();
    }
    e.loader_output.lines().find(|l| l.starts_with("verdict")).unwrap_or("").to_string()
}

fn title(t: &TriageReport, audience: Audience, r: Option<&Reduced>) -> String {
    let change = t.finding.cause.change.title();
    let flags = r.and_then(|r| r.bad_plain.as_ref()).map(|p| key_flags(&p.commands[0])).unwrap_or_default();
    let since = match (&t.release, &t.finding.cause.step) {
        (Some(rel), _) => format!(" since {} {}", if rel.family == "llvm" { "LLVM" } else { "GCC" }, rel.first_bad),
        (None, Step::Release { family, to, .. }) => format!(" in {family} {to}"),
        _ => String::new(),
    };
    match audience {
        Audience::Llvm => format!("[X86] {change} with {flags}{since} (breaks the kexec purgatory)"),
        Audience::Gcc => format!("[x86_64] {change} with {flags}{since} (breaks the kexec purgatory)"),
        Audience::Kernel => match &t.flags {
            Some(f) => format!(
                "x86/purgatory: {change} when built with {}",
                f.changes.iter().map(bad_side).collect::<Vec<_>>().join(" ")
            ),
            None => format!("x86/purgatory: {change} with {flags}{since}"),
        },
    }
}

/// The flag the bad build has (or lacks) in a flag change.
fn bad_side(c: &FlagChange) -> String {
    match c {
        FlagChange::Add { flag } => flag.clone(),
        FlagChange::Remove { flag } => format!("no {flag}"),
        FlagChange::Replace { to, .. } => to.clone(),
    }
}

/// What to change in arch/x86/purgatory/Makefile so the purgatory is built like the good cell.
fn makefile_fix(c: &FlagChange) -> String {
    match c {
        FlagChange::Add { flag } => format!("remove `{flag}` (`PURGATORY_CFLAGS_REMOVE += {flag}`)"),
        FlagChange::Remove { flag } => format!("add `{flag}` (`PURGATORY_CFLAGS += {flag}`)"),
        FlagChange::Replace { from, to } => format!(
            "build with `{from}` instead of `{to}` (`PURGATORY_CFLAGS_REMOVE += {to}`, `PURGATORY_CFLAGS += {from}`)"
        ),
    }
}

/// The loader's view, without its stage and verdict lines: a reduced reproducer also lacks the loader's
/// symbols, which upstream need not read about (triage.md keeps the whole output).
fn evidence_block(e: &Evidence) -> String {
    let shown: String = e
        .loader_output
        .lines()
        .filter(|l| !l.starts_with("stages:") && !l.starts_with("verdict at"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut s = format!("```\n{shown}");
    if !e.relocations.is_empty() {
        s += &format!("failing relocations:\n  {}\n", e.relocations.join("\n  "));
    }
    if let Some(d) = &e.disassembly {
        s += &format!("instruction:\n  {}\n", d.trim_end().replace('\n', "\n  "));
    }
    let secs: Vec<String> = e.exec_sections.iter().map(|(n, sz)| format!("{n} ({sz:#x} bytes)")).collect();
    s += &format!("exec sections: {}\n```\n", secs.join(", "));
    s
}

/// The report in `audience`'s terms.
pub fn render(t: &TriageReport, audience: Audience) -> String {
    let r = t.reduced.as_ref();
    let mut s = format!("# {}\n\n", title(t, audience, r));
    // Versions.
    let (bad, good) = match (&t.release, r) {
        (Some(rel), _) => (
            format!("{} {} ({})", rel.family, rel.first_bad, rel.first_bad_toolchain),
            Some(format!("{} {}", rel.family, rel.last_good)),
        ),
        (None, Some(r)) => (r.to_cell.clone(), r.from_cell.clone()),
        (None, None) => (
            t.kernel.as_ref().map(|k| k.bad_cell.clone()).unwrap_or_default(),
            t.kernel.as_ref().and_then(|k| k.good_cell.clone()),
        ),
    };
    s += &format!("**Affected:** {bad}  \n**Unaffected:** {}\n\n", good.unwrap_or_else(|| "none seen".into()));
    if let Some(r) = r {
        s += &format!(
            "## Reproducer ({} lines)\n\n```c\n{}```\n\n## Commands\n\n",
            r.reproducer_c.lines().count(),
            r.reproducer_c
        );
        s += &crate::triage::plain_commands(r);
        s += "## Expected\n\n";
        match &r.good_evidence {
            Some(g) => {
                s += &format!(
                    "As {} builds it:\n\n{}\n",
                    r.from_cell.as_deref().unwrap_or("the good cell"),
                    evidence_block(g)
                )
            }
            None => s += "No cell builds it without the problem.\n\n",
        }
        s += &format!("## Actual\n\nAs {} builds it:\n\n{}\n", r.to_cell, evidence_block(&r.evidence));
    } else if let Some(k) = &t.kernel {
        s += &format!(
            "## Rebuild (Linux {}, {})\n\n```sh\n{}\n```\n\n## Actual\n\n```\n{}```\n\n",
            k.version,
            k.tree,
            k.bad_commands.join("\n"),
            k.loader_output
        );
    }
    s += "## First bad\n\n";
    if let Some(rel) = &t.release {
        s += &format!("- release: {} {} (last good {} {})\n", rel.family, rel.first_bad, rel.family, rel.last_good);
    }
    if let Some(c) = &t.commit {
        s += &format!("- commit: {} \"{}\"\n", c.commit, c.subject);
    }
    if let Some(p) = &t.pass {
        s += &format!("- pass: {}\n", p.sentence());
    }
    if let Some(f) = &t.flags {
        s += &format!("- flag: {} ({} → {}, {})\n", f.culprit.join(", "), f.good_config, f.bad_config, f.toolchain);
    }
    if audience == Audience::Kernel {
        match &t.flags {
            Some(f) => s += &format!("\n## Fix in the purgatory\n\nIn arch/x86/purgatory/Makefile, {}.\n", f.changes.iter().map(makefile_fix).collect::<Vec<_>>().join("; ")),
            None => s += "\nNo flag of the purgatory's set is to blame: the same flags build a good object with the unaffected toolchain.\n",
        }
    }
    let e = r.map(|r| &r.evidence);
    if let Some(e) = e.filter(|e| e.failing_address.is_some()) {
        s += &format!(
            "\n**Kernel impact:** the {} loader, loading the purgatory at {:#x}: {}\n",
            e.profile_name(),
            e.failing_address.unwrap_or(0),
            loader_says(e)
        );
    } else if let Some(k) = &t.kernel {
        s += &format!(
            "\n**Kernel impact:** {}\n",
            k.loader_output.lines().find(|l| !l.trim().is_empty() && !l.starts_with('$')).unwrap_or("").trim()
        );
    }
    s
}

/// Writes `upstream.md` into the finding.
pub fn write(dir: &Path, t: &TriageReport, audience: Audience) -> Result<(), crate::Error> {
    let path = dir.join("upstream.md");
    kreloc_campaign::store::write_atomically(&path, render(t, audience).as_bytes())
        .map_err(|e| crate::Error::file(&path, e))
}
