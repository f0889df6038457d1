//! The files of a finding: one program's sources, commands, objects, verdicts and report, and the
//! root cause's summary report.

use std::fmt::Write;

use kreloc_gen::Program;

use crate::examine::{Examined, Examiner};
use crate::store::Summary;

/// A file-name-safe version of a cell label.
pub fn file_name(label: &str) -> String {
    label.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect()
}

/// How the campaign judged (so triage and kbisect judge a finding the same way).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct JudgeFile {
    pub profiles: Vec<kreloc_oracle::ProfileId>,
    pub addresses: Vec<u64>,
    /// The relocated code was run.
    pub exec: bool,
}

impl JudgeFile {
    pub fn of(examiner: &Examiner) -> JudgeFile {
        JudgeFile {
            profiles: examiner.judge.profiles.iter().map(|p| p.id()).collect(),
            addresses: examiner.judge.addresses.clone(),
            exec: examiner.judge.executor.is_some(),
        }
    }
}

/// The files of one program of a finding (stored under `programs/<id>/`).
pub fn program_files(p: &Program, ex: &Examined, examiner: &Examiner, fingerprint: &str) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![
        ("program.c".to_string(), kreloc_gen::emit_c(p).into_bytes()),
        ("program.rs".to_string(), kreloc_gen::emit_rust(p).into_bytes()),
        ("program.json".to_string(), serde_json::to_vec_pretty(p).unwrap_or_default()),
        ("verdicts.json".to_string(), serde_json::to_vec_pretty(ex).unwrap_or_default()),
        ("cells.json".to_string(), serde_json::to_vec_pretty(&examiner.cells).unwrap_or_default()),
        ("judge.json".to_string(), serde_json::to_vec_pretty(&JudgeFile::of(examiner)).unwrap_or_default()),
    ];
    let mut commands = String::new();
    for c in &ex.cells {
        let _ = writeln!(commands, "# {}\n{}\n", c.cell, c.commands.join("\n"));
        if let Some(o) = &c.object {
            files.push((format!("objects/{}.o", file_name(&c.cell)), o.clone()));
        }
    }
    files.push(("commands.txt".to_string(), commands.into_bytes()));
    files.push(("report.md".to_string(), report(p, ex, examiner, fingerprint).into_bytes()));
    files
}

/// The root cause's report: what changed along which axis, how often, where, and the smallest programs.
pub fn summary_report(s: &Summary, smallest_report: Option<&str>) -> String {
    let mut out = format!("# kreloc finding {}: {}\n\n", s.fingerprint, s.title);
    let kind = if s.config_only {
        "a property of the config (every judged toolchain shows it), not a toolchain regression"
    } else {
        "a divergence along one axis"
    };
    let _ = writeln!(out, "- root cause: {kind}");
    let _ = writeln!(
        out,
        "- programs: {} ({} sightings), first seen {}, last seen {} (unix seconds)",
        s.programs, s.sightings, s.first_seen, s.last_seen
    );
    let smallest: Vec<String> =
        s.smallest.iter().map(|(id, size)| crate::store::describe_program(s, id, *size)).collect();
    let _ = writeln!(out, "- smallest: {}", smallest.join(", "));
    if !s.symptoms.is_empty() {
        let symptoms: Vec<String> = s.symptoms.iter().map(|(kind, n)| format!("{kind} ({n})")).collect();
        let _ = writeln!(out, "- symptoms (programs): {}", symptoms.join(", "));
    }
    if let Some((fp, title)) = &s.superseded_by {
        let _ = writeln!(out, "- superseded by {fp}: {title} (this store predates that kind of cause)");
    }
    let _ = writeln!(out, "- cause: `{}`\n\n## Cells\n", serde_json::to_string(&s.cause).unwrap_or_default());
    for c in &s.cells {
        let _ = writeln!(out, "- {} → {} ({})", c.from.as_deref().unwrap_or("—"), c.to, c.context);
    }
    out += if !s.smallest.is_empty() && s.smallest.len() == s.kernel_trees.len() {
        "\nTriage: `kreloc triage` on this directory rebuilds the kernel tree to name the culprit flag or release.\n"
    } else {
        "\nTriage: `kreloc triage` on this directory reduces the smallest program and bisects the step.\n"
    };
    if let Some(r) = smallest_report {
        // The program report's headings, one level down.
        out += "\n## The smallest program\n\n";
        out += &r
            .lines()
            .skip(1)
            .map(|l| if l.starts_with('#') { format!("#{l}") } else { l.to_string() })
            .collect::<Vec<_>>()
            .join("\n");
        out.push('\n');
    }
    out
}

/// The Markdown report: groups of cells that behave alike, and what the oracle says for each.
pub fn report(p: &Program, ex: &Examined, examiner: &Examiner, fingerprint: &str) -> String {
    let mut s = format!("# kreloc finding {fingerprint}\n\nThe same program ({} AST nodes; constructs: {}) compiled across the matrix behaves differently under the oracle.\n", p.size(), p.features().join(", "));
    let _ = writeln!(s, "Expected checksum of `kreloc_entry`: `{:#x}`.\n", ex.expected_checksum);
    for (i, (class, cells)) in ex.groups.iter().enumerate() {
        let _ = writeln!(s, "## Group {} — {}\n", i + 1, cells.join(", "));
        let runs: Vec<String> = class.runs.iter().map(|(at, r)| format!("{at:#x}: {r}")).collect();
        let _ = writeln!(
            s,
            "- compile: {}\n- whole load: {:?}\n- window: {:?}\n- runs: {}\n- warnings: [{}]\n",
            class.compile,
            class.loads,
            class.window,
            runs.join(", "),
            class.warnings.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
        );
        if let Some(text) = cells.first().and_then(|c| oracle_text(ex, examiner, c)) {
            let _ = writeln!(s, "```\n{text}```\n");
        }
    }
    s
}

/// `kreloc check`-style output for a cell's object at the first address, plus the first failing site.
fn oracle_text(ex: &Examined, examiner: &Examiner, label: &str) -> Option<String> {
    let cell = ex.cells.iter().find(|c| c.cell == label)?;
    let obj = kreloc_oracle::parse(cell.object.as_ref()?).ok()?;
    let profile = examiner.judge.profiles.first()?;
    let at = *examiner
        .judge
        .addresses
        .iter()
        .find(|&&a| !kreloc_oracle::load(&obj, &**profile, a).ok)
        .or(examiner.judge.addresses.first())?;
    let v = kreloc_oracle::load(&obj, &**profile, at);
    let mut text = format!("$ kreloc check {}.o --profile {} --at {at:#x}\n", file_name(label), profile.name());
    text += &kreloc_oracle::report::verdict_text(&v, None);
    if let Some(r) = v.first_failed_relocation() {
        text += &site(&obj, &r.section, r.offset, r.type_name).unwrap_or_default();
    }
    Some(text)
}

/// The instruction at a relocation site, decoded.
pub fn site(obj: &kreloc_oracle::Object, section: &str, offset: u64, type_name: &str) -> Option<String> {
    let sec = obj.sections.iter().find(|s| obj.name_of(s) == section && s.is_exec())?;
    let insn = kreloc_exec::scan::instruction_at(obj.data(sec), 0, offset)?;
    Some(format!(
        "site: {section}+{:#x}: {}   {}\n  {}\n",
        insn.offset,
        insn.bytes_hex,
        insn.text,
        kreloc_exec::scan::explain(&insn, type_name)
    ))
}
