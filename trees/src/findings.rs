//! Root causes of a tree's matrix: the campaign's attribution over the toolchain × flag-set cells, recorded in
//! the campaign's finding store (a cause a generated program already showed is one more sighting). The
//! "program" of such a sighting is the tree and the flag set; `kernel/<id>/` in the finding keeps what
//! rebuilds it (make commands, tree version, purgatory.ro objects, loader output) for `kreloc triage`.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use kreloc_campaign::attribute::{attribute, RootCause};
use kreloc_campaign::change::{object_facts, Change, Facts};
use kreloc_campaign::examine::CellId;
use kreloc_campaign::finding::file_name;
use kreloc_campaign::store::{write_dir_atomically, FindingStore, Recorded, Sighting};
use kreloc_exec::purgatory::PurgatoryRun;
use kreloc_toolchains::config::ConfigName;
use kreloc_toolchains::Toolchain;

use crate::run::{self, RunChange};
use crate::{Cells, Error, Row, Tree};

/// A root cause a tree's matrix stored.
#[derive(Debug, Clone, Serialize)]
pub struct Stored {
    pub fingerprint: String,
    pub title: String,
    /// First seen now (not by a campaign or an earlier run).
    pub new: bool,
    pub dir: PathBuf,
}

/// One cell of a kernel finding: enough to rebuild its purgatory.ro.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KernelCell {
    pub toolchain: Toolchain,
    /// `tree` or a named config.
    pub flag_set: ConfigName,
    /// The flags, as `kbisect flags` compares them (the tree's: its literal PURGATORY_CFLAGS).
    pub flags: Vec<String>,
    pub commands: Vec<String>,
    /// `objects/<file>` of this cell's purgatory.ro.
    pub object: String,
}

impl KernelCell {
    /// `gcc-12.2.0/kernel-2019`.
    pub fn id(&self) -> CellId {
        CellId { toolchain: self.toolchain.tool_id(), config: self.flag_set.clone() }
    }
}

/// `kernel/<id>/kernel.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KernelCase {
    pub tree: Tree,
    pub cause: RootCause,
    /// The cell without the problem (None for a problem no other cell lacks).
    pub from: Option<KernelCell>,
    pub to: KernelCell,
}

/// The typed facts of a purgatory.ro, as the campaign derives them, with its `purgatory()` run at each
/// address (with the digest the loader stores): a run's problem is a `RunFailed` change like a generated
/// program's, so it is attributed and bisected like any other. `runs` are runs already made (else they are
/// made here).
pub fn facts(
    bytes: &[u8],
    profile: &dyn kreloc_oracle::Profile,
    addresses: &[u64],
    runs: Option<&[PurgatoryRun]>,
) -> Option<Facts> {
    let obj = kreloc_oracle::parse(bytes).ok()?;
    let verdicts: Vec<kreloc_oracle::Verdict> =
        addresses.iter().map(|&at| kreloc_oracle::load(&obj, profile, at)).collect();
    let mut facts = object_facts(&obj, &verdicts, &[], 0);
    let made_here;
    let mut runs: Vec<&PurgatoryRun> = match runs {
        Some(made) => made.iter().collect(),
        None => {
            made_here = run::runs(&obj, profile, addresses);
            made_here.iter().collect()
        }
    };
    runs.sort_by_key(|r| r.load_addr);
    for r in runs {
        match run::change(r) {
            // One problem per kind of fault, at the lowest address that shows it (as a wrong checksum is):
            // a purgatory that fails the same way everywhere is one root cause, not one per address.
            RunChange::Problem(Change::RunFailed { at, fault }) => {
                if !facts.problems.iter().any(|p| matches!(p, Change::RunFailed { fault: f, .. } if *f == fault)) {
                    facts.problems.insert(Change::RunFailed { at, fault });
                }
            }
            RunChange::Problem(change) => {
                facts.problems.insert(change);
            }
            RunChange::Good => {}
            RunChange::NotJudged => facts.unjudged_at.push(r.load_addr),
        }
    }
    Some(facts)
}

/// Whether an object shows a root cause's change.
pub fn shows(facts: &Facts, change: &Change) -> bool {
    match change {
        Change::NewExecSection { sections } => sections.iter().all(|s| facts.exec_bases.contains(s)),
        c => facts.problems.contains(c),
    }
}

/// Attributes the judged cells' problems and records each root cause in the store at `out`.
pub fn record(out: &Path, cells: &Cells) -> Result<Vec<Stored>, Error> {
    let Cells { tree, rows } = cells;
    let profile = tree.profile.profile();
    let matrix: Vec<_> = rows.iter().map(|r| r.matrix_cell.clone()).collect();
    let facts: Vec<Option<Facts>> = rows
        .iter()
        .map(|r| r.object.as_deref().and_then(|b| facts(b, &*profile, &tree.addresses, Some(r.runs()))))
        .collect();
    let store = FindingStore::open(out, "kernel").map_err(Error::io(out))?;
    let size = source_lines(tree);
    // Attribution names cells by label; read each back as the typed id it is.
    let row = |label: &str| {
        let id: CellId = label.parse().ok()?;
        rows.iter().find(|r| r.matrix_cell.id() == id)
    };
    let mut stored = Vec::new();
    for d in attribute(&matrix, &facts) {
        let Some(pair) = d.cells.first() else { continue };
        let Some(to) = row(&pair.to) else { continue };
        let from = pair.from.as_deref().and_then(row);
        let id = file_name(&format!("{}-{}", tree.label(), to.matrix_cell.config_name));
        let sighting = Sighting::now(id.clone(), size, d.cells.clone());
        let recorded = store.record(&d.cause, &sighting, Vec::new).map_err(Error::io(out))?;
        let (new, dir) = match recorded {
            Recorded::New(dir) => (true, dir),
            Recorded::Seen(dir) => (false, dir),
        };
        write_case(&dir.join("kernel"), &id, tree, &d.cause, from, to, &*profile).map_err(Error::io(&dir))?;
        // report.md names the tree's directory, written only now.
        store.refresh_report(&d.cause.fingerprint()).map_err(Error::io(&dir))?;
        stored.push(Stored { fingerprint: d.cause.fingerprint(), title: d.cause.title(), new, dir });
    }
    Ok(stored)
}

/// Lines of the purgatory's sources in the tree: the size of this "program" beside generated ones.
fn source_lines(tree: &Tree) -> usize {
    tree.kind
        .sources(&tree.src)
        .into_iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|t| t.lines().count())
        .sum()
}

fn cell(row: &Row, tree: &Tree) -> KernelCell {
    let flags = match row.flags.named() {
        Some(n) => n.flags.iter().map(|f| f.to_string()).collect(),
        None => tree.kind.flags(&tree.src).unwrap_or_default(),
    };
    KernelCell {
        toolchain: row.matrix_cell.toolchain.clone(),
        flag_set: row.flags.clone(),
        flags,
        commands: row.commands.clone(),
        object: format!("{}.ro", file_name(&row.matrix_cell.label())),
    }
}

/// Writes `kernel/<id>/` once (a later run of the same tree and flag set finds it there).
fn write_case(
    parent: &Path,
    id: &str,
    tree: &Tree,
    cause: &RootCause,
    from: Option<&Row>,
    to: &Row,
    profile: &dyn kreloc_oracle::Profile,
) -> std::io::Result<()> {
    if parent.join(id).join("kernel.json").exists() {
        return Ok(());
    }
    let case =
        KernelCase { tree: tree.clone(), cause: cause.clone(), from: from.map(|r| cell(r, tree)), to: cell(to, tree) };
    let mut files = vec![("kernel.json".to_string(), serde_json::to_vec_pretty(&case).unwrap_or_default())];
    let mut report = format!(
        "# {}\n\nThe real purgatory of {} {} ({}), under {}.\n",
        cause.title(),
        tree.kind.name(),
        tree.version,
        tree.src.display(),
        tree.profile
    );
    let mut to_output = String::new();
    for (r, c) in from.iter().map(|r| (*r, case.from.as_ref())).chain([(to, Some(&case.to))]) {
        let Some(c) = c else { continue };
        if let Some(bytes) = &r.object {
            files.push((format!("objects/{}", c.object), bytes.clone()));
        }
        let output = loader_output(r, profile, &tree.addresses);
        let _ = write!(
            report,
            "\n## {} ({})\n\n```sh\n{}\n```\n\n```\n{output}```\n",
            r.matrix_cell.label(),
            if std::ptr::eq(r, to) { "shows it" } else { "does not" },
            c.commands.join("\n")
        );
        if std::ptr::eq(r, to) {
            to_output = output;
        }
    }
    files.push(("loader.txt".to_string(), to_output.into_bytes()));
    files.push(("report.md".to_string(), report.into_bytes()));
    write_dir_atomically(parent, id, &files)
}

/// What the loader prints for a cell's object at every address, and how its run there ended, as
/// `kreloc check --run` prints them.
pub fn loader_output(row: &Row, profile: &dyn kreloc_oracle::Profile, addresses: &[u64]) -> String {
    let Some(obj) = row.object.as_deref().and_then(|b| kreloc_oracle::parse(b).ok()) else {
        return "not built\n".into();
    };
    let run_flag = if row.runs().is_empty() { "" } else { " --run" };
    addresses
        .iter()
        .map(|&at| {
            let verdict = kreloc_oracle::report::verdict_text(&kreloc_oracle::load(&obj, profile, at), None);
            let run = row.runs().iter().find(|r| r.load_addr == at).map(run::text).unwrap_or_default();
            format!(
                "$ kreloc check {}.ro{run_flag} --profile {} --at {at:#x}\n{verdict}{run}",
                file_name(&row.matrix_cell.label()),
                profile.name()
            )
        })
        .collect()
}
