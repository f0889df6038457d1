//! The report as one self-contained HTML page: inline CSS, no scripts, no network resources.

use std::fmt::Write;

use super::{cell_lines, Cause, MatrixCell, Numbers, Report};

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d232a;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ccd}
table{border-collapse:collapse}th,td{padding:4px 8px;border:1px solid #d5d9e0;text-align:left;vertical-align:top}
th{background:#eef1f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
table.matrix td.cell{text-align:center;min-width:120px;font-variant-numeric:tabular-nums}
td.cell b{font-size:16px}td.cell small{color:#333}td.unjudged{background:#e3e3e3;color:#555}
tr.step td{background:#fff4d6;border-left:4px solid #e0a000;font-size:12px}
.legend span{display:inline-block;padding:2px 8px;margin-right:4px;border:1px solid #ccd}
section.cause{border:1px solid #d5d9e0;border-radius:6px;padding:8px 14px;margin:12px 0}
pre{background:#f6f8fa;padding:8px;overflow:auto;max-height:420px;font-size:12px}
.muted{color:#667}a{color:#0b5cad}
";

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Red (0) to green (1).
fn heat(share: f64) -> String {
    format!("hsl({:.0},70%,{:.0}%)", share.clamp(0.0, 1.0) * 120.0, 78.0 + 8.0 * share)
}

/// `YYYY-MM-DD HH:MM` UTC of unix seconds.
pub fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let (h, m) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{m:02}")
}

pub fn render(r: &Report) -> String {
    let mut h = String::new();
    let _ = write!(h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>kreloc campaign report</title><style>{STYLE}</style></head><body>\n");
    let n = &r.campaign;
    let _ = writeln!(
        h,
        "<h1>kreloc campaign report</h1><p class=\"muted\">{} programs × {} cells, {} root causes · store <code>{}</code></p>",
        n.programs,
        n.cells,
        r.causes.len(),
        esc(&r.store)
    );
    matrix(&mut h, r);
    causes(&mut h, &r.causes);
    numbers(&mut h, n);
    h += "</body></html>\n";
    h
}

fn cell_td(c: &MatrixCell) -> String {
    let attrs = format!(
        "class=\"cell{}\" data-toolchain=\"{}\" data-config=\"{}\"",
        if c.share.is_none() { " unjudged" } else { "" },
        esc(&c.toolchain),
        esc(&c.config)
    );
    let nj = if c.counts.not_judged > 0 { format!(" · {} not judged", c.counts.not_judged) } else { String::new() };
    match c.share {
        Some(s) => format!(
            "<td {attrs} style=\"background:{}\"><b>{:.0}%</b><br><small>{}/{} load whole and run right{nj}</small><br><small class=\"reloc\">relocate and run right: {:.0}%</small></td>",
            heat(s),
            s * 100.0,
            c.counts.good,
            c.counts.judged(),
            c.relocation_share.unwrap_or(0.0) * 100.0
        ),
        None => format!("<td {attrs}><b>—</b><br><small>{} not judged</small></td>", c.counts.not_judged),
    }
}

fn matrix(h: &mut String, r: &Report) {
    let m = &r.matrix;
    *h += "<h2 id=\"matrix\">Toolchain × config</h2>\n<p class=\"muted\">Share of judged programs whose <b>whole load</b> succeeds at every tested address under every profile (the loader relocates the object, then its symbol steps and digest writes pass: <code>entry64_regs</code>, <code>stack_end</code>, the sha regions and digest, and kexec-tools' own) and that run right (a WARN alone, such as a second exec section, does not count against it: it is listed with the root causes). \
           Below it, the relocation-only share: relocated and ran right, whatever the symbol steps did. \
           Programs that could not be judged in a cell (config not expressible, tool missing, address not mappable) are counted apart. \
           <span style=\"background:#fff4d6;padding:0 4px\">Yellow rows</span> mark adjacent releases of a family that diverge.</p>\n";
    *h += "<table class=\"matrix\"><tr><th>toolchain</th>";
    for c in &m.configs {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    *h += "</tr>\n";
    for (i, row) in m.rows.iter().enumerate() {
        if let Some(step) = m.steps.iter().find(|s| s.to == row.toolchain && i > 0 && m.rows[i - 1].toolchain == s.from)
        {
            if !step.diverging_configs.is_empty() || !step.causes.is_empty() {
                let links: Vec<String> = step
                    .causes
                    .iter()
                    .filter_map(|fp| r.causes.iter().find(|c| &c.summary.fingerprint == fp))
                    .map(|c| format!("<a href=\"#cause-{}\">{}</a>", esc(&c.summary.fingerprint), esc(&c.change_title)))
                    .collect();
                let _ = writeln!(
                    h,
                    "<tr class=\"step\" data-from=\"{}\" data-to=\"{}\"><td colspan=\"{}\">▼ {} → {} diverges{}{}</td></tr>",
                    esc(&step.from),
                    esc(&step.to),
                    m.configs.len() + 1,
                    esc(&step.from),
                    esc(&step.to),
                    if step.diverging_configs.is_empty() { String::new() } else { format!(" at {}", esc(&step.diverging_configs.join(", "))) },
                    if links.is_empty() { String::new() } else { format!(": {}", links.join("; ")) }
                );
            }
        }
        let _ = write!(h, "<tr><th>{}</th>", esc(&row.toolchain));
        for c in m.cells.iter().filter(|c| c.toolchain == row.toolchain) {
            *h += &cell_td(c);
        }
        *h += "</tr>\n";
    }
    *h += "</table>\n";
}

fn causes(h: &mut String, causes: &[Cause]) {
    let _ = writeln!(h, "<h2 id=\"causes\">Root causes ({}), newest first</h2>", causes.len());
    if causes.is_empty() {
        *h += "<p>No root cause: every judged cell agreed on every program.</p>\n";
        return;
    }
    *h += "<table class=\"causes\"><tr><th>first seen (UTC)</th><th>change</th><th>axis step</th><th>programs</th><th>first bad</th><th></th></tr>\n";
    for c in causes {
        let s = &c.summary;
        let first_bad = c.triage.as_ref().map(|t| {
            let flags = t.culprit_flags.as_ref().map(|f| format!("flag {f}"));
            [t.first_bad_release.clone(), t.first_bad_commit.clone().map(|x| x.chars().take(12).collect()), flags]
                .into_iter()
                .flatten()
                .collect::<Vec<String>>()
                .join(", ")
        });
        let _ = writeln!(
            h,
            "<tr class=\"cause-row\" data-fingerprint=\"{fp}\"><td>{}</td><td>{}</td><td>{}{}</td><td class=\"num\">{}</td><td>{}</td><td><a href=\"#cause-{fp}\">details</a></td></tr>",
            utc(s.first_seen),
            esc(&c.change_title),
            esc(&c.step_title),
            if s.config_only { " <small>(config property)</small>" } else { "" },
            s.programs,
            esc(&first_bad.filter(|f| !f.is_empty()).unwrap_or_else(|| "not triaged".into())),
            fp = esc(&s.fingerprint)
        );
    }
    *h += "</table>\n";
    for c in causes {
        detail(h, c);
    }
}

fn detail(h: &mut String, c: &Cause) {
    let s = &c.summary;
    let _ = writeln!(h, "<section class=\"cause\" id=\"cause-{}\"><h3>{}</h3>", esc(&s.fingerprint), esc(&s.title));
    let _ = writeln!(
        h,
        "<p><code>{}</code> · {} programs, {} sightings · first seen {}, last seen {}{}</p>",
        esc(&s.fingerprint),
        s.programs,
        s.sightings,
        utc(s.first_seen),
        utc(s.last_seen),
        if s.config_only { " · a property of the config, not a toolchain regression" } else { "" }
    );
    if !s.symptoms.is_empty() {
        let symptoms: Vec<String> = s.symptoms.iter().map(|(kind, n)| format!("{} ({n})", esc(kind))).collect();
        let _ = writeln!(h, "<p>symptoms (programs): {}</p>", symptoms.join(", "));
    }
    if let Some((fp, title)) = &s.superseded_by {
        let _ = writeln!(h, "<p>superseded by <a href=\"#cause-{fp}\"><code>{fp}</code></a> {} (this store predates that kind of cause)</p>", esc(title), fp = esc(fp));
    }
    if let Some(t) = &c.triage {
        let _ = writeln!(h, "<p><b>Triage:</b> {}</p>", esc(t.summary.as_deref().unwrap_or("")));
        if let (Some(commit), subject) = (&t.first_bad_commit, &t.subject) {
            let _ = writeln!(
                h,
                "<p>first bad commit <code>{}</code> {}</p>",
                esc(commit),
                esc(subject.as_deref().unwrap_or(""))
            );
        }
    }
    let smallest: Vec<String> =
        s.smallest.iter().map(|(id, size)| crate::store::describe_program(s, id, *size)).collect();
    let _ = writeln!(h, "<p>smallest programs: {}</p>", esc(&smallest.join(", ")));
    let _ = writeln!(
        h,
        "<details><summary>cells ({})</summary><pre>{}</pre></details>",
        s.cells.len(),
        esc(&cell_lines(&s.cells).join("\n"))
    );
    for (i, (name, text)) in c.details.iter().enumerate() {
        let _ = writeln!(
            h,
            "<details{}><summary>{}</summary><pre>{}</pre></details>",
            if i == 0 { " open" } else { "" },
            esc(name),
            esc(text)
        );
    }
    *h += "</section>\n";
}

fn numbers(h: &mut String, n: &Numbers) {
    *h += "<h2 id=\"numbers\">Campaign</h2>\n<table class=\"numbers\">";
    let _ = writeln!(
        h,
        "<tr><th>programs</th><td class=\"num\">{}</td></tr><tr><th>cells</th><td class=\"num\">{} ({} cell results)</td></tr><tr><th>compiles</th><td class=\"num\">{} ({:.1}/s)</td></tr><tr><th>cache hits</th><td class=\"num\">{}</td></tr><tr><th>wall time</th><td class=\"num\">{:.1} s</td></tr></table>",
        n.programs,
        n.cells,
        n.cell_results,
        n.compiles,
        n.compiles_per_sec,
        n.cache_hits,
        n.wall_ms as f64 / 1000.0
    );
    *h += "<table class=\"shards\"><tr><th>shard</th><th>programs</th><th>compiles</th><th>compiles/s</th><th>cache hits</th><th>busy</th></tr>\n";
    for s in &n.shards {
        let _ = writeln!(
            h,
            "<tr class=\"shard\"><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td><td class=\"num\">{}</td><td class=\"num\">{:.1} s</td></tr>",
            esc(&s.shard),
            s.programs,
            s.compiles,
            s.compiles_per_sec,
            s.cache_hits,
            s.busy_ms as f64 / 1000.0
        );
    }
    *h += "</table>\n";
}
