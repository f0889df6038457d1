//! The oracle's verdict: what a loader would do with an object at one load address.

use serde::Serialize;

use crate::elf::{Entries, ObjectNames, SmolStr};
use crate::entry::Entry;
use crate::layout::Placed;
use crate::message::{Finding, LoaderMessage, Warning};
use crate::symbols::SilentReason;

/// The outcome of one relocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Applied, value exact.
    Ok,
    /// The value does not fit and the loader checks: load refused.
    Overflow,
    /// The value does not fit and the loader does not check: stored truncated.
    SilentlyTruncated,
    /// The loader does not handle this type (or it needs a GOT).
    Unsupported,
    /// Undefined, COMMON or invalid-section symbol.
    BadSymbol,
    /// The write falls outside its section or the loader's buffer.
    OutOfBounds,
    /// The relocation entry itself is malformed (symbol index, symbol table link).
    Malformed,
}

impl Status {
    /// The loader stops here.
    pub fn is_fatal(self) -> bool {
        !matches!(self, Status::Ok | Status::SilentlyTruncated)
    }
}

/// One relocation as applied (or not) at the verdict's load address, with its names: what
/// `Relocations::iter` and `get` give (the verdict itself keeps each name once).
#[derive(Debug, Clone, Serialize)]
pub struct RelocResult {
    /// Index of the SHT_RELA/SHT_REL section.
    pub reloc_section: usize,
    /// Patched section.
    pub section: SmolStr,
    pub offset: u64,
    pub r_type: u32,
    pub type_name: &'static str,
    pub symbol: SmolStr,
    pub addend: i64,
    /// Address of the patched field (P).
    pub place: u64,
    /// The value computed for the field (S + A, or S + A - P), before truncation.
    pub value: u64,
    pub status: Status,
}

impl RelocResult {
    /// `R_X86_64_32S against .rodata+0x40 in .text+0x1c`.
    pub fn describe(&self) -> String {
        describe_relocation(self.type_name, &self.symbol, self.addend, &self.section, self.offset)
    }
}

/// Every relocation of a load, in the loader's order. The relocator's straight path (the first entries,
/// every one exact) keeps its entries as the file has them (shared with the object), their values derived
/// when read, and names its sections and symbols by index, read from the object's file (shared too) only
/// when a report reads them; the general path after it keeps a record per relocation, with indices into a
/// list of the names it made. A load writes little per relocation, and makes no name on the straight path.
#[derive(Debug, Clone, Default)]
pub struct Relocations {
    straight: StraightEntries,
    records: Vec<Record>,
    names: Vec<SmolStr>,
    /// The object's names and file: where straight entries, their sections and resolved symbols' names
    /// are read (shared, not copied), and the verdict's sections and entry named.
    object: Option<ObjectNames>,
}

/// The entries the straight path applied, in order; each is `Status::Ok`, its value derived when read.
#[derive(Debug, Clone, Default)]
pub(crate) struct StraightEntries {
    /// How many: the first `len` relocations are the runs' entries, one run after another.
    pub(crate) len: usize,
    /// Each relocation section's part, in order.
    pub(crate) runs: Vec<StraightRun>,
    /// The symbol tables' symbols as the runs resolved them, one table after another.
    pub(crate) symbols: Vec<ResolvedSymbol>,
}

/// One relocation section's entries on the straight path.
#[derive(Debug, Clone)]
pub(crate) struct StraightRun {
    /// The relocation number of its first entry.
    pub(crate) start: usize,
    /// The relocation section's entries as the file has them, shared with the object (not copied); the run
    /// is their first `taken`.
    pub(crate) entries: Entries,
    pub(crate) taken: usize,
    pub(crate) reloc_section: u32,
    /// The patched section's index and address.
    pub(crate) section: u32,
    pub(crate) section_addr: u64,
    /// Where its symbol table starts in `StraightEntries::symbols`.
    pub(crate) symbols: usize,
    pub(crate) arch: crate::arch::Arch,
}

/// A symbol as the straight path resolved it: its S, and its name and section index, made into its label
/// (its own name, or without one its section's name, `*ABS*` or `*UND*`) only when a report reads it. 16
/// bytes: the state of a symbol not resolved is kept in `shndx`, where no resolved symbol's index can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ResolvedSymbol {
    pub(crate) value: u64,
    pub(crate) name: crate::elf::Name,
    pub(crate) shndx: u32,
}

impl ResolvedSymbol {
    /// Not looked at yet.
    pub(crate) const UNSEEN: ResolvedSymbol =
        ResolvedSymbol { value: 0, name: crate::elf::Name::EMPTY, shndx: u32::MAX };
    /// The loader does not resolve it (the general path explains it).
    pub(crate) const REFUSED: ResolvedSymbol =
        ResolvedSymbol { value: 0, name: crate::elf::Name::EMPTY, shndx: u32::MAX - 1 };

    /// S is known: neither `UNSEEN` nor `REFUSED` (a resolved symbol's section index is below both).
    #[inline(always)]
    pub(crate) fn is_resolved(&self) -> bool {
        self.shndx < u32::MAX - 1
    }
}

#[derive(Debug, Clone, Copy)]
struct Record {
    offset: u64,
    addend: i64,
    place: u64,
    value: u64,
    type_name: &'static str,
    reloc_section: u32,
    r_type: u32,
    section: u32,
    symbol: u32,
    status: Status,
}

/// A name kept by `Relocations::name`, for `Relocations::push`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NameId(u32);

/// One relocation's facts as the relocator records them (names as `NameId`s).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outcome {
    pub reloc_section: usize,
    pub section: NameId,
    pub offset: u64,
    pub r_type: u32,
    pub type_name: &'static str,
    pub symbol: NameId,
    pub addend: i64,
    pub place: u64,
    pub value: u64,
    pub status: Status,
}

impl Relocations {
    /// No relocation yet, of the object `object` names.
    pub(crate) fn of(object: ObjectNames) -> Self {
        Relocations { object: Some(object), ..Relocations::default() }
    }

    /// The object's names (none only for a default `Relocations`).
    pub(crate) fn object(&self) -> Option<&ObjectNames> {
        self.object.as_ref()
    }

    /// Room for `names` more names (the general path's).
    pub(crate) fn reserve_names(&mut self, names: usize) {
        self.names.reserve(names);
    }

    /// The straight path's entries: the first `straight.len` relocations.
    pub(crate) fn set_straight(&mut self, straight: StraightEntries) {
        self.straight = straight;
    }

    /// Room for `n` more records.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.records.reserve(n);
    }

    /// Keeps a name for the records that follow.
    pub(crate) fn name(&mut self, name: &SmolStr) -> NameId {
        self.name_owned(name.clone())
    }

    pub(crate) fn name_owned(&mut self, name: SmolStr) -> NameId {
        self.names.push(name);
        NameId(self.names.len() as u32 - 1)
    }

    #[inline]
    pub(crate) fn push(&mut self, o: Outcome) {
        self.records.push(Record {
            offset: o.offset,
            addend: o.addend,
            place: o.place,
            value: o.value,
            type_name: o.type_name,
            reloc_section: o.reloc_section as u32,
            r_type: o.r_type,
            section: o.section.0,
            symbol: o.symbol.0,
            status: o.status,
        });
    }

    pub fn len(&self) -> usize {
        self.straight.len + self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `index`th relocation, with its names.
    pub fn get(&self, index: usize) -> Option<RelocResult> {
        match self.at(index)? {
            At::Straight(run, r) => Some(self.straight_result(run, r)),
            At::Record(r) => Some(self.result(r)),
        }
    }

    /// The status of the `index`th relocation, without its names.
    pub fn status(&self, index: usize) -> Option<Status> {
        match self.at(index)? {
            At::Straight(..) => Some(Status::Ok),
            At::Record(r) => Some(r.status),
        }
    }

    /// The value computed for the `index`th relocation, without its names.
    pub fn value(&self, index: usize) -> Option<u64> {
        match self.at(index)? {
            At::Straight(run, r) => Some(self.straight_value(run, r)),
            At::Record(r) => Some(r.value),
        }
    }

    /// Every relocation, in order, with its names.
    pub fn iter(&self) -> Iter<'_> {
        Iter { relocations: self, next: 0..self.len() }
    }

    /// Every relocation's status, in order.
    pub fn statuses(&self) -> impl ExactSizeIterator<Item = Status> + '_ {
        (0..self.len()).map(|i| self.status(i).unwrap_or(Status::Ok))
    }

    /// Every relocation's type name, in order.
    pub fn type_names(&self) -> impl ExactSizeIterator<Item = &'static str> + '_ {
        (0..self.len()).map(|i| match self.at(i) {
            Some(At::Straight(run, r)) => run.arch.howto(r.r_type).name,
            Some(At::Record(r)) => r.type_name,
            None => "",
        })
    }

    fn at(&self, index: usize) -> Option<At<'_>> {
        let straight = &self.straight;
        let Some(i) = index.checked_sub(straight.len) else {
            let run = &straight.runs[straight.runs.partition_point(|r| r.start <= index).checked_sub(1)?];
            let k = index - run.start;
            if k >= run.taken {
                return None;
            }
            return self.object.as_ref()?.entries(&run.entries).get(k).map(|r| At::Straight(run, r));
        };
        self.records.get(i).map(At::Record)
    }

    fn symbol(&self, run: &StraightRun, r: &crate::elf::Reloc) -> Option<&ResolvedSymbol> {
        self.straight.symbols.get(run.symbols.checked_add(r.sym as usize)?)
    }

    fn straight_value(&self, run: &StraightRun, r: &crate::elf::Reloc) -> u64 {
        let s = self.symbol(run, r).map_or(0, |s| s.value);
        let place = run.section_addr.wrapping_add(r.offset);
        crate::plan::straight_value(run.arch, r.r_type, s.wrapping_add(r.addend as u64), place)
    }

    fn named(&self, id: NameId) -> SmolStr {
        self.names.get(id.0 as usize).cloned().unwrap_or_default()
    }

    fn symbol_label(&self, s: &ResolvedSymbol) -> SmolStr {
        match &self.object {
            Some(names) if s.is_resolved() => names.label(s.name, s.shndx),
            _ => SmolStr::default(),
        }
    }

    /// Section `index`'s name, or a placeholder naming the index.
    pub(crate) fn section_name(&self, index: u32) -> SmolStr {
        self.object.as_ref().map(|n| n.section_name(index)).unwrap_or_default()
    }

    fn straight_result(&self, run: &StraightRun, r: &crate::elf::Reloc) -> RelocResult {
        RelocResult {
            reloc_section: run.reloc_section as usize,
            section: self.section_name(run.section),
            offset: r.offset,
            r_type: r.r_type,
            type_name: run.arch.howto(r.r_type).name,
            symbol: self.symbol(run, r).map(|s| self.symbol_label(s)).unwrap_or_default(),
            addend: r.addend,
            place: run.section_addr.wrapping_add(r.offset),
            value: self.straight_value(run, r),
            status: Status::Ok,
        }
    }

    fn result(&self, r: &Record) -> RelocResult {
        let name = |id: u32| self.named(NameId(id));
        RelocResult {
            reloc_section: r.reloc_section as usize,
            section: name(r.section),
            offset: r.offset,
            r_type: r.r_type,
            type_name: r.type_name,
            symbol: name(r.symbol),
            addend: r.addend,
            place: r.place,
            value: r.value,
            status: r.status,
        }
    }
}

/// Where the `index`th relocation is kept.
enum At<'a> {
    Straight(&'a StraightRun, &'a crate::elf::Reloc),
    Record(&'a Record),
}

/// `Relocations::iter`.
pub struct Iter<'a> {
    relocations: &'a Relocations,
    next: std::ops::Range<usize>,
}

impl Iterator for Iter<'_> {
    type Item = RelocResult;
    fn next(&mut self) -> Option<RelocResult> {
        self.relocations.get(self.next.next()?)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.next.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Relocations {
    type Item = RelocResult;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Serialized as the list of `RelocResult`s, names joined.
impl Serialize for Relocations {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// `R_X86_64_32S against .rodata+0x40 in .text+0x1c`.
pub fn describe_relocation(type_name: &str, symbol: &str, addend: i64, section: &str, offset: u64) -> String {
    Described { type_name, symbol, addend, section, offset }.to_string()
}

/// A relocation entry as reports name it; shown (and serialized) as
/// `R_X86_64_32S against .rodata+0x40 in .text+0x1c`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelocationSite {
    pub type_name: &'static str,
    pub symbol: SmolStr,
    pub addend: i64,
    /// The patched section.
    pub section: SmolStr,
    pub offset: u64,
}

impl std::fmt::Display for RelocationSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let RelocationSite { type_name, ref symbol, addend, ref section, offset } = *self;
        Described { type_name, symbol, addend, section, offset }.fmt(f)
    }
}

impl Serialize for RelocationSite {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

struct Described<'a> {
    type_name: &'a str,
    symbol: &'a str,
    addend: i64,
    section: &'a str,
    offset: u64,
}

impl std::fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} against {}", self.type_name, self.symbol)?;
        match self.addend {
            0 => {}
            a if a < 0 => write!(f, "-{:#x}", a.unsigned_abs())?,
            a => write!(f, "+{a:#x}")?,
        }
        write!(f, " in {}+{:#x}", self.section, self.offset)
    }
}

/// Why a load fails, or runs other than intended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Failure {
    /// The loader printed this and gave up.
    Loader { message: LoaderMessage },
    /// A symbol step failed with -EINVAL and no message (kernel `kexec_purgatory_get_set_symbol`).
    Silent { stage: StageName, symbol: String, reason: SilentReason },
    /// kreloc cannot follow the loader past this (it reads or writes outside its buffers).
    Corruption { finding: Finding },
    /// Loaded, but the loader jumps elsewhere than the intended entry.
    EntryMisplaced { start: u64, section: Option<String>, symbol: String, addr: u64, intended_section: String },
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Loader { message } => write!(f, "{message}"),
            Failure::Silent { stage, symbol, reason } => write!(f, "(no message) the {stage} step fails with -EINVAL: {symbol} {}", reason.describe()),
            Failure::Corruption { finding } => write!(f, "memory corruption: {finding}"),
            Failure::EntryMisplaced { start, section, symbol, addr, intended_section } => write!(
                f,
                "entry misplaced: the loader jumps to {start:#x} ({}), but {symbol} is at {addr:#x} ({intended_section})",
                section.as_deref().unwrap_or("no section")
            ),
        }
    }
}

/// The stages of a load, in the order the real code runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StageName {
    Relocates,
    LoaderSymbols,
    /// kexec-tools' `arch_update_purgatory()` (console, backup and `panic_kernel` settings).
    ArchSymbols,
    DigestSymbols,
}

impl std::fmt::Display for StageName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StageName::Relocates => "relocates",
            StageName::LoaderSymbols => "loader symbols",
            StageName::ArchSymbols => "arch symbols",
            StageName::DigestSymbols => "digest symbols",
        })
    }
}

/// One stage judged on its own (even when an earlier stage already stopped the real loader).
#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    pub passed: bool,
    /// The real loader gets this far (every earlier stage passed).
    pub reached: bool,
    /// The stage's failure, if any.
    pub failure: Option<Failure>,
    /// The symbol a symbol stage failed on and why, typed (whether or not the loader prints it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<SymbolFault>,
}

/// The symbol a symbol step failed on, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SymbolFault {
    pub name: &'static str,
    pub reason: SilentReason,
}

impl Stage {
    pub(crate) fn passed() -> Self {
        Stage { passed: true, reached: true, failure: None, symbol: None }
    }
}

/// `relocates`, then `loader symbols` (the image loader's gets/sets), `arch symbols` (kexec-tools'
/// `arch_update_purgatory`; nothing for the kernel), then `digest symbols`.
#[derive(Debug, Clone, Serialize)]
pub struct Stages {
    pub relocates: Stage,
    pub loader_symbols: Stage,
    /// Only for loaders that have such a step (kexec-tools).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch_symbols: Option<Stage>,
    pub digest_symbols: Stage,
}

impl Stages {
    /// The stages the loader has, in order.
    pub fn in_order(&self) -> impl Iterator<Item = (StageName, &Stage)> {
        [
            (StageName::Relocates, Some(&self.relocates)),
            (StageName::LoaderSymbols, Some(&self.loader_symbols)),
            (StageName::ArchSymbols, self.arch_symbols.as_ref()),
            (StageName::DigestSymbols, Some(&self.digest_symbols)),
        ]
        .into_iter()
        .filter_map(|(name, st)| Some((name, st?)))
    }
}

/// What a loader does with an object at one load address. Its sections and entry name sections by index and
/// symbols by `Name`; `section_name`, `placed_name` and `symbol_name` read them from the object's file (kept
/// shared in the verdict), and a serialized verdict has them as text.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub profile: crate::ProfileId,
    pub load_addr: u64,
    /// Stage `relocates` passed: the loader relocated the object (the load window is about this).
    pub loaded: bool,
    /// Relocated, and the loader jumps to the intended entry.
    pub ok: bool,
    /// The whole load by this loader succeeds: relocation, its own symbol steps and the digest writes.
    pub load_succeeds: bool,
    /// The whole load succeeds and the purgatory is entered where intended: what `kreloc check` judges.
    pub good: bool,
    pub stages: Stages,
    pub bufsz: u64,
    pub memsz: u64,
    pub align: u64,
    pub sections: Vec<Placed>,
    pub entry: Entry,
    pub relocations: Relocations,
    /// What the loader itself prints, in order, up to where it stops.
    pub messages: Vec<LoaderMessage>,
    /// Non-fatal oddities, in kreloc's words.
    pub warnings: Vec<Warning>,
    /// What the real loader does to memory it does not own or did not mean to patch. Hazards here do not
    /// refuse the load (the real code goes on); `failure` says when one stops kreloc.
    pub findings: Vec<Finding>,
    /// The first reason the whole load fails or runs other than intended.
    pub failure: Option<Failure>,
    /// The relocated file-backed bytes (bss follows, zeroed, up to `memsz`).
    pub image: Vec<u8>,
}

impl Verdict {
    /// Section `index`'s name, or a placeholder naming the index (how the entry's sections read).
    pub fn section_name(&self, index: u32) -> SmolStr {
        self.relocations.section_name(index)
    }

    /// A placed section's name as the file has it (empty if it has none).
    pub fn placed_name(&self, p: &Placed) -> SmolStr {
        let (index, names) = (u32::try_from(p.index), self.relocations.object());
        names.zip(index.ok()).map(|(n, i)| n.name_of(i)).unwrap_or_default()
    }

    /// The placed section named `name`, if any.
    pub fn placed(&self, name: &str) -> Option<&Placed> {
        self.sections.iter().find(|p| self.placed_name(p) == name)
    }

    /// The names of every exec section that holds `e_entry` (`Entry::matches`).
    pub fn entry_matches(&self) -> Vec<SmolStr> {
        self.entry.matches.iter().map(|i| self.section_name(i)).collect()
    }

    /// A symbol's name (the entry's `IntendedEntry::symbol`).
    pub fn symbol_name(&self, name: crate::elf::Name) -> SmolStr {
        self.relocations.object().map(|n| n.text(name)).unwrap_or_default()
    }

    /// The first relocation the loader stopped at.
    pub fn first_failed_relocation(&self) -> Option<RelocResult> {
        let index = self.relocations.statuses().position(Status::is_fatal)?;
        self.relocations.get(index)
    }

    /// Distinct relocation type names present, sorted.
    pub fn reloc_types(&self) -> Vec<&'static str> {
        let mut v: Vec<_> = self.relocations.type_names().collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The failure as the one line the CLI prints.
    pub fn failure_text(&self) -> Option<String> {
        self.failure.as_ref().map(ToString::to_string)
    }

    /// The loader's messages as printed.
    pub fn message_lines(&self) -> Vec<String> {
        self.messages.iter().map(ToString::to_string).collect()
    }
}

/// Serialized as it reads: sections and the entry with their names.
impl Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Verdict", 17)?;
        st.serialize_field("profile", &self.profile)?;
        st.serialize_field("load_addr", &self.load_addr)?;
        st.serialize_field("loaded", &self.loaded)?;
        st.serialize_field("ok", &self.ok)?;
        st.serialize_field("load_succeeds", &self.load_succeeds)?;
        st.serialize_field("good", &self.good)?;
        st.serialize_field("stages", &self.stages)?;
        st.serialize_field("bufsz", &self.bufsz)?;
        st.serialize_field("memsz", &self.memsz)?;
        st.serialize_field("align", &self.align)?;
        let sections: Vec<_> = self.sections.iter().map(|p| NamedPlaced::of(self, p)).collect();
        st.serialize_field("sections", &sections)?;
        st.serialize_field("entry", &NamedEntry::of(self))?;
        st.serialize_field("relocations", &self.relocations)?;
        st.serialize_field("messages", &self.messages)?;
        st.serialize_field("warnings", &self.warnings)?;
        st.serialize_field("findings", &self.findings)?;
        st.serialize_field("failure", &self.failure)?;
        st.end()
    }
}

/// A placed section as serialized.
#[derive(Serialize)]
struct NamedPlaced {
    index: usize,
    name: SmolStr,
    addr: u64,
    size: u64,
    nobits: bool,
    buf_offset: Option<u64>,
}

impl NamedPlaced {
    fn of(v: &Verdict, p: &Placed) -> Self {
        let Placed { index, addr, size, nobits, buf_offset } = *p;
        NamedPlaced { index, name: v.placed_name(p), addr, size, nobits, buf_offset }
    }
}

/// The entry as serialized.
#[derive(Serialize)]
struct NamedEntry {
    start: u64,
    section: Option<SmolStr>,
    matches: Vec<SmolStr>,
    warned: bool,
    warned_in: Vec<SmolStr>,
    intended: Option<NamedIntended>,
}

#[derive(Serialize)]
struct NamedIntended {
    symbol: SmolStr,
    section: SmolStr,
    addr: u64,
}

impl NamedEntry {
    fn of(v: &Verdict) -> Self {
        let e = &v.entry;
        NamedEntry {
            start: e.start,
            section: e.section.map(|i| v.section_name(i)),
            matches: v.entry_matches(),
            warned: e.warned,
            warned_in: e.warned_in.iter().map(|i| v.section_name(i)).collect(),
            intended: e.intended.as_ref().map(|i| NamedIntended {
                symbol: v.symbol_name(i.symbol),
                section: v.section_name(i.section),
                addr: i.addr,
            }),
        }
    }
}
