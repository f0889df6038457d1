//! The reference relocator: load an object at one address exactly as a profile's loader would.

mod fast;

use crate::arch::{Arch, Formula};
use crate::elf::Object;
use crate::entry;
use crate::layout::{self, Layout};
use crate::message::{Finding, Loader, LoaderMessage, Warning};
use crate::plan::{self, Cause, Kind, Plan, Planned, SectionFailure, Sink, Site};
use crate::profile::Profile;
use crate::symbols::{self, SymbolStep};
use crate::verdict::{Failure, NameId, Outcome, Relocations, Stage, StageName, Stages, Status, SymbolFault, Verdict};

/// Loads `obj` at `load_addr` under `profile`: relocation, then the image loader's symbol steps, then the
/// digest writes, in the order the real code runs them (bzImage64_load → kexec_calculate_store_digests).
pub fn load(obj: &Object, profile: &dyn Profile, load_addr: u64) -> Verdict {
    load_as(obj, profile, load_addr, Image::Built)
}

/// Whether a load builds the loader's buffer (`Verdict::image`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Image {
    Built,
    /// Only the judgement is wanted: the image is left empty where that cannot change it (every relocation
    /// section is RELA, so no field's old contents are read). Otherwise it is built all the same.
    Skipped,
}

/// `load`, with or without the image: everything but `image` is the same either way.
pub fn load_as(obj: &Object, profile: &dyn Profile, load_addr: u64, image: Image) -> Verdict {
    load_by(obj, profile, load_addr, image, Path::Straight)
}

/// Which way stage `relocates` goes through the entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path {
    /// `fast::straight_prefix` first, then the general path from the first entry it does not take.
    Straight,
    /// Every entry planned and recorded one by one (`plan::for_each` into a `Recorder`).
    #[cfg_attr(not(feature = "synth"), allow(dead_code))]
    General,
}

pub(crate) fn load_by(obj: &Object, profile: &dyn Profile, load_addr: u64, image: Image, path: Path) -> Verdict {
    let build = image == Image::Built || reads_fields(obj);
    let layout = layout::place(obj, profile.layout_rule(), load_addr);
    let entry = entry::resolve(obj, &layout, profile.entry_rule(), true);
    let mut v = Verdict {
        profile: profile.id(),
        load_addr,
        loaded: false,
        ok: false,
        load_succeeds: false,
        good: false,
        stages: Stages {
            relocates: Stage::passed(),
            loader_symbols: Stage::passed(),
            arch_symbols: None,
            digest_symbols: Stage::passed(),
        },
        bufsz: layout.bufsz,
        memsz: layout.memsz,
        align: layout.align,
        sections: Vec::new(),
        entry,
        relocations: Relocations::of(obj.names()),
        messages: Vec::new(),
        warnings: Vec::new(),
        findings: Vec::new(),
        failure: None,
        image: Vec::new(),
    };
    let stop = relocate_stage(obj, profile, &layout, build, path, &mut v);
    let relocated = stop.is_none();
    if let Some(failure) = stop {
        v.messages.extend(profile.failure_trailer());
        v.stages.relocates = Stage { passed: false, reached: true, failure: Some(failure), symbol: None };
    }
    v.image.truncate(usize::try_from(layout.bufsz).unwrap_or(usize::MAX));
    symbol_stages(obj, profile, relocated, &mut v);
    finish(&mut v);
    v.sections = layout.placed;
    v
}

/// Whether the loader gets through stage `relocates` at `load_addr`: `load(..).loaded` without the rest of the
/// verdict (no names, records, symbol stages or image), for callers that ask only that, many times (the
/// window's probes). Objects with REL sections read fields' old contents, and take the full load.
pub fn relocates(obj: &Object, profile: &dyn Profile, load_addr: u64) -> bool {
    if reads_fields(obj) {
        return load_as(obj, profile, load_addr, Image::Skipped).loaded;
    }
    if let Err(errs) = profile.validate(obj) {
        return errs.is_empty();
    }
    let layout = layout::place(obj, profile.layout_rule(), load_addr);
    if layout.too_large().is_some() {
        return false;
    }
    let mut stops = Stops { arch: profile.arch(), stopped: false };
    plan::for_each(obj, profile, &layout, &mut stops);
    !stops.stopped
}

/// A REL section adds each field's old contents: judging it needs the loader's buffer.
fn reads_fields(obj: &Object) -> bool {
    obj.relocs.iter().any(|rs| !rs.is_rela)
}

/// Whether any relocation stops the loader: the same conditions `Recorder` stops at.
struct Stops {
    arch: Arch,
    stopped: bool,
}

impl Sink for Stops {
    fn section(&mut self, _: SectionFailure) {
        self.stopped = true;
    }

    fn entry(&mut self, _: Site<'_>, planned: Planned) {
        self.stopped = match planned {
            Planned::Fatal { .. } => true,
            Planned::Apply(p) => matches!(apply_at_scratch(self.arch, &p).0, Status::Overflow | Status::OutOfBounds),
        };
    }

    fn done(&self) -> bool {
        self.stopped
    }
}

/// `apply` to a scratch field: the value and status without an image (the plan checked the field's place).
#[inline(always)]
fn apply_at_scratch(arch: Arch, p: &Plan) -> (Status, u64, u64) {
    let mut scratch = [0u8; 16];
    let at = Plan { buf_pos: 0, ..p.clone() };
    apply(arch, &at, &mut scratch, false)
}

/// Stage `relocates`: header checks, layout, entry, every relocation. `Some` is why the loader stops.
fn relocate_stage(
    obj: &Object,
    profile: &dyn Profile,
    layout: &Layout,
    build: bool,
    path: Path,
    v: &mut Verdict,
) -> Option<Failure> {
    if let Err(errs) = profile.validate(obj) {
        let first = errs.first().cloned();
        v.messages = errs;
        return first.map(|message| Failure::Loader { message });
    }
    if load_addr_misaligned(v.load_addr, layout.align) {
        v.warnings.push(Warning::Misaligned { load_addr: v.load_addr, align: layout.align });
    }
    if v.entry.warned {
        // kexec_purgatory_setup_sechdrs (6.4+): one WARN_ON splat for every further exec section with e_entry.
        for section in v.entry.warned_in.iter() {
            v.messages
                .push(LoaderMessage::EntryWarn { e_entry: obj.entry, section: v.section_name(section).to_string() });
        }
        let sections = v.entry.matches.iter().map(|i| v.section_name(i).to_string()).collect();
        v.warnings.push(Warning::EntryWarns { sections, count: v.entry.warned_in.len() });
    }
    v.findings.extend(profile.silent_misapplications(obj));
    for (section, addr) in &layout.stray_empty {
        v.warnings.push(Warning::StrayEmptySection { section: section.clone(), addr: *addr });
    }
    v.findings.extend(layout.overruns.iter().cloned());
    if let Some(message) = layout.too_large() {
        v.messages.push(message.clone());
        return Some(Failure::Loader { message });
    }
    if build {
        v.image = layout::build_segment(obj, layout);
    }

    let capacity = layout::image_capacity(layout);
    let image = build.then_some(&mut v.image);
    let skip = match path {
        Path::General => 0,
        Path::Straight => match fast::straight_prefix(obj, profile, layout, image, &mut v.relocations) {
            fast::Straight::All => return None,
            fast::Straight::First(n) => n,
        },
    };
    // The general path names what it records: at most a name per patched section and per symbol, and a
    // name per relocation.
    let count = obj.reloc_count();
    let symbols: usize = obj.symtabs.iter().map(|(_, s)| s.len()).sum();
    v.relocations.reserve_names((symbols + obj.relocs.len() + 1).min(count - skip + 1));
    v.relocations.reserve(count - skip);
    let names = Names { symbols: Vec::with_capacity(symbols.min(count)), ..Names::default() };
    let mut rec = Recorder { profile, arch: profile.arch(), stop: None, capacity, build, names, v };
    plan::for_each_from(obj, profile, layout, skip, &mut rec);
    rec.stop
}

/// Applies (or refuses) each planned relocation as it comes and records it.
struct Recorder<'a> {
    profile: &'a dyn Profile,
    arch: Arch,
    /// The first reason the loader stops.
    stop: Option<Failure>,
    /// The loader's buffer length; `v.image` holds its first part and grows (zeroed) where a field lands.
    capacity: usize,
    /// The image is built; otherwise every field is computed in a scratch buffer (RELA: nothing is read).
    build: bool,
    names: Names,
    v: &'a mut Verdict,
}

/// The names kept for the current relocation section: its target, and its symbols by `Site::symbol_number`.
#[derive(Default)]
struct Names {
    reloc_section: Option<usize>,
    target: Option<NameId>,
    symbols: Vec<NameId>,
    unknown: Option<NameId>,
}

impl Names {
    #[inline]
    fn of(&mut self, relocations: &mut Relocations, site: &Site<'_>) -> (NameId, NameId) {
        if self.reloc_section != Some(site.reloc_section) {
            self.reloc_section = Some(site.reloc_section);
            self.target = None;
            self.symbols.clear();
        }
        let target = *self.target.get_or_insert_with(|| relocations.name(site.target));
        let symbol = match site.symbol_number {
            plan::NO_SYMBOL => *self.unknown.get_or_insert_with(|| relocations.name(site.symbol)),
            // Numbers come in order of first use from where planning started (`for_each_from`): a new one
            // is the next.
            n => match self.symbols.get(n as usize) {
                Some(id) => *id,
                None => {
                    let id = relocations.name(site.symbol);
                    self.symbols.push(id);
                    id
                }
            },
        };
        (target, symbol)
    }
}

impl Sink for Recorder<'_> {
    fn section(&mut self, f: SectionFailure) {
        if self.stop.is_none() {
            self.v.messages.push(f.message.clone());
            self.stop = Some(Failure::Loader { message: f.message });
        }
    }

    #[inline]
    fn entry(&mut self, site: Site<'_>, planned: Planned) {
        let (v, stop) = (&mut *self.v, &mut self.stop);
        let howto = match &planned {
            Planned::Apply(p) => p.howto,
            Planned::Fatal { .. } => self.arch.howto(site.r_type),
        };
        let (status, value, place) = match planned {
            Planned::Fatal { status, cause } => {
                if let Cause::Corrupts(f) = &*cause {
                    v.findings.push(f.clone());
                }
                if stop.is_none() {
                    *stop = Some(match *cause {
                        Cause::Loader(m) => {
                            v.messages.push(m.clone());
                            Failure::Loader { message: m }
                        }
                        Cause::Corrupts(f) => Failure::Corruption { finding: f },
                    });
                }
                (status, 0, 0)
            }
            Planned::Apply(p) => {
                let end = p.buf_pos.saturating_add(usize::from(howto.width));
                let applied = if self.build {
                    if end > v.image.len() && end <= self.capacity && p.kind != Kind::Skip {
                        v.image.resize(end, 0);
                    }
                    apply(self.arch, &p, &mut v.image, stop.is_none())
                } else {
                    apply_at_scratch(self.arch, &p)
                };
                if applied.0 == Status::OutOfBounds {
                    let finding =
                        Finding::WriteOutsideImage { type_name: howto.name.to_string(), image_len: self.capacity };
                    v.findings.push(finding.clone());
                    stop.get_or_insert(Failure::Corruption { finding });
                }
                applied
            }
        };
        if status == Status::SilentlyTruncated {
            v.warnings.push(Warning::SilentlyTruncated {
                type_name: howto.name.to_string(),
                symbol: site.symbol.to_string(),
                value,
                width: howto.width,
            });
        }
        if stop.is_none() && status == Status::Overflow {
            let message = LoaderMessage::Overflow { loader: self.profile.loader(), r_type: site.r_type, value };
            v.messages.push(message.clone());
            *stop = Some(Failure::Loader { message });
        }
        let (section, symbol) = self.names.of(&mut v.relocations, &site);
        v.relocations.push(Outcome {
            reloc_section: site.reloc_section,
            section,
            offset: site.offset,
            r_type: site.r_type,
            type_name: howto.name,
            symbol,
            addend: site.addend,
            place,
            value,
            status,
        });
    }
}

fn load_addr_misaligned(load_addr: u64, align: u64) -> bool {
    align != 0 && !load_addr.is_multiple_of(align)
}

/// Stages `loader symbols`, `arch symbols` and `digest symbols`, each judged on its own; only those the real
/// loader reaches print their messages.
fn symbol_stages(obj: &Object, profile: &dyn Profile, relocated: bool, v: &mut Verdict) {
    let (loader, lookup) = (profile.loader(), profile.symbol_lookup());
    let mut globals = symbols::Globals::new(obj);
    let loader_steps = symbols::run_with(&mut globals, loader, lookup, profile.loader_symbol_steps());
    let loader_stops = loader_steps.is_err() && profile.loader_symbol_failure_stops();
    if relocated {
        if let Err(f) = &loader_steps {
            v.messages.extend(f.message.clone());
            if loader == Loader::LinuxRiscv64 {
                v.messages.push(LoaderMessage::UpdatePurgatoryFailed { ret: -22 });
            }
        }
    }
    v.stages.loader_symbols =
        stage(StageName::LoaderSymbols, relocated, loader_steps, profile.loader_symbol_failure_stops());
    let reached = relocated && !loader_stops;
    let arch_steps = profile.arch_symbol_steps();
    let (arch, reached) =
        stopping_stage(&mut globals, profile, StageName::ArchSymbols, arch_steps, reached, &mut v.messages);
    v.stages.arch_symbols = (!arch_steps.is_empty()).then_some(arch);
    v.stages.digest_symbols = stopping_stage(
        &mut globals,
        profile,
        StageName::DigestSymbols,
        profile.digest_symbol_steps(),
        reached,
        &mut v.messages,
    )
    .0;
}

/// A symbol stage whose first failure ends the load; returns it and whether the next stage is reached.
fn stopping_stage(
    globals: &mut symbols::Globals<'_>,
    profile: &dyn Profile,
    name: StageName,
    steps: &[SymbolStep],
    reached: bool,
    messages: &mut Vec<LoaderMessage>,
) -> (Stage, bool) {
    let result = symbols::run_with(globals, profile.loader(), profile.symbol_lookup(), steps);
    if reached {
        if let Err(f) = &result {
            messages.extend(f.message.clone());
        }
    }
    let next = reached && result.is_ok();
    (stage(name, reached, result, true), next)
}

fn stage(name: StageName, reached: bool, result: Result<(), symbols::StepFailure>, stops: bool) -> Stage {
    match result {
        Ok(()) => Stage { passed: true, reached, failure: None, symbol: None },
        Err(f) => {
            let symbol = Some(SymbolFault { name: f.step.name, reason: f.why });
            let failure = match f.message {
                Some(message) => Failure::Loader { message },
                None => Failure::Silent { stage: name, symbol: f.step.name.to_string(), reason: f.why },
            };
            Stage { passed: !stops, reached, failure: Some(failure), symbol }
        }
    }
}

fn finish(v: &mut Verdict) {
    let s = &v.stages;
    v.loaded = s.relocates.passed;
    v.load_succeeds = s.in_order().all(|(_, st)| st.passed);
    // The first failure in the real order (a riscv loader-symbol message that does not stop is not one).
    v.failure = s.in_order().map(|(_, st)| st).find(|st| !st.passed).and_then(|st| st.failure.clone());
    let entry_failure = v.entry.intended.as_ref().filter(|_| v.entry.misplaced()).map(|i| Failure::EntryMisplaced {
        start: v.entry.start,
        section: v.entry.section.map(|s| v.section_name(s).to_string()),
        symbol: v.symbol_name(i.symbol).to_string(),
        addr: i.addr,
        intended_section: v.section_name(i.section).to_string(),
    });
    v.ok = v.loaded && entry_failure.is_none();
    v.good = v.load_succeeds && v.ok;
    if v.failure.is_none() {
        v.failure = entry_failure;
    }
}

/// Applies one plan to the image: (status, value, place). The plan checked that the field is inside the buffer.
#[inline(always)]
fn apply(arch: Arch, p: &Plan, image: &mut [u8], write: bool) -> (Status, u64, u64) {
    let width = p.howto.width;
    if p.kind == Kind::Skip {
        return (Status::Ok, 0, 0);
    }
    let Some(field) = image.get_mut(p.buf_pos..p.buf_pos + width as usize) else {
        return (Status::OutOfBounds, 0, 0);
    };
    let (value, fits) = match p.kind.value(p.s_plus_a, p.place) {
        Some((value, fits)) => {
            if write {
                // `field` is the field's width: the store has its room.
                p.kind.store(field, 0, value);
            }
            (value, fits)
        }
        None => {
            let in_place = if p.in_place { arch.load(field, width) } else { 0 };
            let s_plus_a = p.s_plus_a.wrapping_add(in_place);
            let value = match p.howto.formula {
                Formula::PcRelative => s_plus_a.wrapping_sub(p.place),
                _ => s_plus_a,
            };
            if write {
                arch.store(&p.howto, field, value);
            }
            (value, p.howto.range.fits(value))
        }
    };
    let status = match (fits, p.checked) {
        (true, _) => Status::Ok,
        (false, true) => Status::Overflow,
        (false, false) => Status::SilentlyTruncated,
    };
    (status, value, p.place)
}
