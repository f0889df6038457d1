//! Attribution along one axis: every problem of a cell is blamed on exactly one step between cells that
//! differ in one thing (a release of one family, a config, C vs Rust emission), so one cause is never
//! restated by another root cause. Cells that were not judged take part in no comparison.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use kreloc_toolchains::config::CompileConfig;
use kreloc_toolchains::identity::Kind;
use kreloc_toolchains::{Family, Language, Toolchain};

use crate::change::{explain, Change, Facts, Symptom};
use crate::examine::Cell;
use crate::signature::short_hash;

/// The axis step a change is blamed on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "axis")]
pub enum Step {
    /// Adjacent judged releases of one family at a fixed config.
    Release { family: Family, from: u32, to: u32 },
    /// A config, at a fixed toolchain: the same toolchain under another config does not show it. When more
    /// than half of the judged toolchains show it under this config (every one, in the clear case), it is a
    /// property of the config rather than a toolchain regression, and wins over the release axis.
    Config { config: String },
    /// The oldest release of a family in the matrix shows it; the next judged one at the same config does
    /// not (a fix, not a regression).
    FixedIn { family: Family, from: u32, to: u32 },
    /// C vs Rust emission at a fixed config.
    Language { from: Emission, to: Emission },
    /// Every judged release of a family shows it under every judged config; other families don't.
    Family { family: Family },
    /// A compiler given by path (named by its path's last components and the version it reports) shows
    /// it; `release`, the release it reports being (or the nearest of its family), does not.
    PathVs { path: String, version: String, release: String },
    /// No step explains it and not every release of the family shows it: named by the first toolchain
    /// showing it.
    Toolchain { toolchain: String },
    /// Two builds of one release at a fixed config (e.g. Debian's clang-19 beside zig's LLVM 19): the build
    /// `to` shows it, `from` does not. A `path:` compiler is `PathVs` instead.
    Build { family: Family, release: u32, from: String, to: String },
    /// Every judged cell runs it wrong: a property of the program (or a bug of the generator or oracle).
    /// Loader problems every cell shares are no divergence and no finding.
    Everywhere,
}

impl Step {
    pub fn title(&self) -> String {
        match self {
            Step::Release { family, from, to } => format!("{family} {from} → {to}"),
            Step::Config { config } => format!("config {config}"),
            Step::FixedIn { family, from, to } => format!("{family} {from} → {to} fixes it"),
            Step::Language { from, to } => format!("{from:?} → {to:?} emission"),
            Step::Family { family } => format!("{family} (every release and config)"),
            Step::PathVs { path, version, release } => format!("path {path} ({version}) vs {release}"),
            Step::Toolchain { toolchain } => toolchain.clone(),
            Step::Build { family, release, from, to } => format!("{family} {release}: {from} → {to}"),
            Step::Everywhere => "every cell".into(),
        }
    }
}

/// Which front end emitted the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Emission {
    C,
    Rust,
}

fn emission(c: &Cell) -> Emission {
    match c.language() {
        Language::C => Emission::C,
        Language::Rust => Emission::Rust,
    }
}

/// A root cause: the change and the axis step, nothing else (no message text, no program, no grouping).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RootCause {
    pub step: Step,
    pub change: Change,
}

impl RootCause {
    /// The stable id: a hash of the typed (step, change).
    pub fn fingerprint(&self) -> String {
        short_hash(&serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn title(&self) -> String {
        format!("{} — {}", self.step.title(), self.change.title())
    }
}

/// Two cells of one divergence: `from` lacks the problem `to` shows; `context` is what they share.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CellPair {
    pub from: Option<String>,
    pub to: String,
    pub context: String,
    /// Every judged toolchain showed it under `to`'s config (config steps).
    #[serde(default)]
    pub every_toolchain: bool,
}

/// One root cause seen in one program, with the cells that show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Divergence {
    pub cause: RootCause,
    pub cells: Vec<CellPair>,
    /// For code that runs wrong: how each showing cell's runs went wrong (per cell label).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub symptoms: BTreeMap<String, Vec<Symptom>>,
}

/// How many flags one config has that the other lacks, both ways.
fn flag_distance(a: &CompileConfig, b: &CompileConfig) -> usize {
    let (a, b): (BTreeSet<String>, BTreeSet<String>) =
        (a.c_flags().into_iter().collect(), b.c_flags().into_iter().collect());
    a.symmetric_difference(&b).count()
}

fn release(c: &Cell) -> u32 {
    c.toolchain.version.major()
}

fn is_path(c: &Cell) -> bool {
    c.toolchain.kind == Kind::Path
}

/// `corrupting/gcc`: a path toolchain's last two path components (no machine-specific prefix).
pub fn path_name(tc: &Toolchain) -> String {
    let parts: Vec<String> = tc
        .exe
        .components()
        .filter(|c| matches!(c, std::path::Component::Normal(_)))
        .rev()
        .take(2)
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.into_iter().rev().collect::<Vec<_>>().join("/")
}

/// A toolchain as steps name it: `gcc-12.2.0`, or `path corrupting/gcc (12.2.0)`.
fn toolchain_name(tc: &Toolchain) -> String {
    if tc.kind == Kind::Path {
        format!("path {} ({})", path_name(tc), tc.version)
    } else {
        tc.id()
    }
}

/// Another build of `y`'s release (same family, language and config) among `candidates` that `lacks` the
/// problem: the most specific "before" there is.
fn same_release_build(cells: &[Cell], candidates: &[usize], y: usize, lacks: impl Fn(usize) -> bool) -> Option<usize> {
    let cy = &cells[y];
    candidates.iter().copied().find(|&i| {
        let c = &cells[i];
        // A path compiler is no release: it is compared with the release it reports being (`PathVs`).
        i != y
            && !is_path(c)
            && c.toolchain != cy.toolchain
            && c.toolchain.family == cy.toolchain.family
            && release(c) == release(cy)
            && c.language() == cy.language()
            && lacks(i)
    })
}

/// Blames every problem of every judged cell on one step. `facts[i]` is `None` for a cell not judged.
pub fn attribute(cells: &[Cell], facts: &[Option<Facts>]) -> Vec<Divergence> {
    let judged: Vec<usize> = (0..cells.len().min(facts.len())).filter(|&i| facts[i].is_some()).collect();
    let f = |i: usize| facts[i].as_ref().expect("judged cells have facts");
    // Judged at p's address and without p: the cell can serve as the "before" of a step.
    let lacks = |i: usize, p: &Change| -> Option<bool> {
        let fi = f(i);
        if p.address().is_some_and(|a| fi.unjudged_at.contains(&a)) {
            return None;
        }
        Some(!fi.problems.contains(p))
    };
    let mut found: BTreeMap<RootCause, Vec<CellPair>> = BTreeMap::new();
    for &y in &judged {
        let cy = &cells[y];
        for p in &f(y).problems {
            let comparable: Vec<usize> = judged.iter().copied().filter(|&i| lacks(i, p).is_some()).collect();
            let pair = |from: Option<usize>, context: String| CellPair {
                from: from.map(|i| cells[i].label()),
                to: cy.label(),
                context,
                every_toolchain: false,
            };
            let change_from = |x: usize| explain(p, f(x), f(y)).unwrap_or_else(|| p.clone());
            if comparable.iter().all(|&i| lacks(i, p) == Some(false)) {
                // Not a divergence: only code that runs wrong in every cell (the generator's or the
                // oracle's bug) is still worth a finding.
                if !p.runs_wrong() {
                    continue;
                }
                found
                    .entry(RootCause { step: Step::Everywhere, change: p.clone() })
                    .or_default()
                    .push(pair(None, "every judged cell".into()));
                continue;
            }
            let same_config: Vec<usize> =
                comparable.iter().copied().filter(|&i| cells[i].config_name == cy.config_name).collect();
            let showing = same_config.iter().filter(|&&i| lacks(i, p) == Some(false)).count();
            let every = showing == same_config.len();
            // The same toolchain under another config without p is the "before" of a config step: the
            // config with the fewest flags changed, so that the step names the most specific culprit.
            let other_config = comparable
                .iter()
                .copied()
                .filter(|&i| {
                    cells[i].toolchain == cy.toolchain
                        && cells[i].config_name != cy.config_name
                        && lacks(i, p) == Some(true)
                })
                .min_by_key(|&i| flag_distance(&cells[i].config, &cy.config));
            if every || (2 * showing > same_config.len() && other_config.is_some()) {
                let other = comparable.iter().copied().filter(|&i| lacks(i, p) == Some(true));
                let before = other_config.or(other.clone().next());
                let change = before.map_or_else(|| p.clone(), change_from);
                let context = if every {
                    format!("every toolchain at {}", cy.config_name)
                } else {
                    format!("{showing} of {} toolchains at {}", same_config.len(), cy.config_name)
                };
                found
                    .entry(RootCause { step: Step::Config { config: cy.config_name.clone() }, change })
                    .or_default()
                    .push(CellPair { every_toolchain: every, ..pair(before, context) });
                continue;
            }
            if is_path(cy) {
                // The release it reports being, else the nearest release of its family, at the same config.
                let release_cell = same_config
                    .iter()
                    .copied()
                    .filter(|&i| {
                        !is_path(&cells[i])
                            && cells[i].toolchain.family == cy.toolchain.family
                            && cells[i].language() == cy.language()
                            && lacks(i, p) == Some(true)
                    })
                    .min_by_key(|&i| {
                        (cells[i].toolchain.version != cy.toolchain.version, release(&cells[i]).abs_diff(release(cy)))
                    });
                if let Some(x) = release_cell {
                    let step = Step::PathVs {
                        path: path_name(&cy.toolchain),
                        version: cy.toolchain.version.to_string(),
                        release: cells[x].toolchain.id(),
                    };
                    found
                        .entry(RootCause { step, change: change_from(x) })
                        .or_default()
                        .push(pair(Some(x), format!("at {}", cy.config_name)));
                    continue;
                }
            }
            if let Some(x) = same_release_build(cells, &same_config, y, |i| lacks(i, p) == Some(true)) {
                let step = Step::Build {
                    family: cy.toolchain.family,
                    release: release(cy),
                    from: cells[x].toolchain.id(),
                    to: cy.toolchain.id(),
                };
                found
                    .entry(RootCause { step, change: change_from(x) })
                    .or_default()
                    .push(pair(Some(x), format!("at {}", cy.config_name)));
                continue;
            }
            // The nearest older judged release of the same family, language and config (compilers given by
            // path are compared with their like: a path is no release).
            let prev = comparable
                .iter()
                .copied()
                .filter(|&i| {
                    let c = &cells[i];
                    is_path(c) == is_path(cy)
                        && c.config_name == cy.config_name
                        && c.toolchain.family == cy.toolchain.family
                        && c.language() == cy.language()
                        && release(c) < release(cy)
                })
                .max_by_key(|&i| release(&cells[i]));
            if let Some(x) = prev {
                if lacks(x, p) == Some(true) {
                    let step = Step::Release { family: cy.toolchain.family, from: release(&cells[x]), to: release(cy) };
                    found
                        .entry(RootCause { step, change: change_from(x) })
                        .or_default()
                        .push(pair(Some(x), format!("at {}", cy.config_name)));
                }
                // Otherwise the older release shows it too: blamed where it first appears.
                continue;
            }
            let next = comparable
                .iter()
                .copied()
                .filter(|&i| {
                    let c = &cells[i];
                    is_path(c) == is_path(cy)
                        && c.config_name == cy.config_name
                        && c.toolchain.family == cy.toolchain.family
                        && c.language() == cy.language()
                        && release(c) > release(cy)
                })
                .min_by_key(|&i| release(&cells[i]));
            if let Some(x) = next.filter(|&x| lacks(x, p) == Some(true)) {
                let step = Step::FixedIn { family: cy.toolchain.family, from: release(cy), to: release(&cells[x]) };
                // The problem itself, not what the newer release moved: that move is not what broke.
                found
                    .entry(RootCause { step, change: p.clone() })
                    .or_default()
                    .push(pair(Some(x), format!("at {}", cy.config_name)));
                continue;
            }
            let other_language = same_config
                .iter()
                .copied()
                .filter(|&i| cells[i].language() != cy.language() && lacks(i, p) == Some(true))
                .max_by_key(|&i| (cells[i].toolchain.family == Family::Llvm, release(&cells[i])));
            if let Some(x) = other_language {
                let step = Step::Language { from: emission(&cells[x]), to: emission(cy) };
                found
                    .entry(RootCause { step, change: change_from(x) })
                    .or_default()
                    .push(pair(Some(x), format!("at {}", cy.config_name)));
                continue;
            }
            // "Every release and config" only when every judged release of the family shows it everywhere.
            let family_wide = comparable
                .iter()
                .filter(|&&i| cells[i].toolchain.family == cy.toolchain.family && is_path(&cells[i]) == is_path(cy))
                .all(|&i| lacks(i, p) == Some(false));
            let (step, before) = match other_config {
                Some(x) => (Step::Config { config: cy.config_name.clone() }, Some(x)),
                None if family_wide => (Step::Family { family: cy.toolchain.family }, None),
                None => (Step::Toolchain { toolchain: toolchain_name(&cy.toolchain) }, None),
            };
            let change = before.map_or_else(|| p.clone(), change_from);
            found.entry(RootCause { step, change }).or_default().push(pair(before, cy.toolchain.id().to_string()));
        }
    }
    found
        .into_iter()
        .map(|(cause, mut pairs)| {
            pairs.sort();
            pairs.dedup();
            let symptoms = if cause.change.runs_wrong() { symptoms_of(&pairs, cells, facts) } else { BTreeMap::new() };
            Divergence { cause, cells: pairs, symptoms }
        })
        .collect()
}

/// How the showing cells of `pairs` ran wrong.
fn symptoms_of(pairs: &[CellPair], cells: &[Cell], facts: &[Option<Facts>]) -> BTreeMap<String, Vec<Symptom>> {
    pairs
        .iter()
        .filter_map(|pair| {
            let i = cells.iter().position(|c| c.label() == pair.to)?;
            let symptoms = facts.get(i)?.as_ref()?.symptoms.clone();
            (!symptoms.is_empty()).then(|| (pair.to.clone(), symptoms))
        })
        .collect()
}
