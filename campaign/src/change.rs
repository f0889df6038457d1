//! The typed problems of one cell and the typed `Change` a divergence is made of. This is the one place
//! that maps the oracle's and the sandbox's data (relocation type numbers, `Status`, section names, entry
//! facts, run results) onto the values root causes hash: no English message text enters a `Change`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use kreloc_oracle::symbols::SilentReason;
use kreloc_oracle::{Object, StageName, Status, Verdict};

use crate::signature::RunResult;

/// Why the loader stopped at a relocation (the oracle's fatal or corrupting `Status` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RelocFault {
    Overflow,
    SilentlyTruncated,
    Unsupported,
    BadSymbol,
    OutOfBounds,
    Malformed,
}

impl RelocFault {
    fn of(s: Status) -> Option<RelocFault> {
        Some(match s {
            Status::Ok => return None,
            Status::Overflow => RelocFault::Overflow,
            Status::SilentlyTruncated => RelocFault::SilentlyTruncated,
            Status::Unsupported => RelocFault::Unsupported,
            Status::BadSymbol => RelocFault::BadSymbol,
            Status::OutOfBounds => RelocFault::OutOfBounds,
            Status::Malformed => RelocFault::Malformed,
        })
    }
}

/// A load refused for a reason other than one relocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Refusal {
    /// The real loader would write outside the segment or over another section.
    MemoryCorruption,
    /// Header checks, size limits, missing kexec symbols.
    Refused,
}

/// How a run of the relocated code went wrong (a wrong checksum is `Symptom::WrongChecksum`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunFault {
    Crash {
        signal: String,
    },
    Seccomp,
    Timeout,
    /// Called exit itself.
    Exit,
    /// No loaded entry to run.
    NoEntry,
    /// A real purgatory spun in its digest-failure loop: the digest it computed is not the loader's.
    DigestMismatch,
    /// Overflowed its stack in a function that calls itself (unbounded recursion).
    Recursion,
    /// Spun in a function that jumps to its own start.
    SelfLoop,
    /// Executed an SSE/AVX/MMX instruction, which faults with CR4.OSFXSR clear (as purgatory is entered).
    VectorInstruction,
}

impl RunFault {
    pub fn of(failure: &crate::sandbox::RunFailure) -> RunFault {
        use crate::sandbox::RunFailure;
        match failure {
            RunFailure::Crashed { .. } => RunFault::Crash { signal: failure.to_string() },
            RunFailure::SystemCall => RunFault::Seccomp,
            RunFailure::TimedOut => RunFault::Timeout,
            RunFailure::Exited { .. } => RunFault::Exit,
            RunFailure::NoEntry => RunFault::NoEntry,
        }
    }
}

/// Where relocated code runs wrong, among the judged addresses it could run at (loaded there). An
/// address-dependent failure is a relocation or position bug; an everywhere failure a miscompile.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "where")]
pub enum AddressClass {
    Everywhere,
    /// Right below 2 GiB, wrong at every judged address above.
    Above2G,
    /// Right below 4 GiB (at some judged address between 2 and 4 GiB too), wrong at every judged address above.
    Above4G,
    /// Only at these addresses.
    At {
        addresses: Vec<u64>,
    },
}

impl AddressClass {
    /// The class of `wrong` among the addresses that ran (`right` ran right); `None` if nothing ran wrong.
    pub fn of(wrong: &[u64], right: &[u64]) -> Option<AddressClass> {
        const G2: u64 = 0x8000_0000;
        const G4: u64 = 0x1_0000_0000;
        let (lowest_wrong, highest_right) = (*wrong.iter().min()?, right.iter().max().copied());
        Some(match highest_right {
            None => AddressClass::Everywhere,
            Some(r) if r < G2 && lowest_wrong >= G2 => AddressClass::Above2G,
            Some(r) if r < G4 && lowest_wrong >= G4 => AddressClass::Above4G,
            Some(_) => {
                let mut addresses = wrong.to_vec();
                addresses.sort_unstable();
                addresses.dedup();
                AddressClass::At { addresses }
            }
        })
    }

    fn title(&self) -> String {
        match self {
            AddressClass::Everywhere => "everywhere".into(),
            AddressClass::Above2G => "only above 2 GiB".into(),
            AddressClass::Above4G => "only above 4 GiB".into(),
            AddressClass::At { addresses } => {
                format!("only at {}", addresses.iter().map(|a| format!("{a:#x}")).collect::<Vec<_>>().join(", "))
            }
        }
    }
}

/// How one run went wrong: a detail of a sighting, never part of a fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "symptom")]
pub enum Symptom {
    WrongChecksum { at: u64, got: u64 },
    Fault { at: u64, fault: RunFault },
}

impl Symptom {
    /// `SIGSEGV at 0x13fffb000`, `checksum 0x1234 at 0x7ffe0000`.
    pub fn title(&self) -> String {
        match self {
            Symptom::WrongChecksum { at, got } => format!("checksum {got:#x} at {at:#x}"),
            Symptom::Fault { at, fault: RunFault::Crash { signal } } => format!("{signal} at {at:#x}"),
            Symptom::Fault { at, fault } => format!("{} at {at:#x}", kebab(fault)),
        }
    }

    /// The kind, without address or value: what a root cause's symptoms are counted by.
    pub fn kind(&self) -> String {
        match self {
            Symptom::WrongChecksum { .. } => "wrong checksum".into(),
            Symptom::Fault { fault: RunFault::Crash { signal }, .. } => signal.clone(),
            Symptom::Fault { fault, .. } => kebab(fault),
        }
    }
}

/// A compile that did not give an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CompileFault {
    Ice,
    Error,
    Timeout,
}

/// One typed behaviour change (or problem of a cell).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Change {
    /// Code moved into exec sections of a new family (`.ltext`, with `.ltext.unlikely.` etc. counted as `.ltext`).
    NewExecSection {
        sections: Vec<String>,
    },
    /// The loader WARNs: two exec sections contain `e_entry`.
    EntryWarn,
    /// The loader jumps somewhere other than the intended entry.
    EntryMisplaced,
    /// A relocation of this type fails (or is silently truncated) at some judged address.
    Relocation {
        r_type: u32,
        type_name: String,
        fault: RelocFault,
    },
    Refused {
        refusal: Refusal,
    },
    /// The relocated code runs wrong (wrong checksum, crash, hang, system call, exit): the symptoms are
    /// the sighting's, the address class is the change's.
    RunsWrong {
        class: AddressClass,
    },
    /// Stores written before `RunsWrong` (one cause per symptom and address); never derived now, only
    /// read, and listed as superseded by the `RunsWrong` cause.
    WrongChecksum {
        at: u64,
    },
    /// A real purgatory's `purgatory()` run fails this way (`kreloc kernel`, `check --run`). Generated
    /// programs' stores written before `RunsWrong` hold it too, superseded as `WrongChecksum` is.
    RunFailed {
        at: u64,
        fault: RunFault,
    },
    Compile {
        fault: CompileFault,
    },
    /// A symbol stage of the load (loader, arch or digest symbols) fails on this symbol: the loader refuses the
    /// relocated object. Symbol stages do not depend on the load address.
    StageFails {
        stage: StageName,
        symbol: String,
        reason: SilentReason,
    },
}

impl Change {
    /// A problem the loader only warns about: the object still loads, is entered right and runs.
    pub fn only_warns(&self) -> bool {
        matches!(self, Change::EntryWarn | Change::NewExecSection { .. })
    }

    /// Whether exec-section moves explain this problem (the entry rules read exec sections).
    fn is_entry_problem(&self) -> bool {
        matches!(self, Change::EntryWarn | Change::EntryMisplaced)
    }

    /// The address this problem was seen at, if it is tied to one (a neighbour must be judged there too).
    pub fn address(&self) -> Option<u64> {
        match self {
            Change::WrongChecksum { at } | Change::RunFailed { at, .. } => Some(*at),
            Change::RunsWrong { class: AddressClass::At { addresses } } => addresses.first().copied(),
            _ => None,
        }
    }

    /// Code that runs wrong (a finding even where every cell shows it).
    pub fn runs_wrong(&self) -> bool {
        matches!(self, Change::RunsWrong { .. } | Change::WrongChecksum { .. } | Change::RunFailed { .. })
    }

    /// One line for reports (the only place a change becomes English).
    pub fn title(&self) -> String {
        match self {
            Change::NewExecSection { sections } => format!("new exec section {}", sections.join(", ")),
            Change::EntryWarn => "the kernel WARNs: two exec sections contain e_entry".into(),
            Change::EntryMisplaced => "the entry is misplaced".into(),
            Change::Relocation { type_name, fault: RelocFault::Overflow, r_type } => {
                format!("{type_name} overflows{}", overflow_region(*r_type))
            }
            Change::Relocation { type_name, fault, .. } => format!("{type_name}: {}", kebab(fault)),
            Change::Refused { refusal } => format!("the loader refuses the object ({})", kebab(refusal)),
            Change::RunsWrong { class } => format!("the code runs wrong {}", class.title()),
            Change::WrongChecksum { at } => format!("the checksum differs at {at:#x}"),
            Change::RunFailed { at, fault: RunFault::Crash { signal } } => {
                format!("the code crashes ({signal}) at {at:#x}")
            }
            Change::RunFailed { at, fault: RunFault::DigestMismatch } => {
                format!("the purgatory spins in its digest-failure loop at {at:#x}")
            }
            Change::RunFailed { at, fault: RunFault::Recursion } => {
                format!("a function calls itself without end (stack overflow) at {at:#x}")
            }
            Change::RunFailed { at, fault: RunFault::SelfLoop } => {
                format!("a function jumps to itself (endless loop) at {at:#x}")
            }
            Change::RunFailed { at, fault: RunFault::VectorInstruction } => {
                format!("an SSE/AVX/MMX instruction runs (#UD with CR4.OSFXSR clear) at {at:#x}")
            }
            Change::RunFailed { at, fault } => format!("the code fails ({}) at {at:#x}", kebab(fault)),
            Change::Compile { fault: CompileFault::Ice } => "the compiler crashes (ICE)".into(),
            Change::Compile { fault } => format!("the compile fails ({})", kebab(fault)),
            Change::StageFails { stage, symbol, reason } => {
                format!("{stage} stage fails: {symbol} {}", reason.describe())
            }
        }
    }
}

/// Where an x86_64 absolute field stops fitting.
fn overflow_region(r_type: u32) -> &'static str {
    match r_type {
        11 => " above 2 GiB",
        10 => " above 4 GiB",
        2 | 4 => " beyond ±2 GiB of its target",
        _ => "",
    }
}

fn kebab<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_object().and_then(|o| o.keys().next().cloned())))
        .unwrap_or_default()
}

/// What the campaign knows about one judged cell, typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// Exec section families (`.text`, `.ltext`) holding code.
    pub exec_bases: BTreeSet<String>,
    pub problems: BTreeSet<Change>,
    /// Addresses where the code could not be run (not judged there).
    pub unjudged_at: Vec<u64>,
    /// How the runs behind a `RunsWrong` problem went wrong.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub symptoms: Vec<Symptom>,
}

/// `.ltext.unlikely.` → `.ltext`: the section family, without the compiler's hot/cold/function suffixes.
/// The kernel's own text sections (`.noinstr.text`, `.entry.text`, `.init.text`), which the source names and
/// every compiler keeps, are `.text`: code placed there has not moved.
pub fn section_base(name: &str) -> String {
    let rest = name.strip_prefix('.').unwrap_or(name);
    if rest.ends_with(".text") {
        return ".text".into();
    }
    format!(".{}", rest.split('.').next().unwrap_or(rest))
}

/// The facts of a compile that gave no object.
pub fn compile_facts(fault: CompileFault) -> Facts {
    Facts { problems: BTreeSet::from([Change::Compile { fault }]), ..Facts::default() }
}

/// The facts of an object: loader verdicts at every address (first profile decides the entry and runs).
pub fn object_facts(obj: &Object, verdicts: &[Verdict], runs: &[(u64, RunResult)], expected: u64) -> Facts {
    let mut f =
        Facts { exec_bases: obj.code_sections().map(|s| section_base(&obj.name_of(s))).collect(), ..Facts::default() };
    for v in verdicts {
        if v.entry.warned {
            f.problems.insert(Change::EntryWarn);
            // The families beyond `.text` that the WARN is about are a problem of their own: a program whose
            // cold paths already make every cell WARN still shows LLVM 18 moving its code into `.ltext`.
            let beyond: Vec<String> = f.exec_bases.iter().filter(|b| *b != ".text").cloned().collect();
            if !beyond.is_empty() {
                f.problems.insert(Change::NewExecSection { sections: beyond });
            }
        }
        if v.loaded && v.entry.misplaced() {
            f.problems.insert(Change::EntryMisplaced);
        }
        let mut fault_seen = false;
        for r in &v.relocations {
            if let Some(fault) = RelocFault::of(r.status) {
                fault_seen |= r.status.is_fatal();
                f.problems.insert(Change::Relocation { r_type: r.r_type, type_name: r.type_name.to_string(), fault });
            }
        }
        if !v.loaded && !fault_seen {
            let refusal = if v.findings.is_empty() { Refusal::Refused } else { Refusal::MemoryCorruption };
            f.problems.insert(Change::Refused { refusal });
        }
        f.problems.extend(stage_failures(v));
    }
    f.unjudged_at = runs.iter().filter(|(_, r)| matches!(r, RunResult::NotJudged(_))).map(|(at, _)| *at).collect();
    if let Some((change, symptoms)) = runs_wrong(runs, expected) {
        f.problems.insert(change);
        f.symptoms = symptoms;
    }
    f
}

/// The one `RunsWrong` change of a cell's runs and its symptoms, or `None` if every run went right.
/// Addresses where the loader refused or the harness could not run it take no part.
pub fn runs_wrong(runs: &[(u64, RunResult)], expected: u64) -> Option<(Change, Vec<Symptom>)> {
    let (mut wrong, mut right, mut symptoms) = (Vec::new(), Vec::new(), Vec::new());
    for (at, r) in runs {
        match r {
            RunResult::Checksum(c) if *c == expected => right.push(*at),
            RunResult::Checksum(got) => symptoms.push(Symptom::WrongChecksum { at: *at, got: *got }),
            RunResult::Failed(failure) => symptoms.push(Symptom::Fault { at: *at, fault: RunFault::of(failure) }),
            RunResult::NotLoaded | RunResult::NotJudged(_) => continue,
        }
        if !matches!(r, RunResult::Checksum(c) if *c == expected) {
            wrong.push(*at);
        }
    }
    let class = AddressClass::of(&wrong, &right)?;
    Some((Change::RunsWrong { class }, symptoms))
}

/// Every symbol stage of the verdict that fails, judged on its own (reached or not: the symbols are the
/// object's, whatever stopped the loader before them).
fn stage_failures(v: &Verdict) -> impl Iterator<Item = Change> + '_ {
    v.stages.in_order().filter(|(name, st)| *name != StageName::Relocates && !st.passed).filter_map(|(stage, st)| {
        let s = st.symbol.as_ref()?;
        Some(Change::StageFails { stage, symbol: s.name.to_string(), reason: s.reason })
    })
}

/// The change `to` shows over `from` for its problem `p`: `None` when `from` has `p` too or was not judged
/// where `p` was seen. Entry problems are explained by a move of the code into new exec sections, because
/// that move is what the loader's entry rules react to.
pub fn explain(p: &Change, from: &Facts, to: &Facts) -> Option<Change> {
    if from.problems.contains(p) || p.address().is_some_and(|a| from.unjudged_at.contains(&a)) {
        return None;
    }
    let new_bases: Vec<String> = to.exec_bases.difference(&from.exec_bases).cloned().collect();
    Some(if p.is_entry_problem() && !new_bases.is_empty() {
        Change::NewExecSection { sections: new_bases }
    } else {
        p.clone()
    })
}

/// Every change from `from` to `to` (the problems `to` gained), deduplicated.
pub fn changes(from: &Facts, to: &Facts) -> Vec<Change> {
    let set: BTreeSet<Change> = to.problems.iter().filter_map(|p| explain(p, from, to)).collect();
    set.into_iter().collect()
}
