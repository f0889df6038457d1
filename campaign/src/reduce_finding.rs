//! `kreloc reduce FINDING`: shrink a finding's program while the cells that disagreed keep disagreeing
//! the same way, recompiling only those cells.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use kreloc_gen::{Edit, Program};

use crate::examine::{Cell, Class, Examined, Examiner};
use crate::reduce::{reduce, ReduceStats, Reducible};

impl Reducible for Program {
    type Edit = Edit;
    fn candidates(&self) -> Vec<Edit> {
        self.reduction_candidates()
    }
    fn apply(&self, e: &Edit) -> Option<Program> {
        Program::apply(self, e)
    }
    fn size(&self) -> usize {
        Program::size(self)
    }
}

/// What the reduction produced.
#[derive(Debug, Clone, Serialize)]
pub struct Reduced {
    pub stats: ReduceStats,
    pub c_lines_before: usize,
    pub c_lines_after: usize,
    /// The cells kept in the interestingness test, with the class each must keep.
    pub cells: Vec<(String, Class)>,
    pub compile_command: String,
    pub check_output: String,
    pub site: Option<String>,
}

fn read_json<T: serde::de::DeserializeOwned>(dir: &Path, name: &str) -> Result<T, String> {
    let bytes = std::fs::read(dir.join(name)).map_err(|e| format!("{}: {e}", dir.join(name).display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", dir.join(name).display()))
}

/// Reduces the finding in `dir`, writing `reduced.c`, `reduced.rs`, `reduced.json` and `reduce.md` into it.
pub fn reduce_finding(dir: &Path, examiner_for: impl Fn(Vec<Cell>) -> Examiner, max_tests: usize) -> Result<Reduced, String> {
    let start = Instant::now();
    let program: Program = read_json(dir, "program.json")?;
    let cells: Vec<Cell> = read_json(dir, "cells.json")?;
    let examined: Examined = read_json(dir, "verdicts.json")?;
    // One representative per behaviour group: those are the toolchains involved.
    let reps: Vec<(String, Class)> = examined.groups.iter().filter_map(|(class, labels)| labels.first().map(|l| (l.clone(), class.clone()))).collect();
    if reps.is_empty() {
        return Err(format!("{}: the finding has no behaviour groups", dir.display()));
    }
    let involved: Vec<Cell> = reps.iter().filter_map(|(l, _)| cells.iter().find(|c| c.label() == *l).cloned()).collect();
    let examiner = examiner_for(involved);
    let keeps = |q: &Program| {
        let ex = examiner.examine(q);
        let want_wrong_only = reps.len() == 1;
        reps.iter().all(|(label, class)| ex.cells.iter().find(|c| c.cell == *label).is_some_and(|c| c.class(ex.expected_checksum) == *class)) && (want_wrong_only || ex.groups.len() > 1)
    };
    if !keeps(&program) {
        return Err("the finding does not reproduce with these toolchains".into());
    }
    let (small, stats) = reduce(program.clone(), keeps, max_tests);
    let final_ex = examiner.examine(&small);
    let bad = final_ex.cells.iter().find(|c| c.signature.as_ref().is_some_and(|s| s.loads.values().any(|ok| !ok))).or(final_ex.cells.first());
    let (mut compile_command, mut check_output, mut site) = (String::new(), String::new(), None);
    if let Some(cell) = bad {
        compile_command = cell.commands.join(" && ");
        if let (Some(obj), Some(profile)) = (cell.object.as_ref().and_then(|o| kreloc_oracle::parse(o).ok()), examiner.judge.profiles.first()) {
            let at = examiner.judge.addresses.iter().copied().find(|&a| !kreloc_oracle::load(&obj, &**profile, a).ok).unwrap_or(examiner.judge.addresses[0]);
            let v = kreloc_oracle::load(&obj, &**profile, at);
            check_output = format!("$ kreloc check purgatory.ro --profile {} --at {at:#x}\n{}", profile.name(), kreloc_oracle::report::verdict_text(&v, None));
            site = v.first_failed_relocation().and_then(|r| crate::finding::site(&obj, &r.section, r.offset, r.type_name));
        }
    }
    let c_small = kreloc_gen::emit_c(&small);
    let reduced = Reduced {
        stats: ReduceStats { elapsed: start.elapsed(), ..stats },
        c_lines_before: kreloc_gen::emit_c(&program).lines().count(),
        c_lines_after: c_small.lines().count(),
        cells: reps,
        compile_command,
        check_output,
        site,
    };
    let md = format!(
        "# Reduced reproducer\n\nReduced from {} to {} AST nodes ({} to {} lines of C) in {:.1}s with {} interestingness tests.\n\nCells kept: {}\n\n```sh\n{}\n```\n\n```\n{}{}```\n\n```c\n{}```\n",
        reduced.stats.size_before,
        reduced.stats.size_after,
        reduced.c_lines_before,
        reduced.c_lines_after,
        reduced.stats.elapsed.as_secs_f64(),
        reduced.stats.tests,
        reduced.cells.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>().join(", "),
        reduced.compile_command,
        reduced.check_output,
        reduced.site.clone().unwrap_or_default(),
        c_small
    );
    let write = |name: &str, bytes: &[u8]| crate::store::write_atomically(&dir.join(name), bytes).map_err(|e| e.to_string());
    write("reduced.c", c_small.as_bytes())?;
    write("reduced.rs", kreloc_gen::emit_rust(&small).as_bytes())?;
    write("reduced.json", &serde_json::to_vec_pretty(&small).unwrap_or_default())?;
    write("reduce.md", md.as_bytes())?;
    Ok(reduced)
}
