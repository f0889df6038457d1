//! The reference relocator: load an object at one address exactly as a profile's loader would.

use crate::arch::{Arch, Formula};
use crate::elf::Object;
use crate::entry;
use crate::layout::{self, Layout};
use crate::plan::{self, Base, Plan, Planned};
use crate::profile::Profile;
use crate::symbols;
use crate::verdict::{RelocResult, Status, Verdict};

/// The address the plan's symbol has at this layout.
pub(crate) fn symbol_base(obj: &Object, layout: &Layout, base: Base) -> u64 {
    match base {
        Base::Section(i) => layout.section_addr(obj, i),
        Base::Fixed(a) => a,
    }
}

/// The value a plan stores at this layout, with the place address: (value, place).
pub(crate) fn field_value(obj: &Object, layout: &Layout, p: &Plan, in_place: u64) -> (u64, u64) {
    let place = layout.section_addr(obj, p.target).wrapping_add(p.offset);
    let s_plus_a = symbol_base(obj, layout, p.base).wrapping_add(p.addend).wrapping_add(in_place);
    let value = match p.howto.formula {
        Formula::PcRelative => s_plus_a.wrapping_sub(place),
        _ => s_plus_a,
    };
    (value, place)
}

/// Loads `obj` at `load_addr` under `profile`.
pub fn load(obj: &Object, profile: &dyn Profile, load_addr: u64) -> Verdict {
    let layout = layout::place(obj, profile.layout_rule(), load_addr);
    let entry = entry::resolve(obj, &layout, profile.entry_rule(), true);
    let mut v = Verdict {
        profile: profile.name(),
        load_addr,
        loaded: false,
        ok: false,
        bufsz: layout.bufsz,
        memsz: layout.memsz,
        align: layout.align,
        sections: layout.placed.clone(),
        entry,
        relocations: Vec::new(),
        messages: Vec::new(),
        warnings: Vec::new(),
        findings: Vec::new(),
        failure: None,
        image: Vec::new(),
    };
    if let Err(errs) = profile.validate(obj) {
        v.failure = errs.first().cloned();
        v.messages = errs;
        v.messages.extend(profile.failure_trailer());
        return v;
    }
    if load_addr % layout.align != 0 {
        v.warnings.push(format!("load address {load_addr:#x} is not aligned to the segment's {:#x}", layout.align));
    }
    if v.entry.warned {
        v.messages.push(format!(
            "WARNING: at kernel/kexec_file.c kexec_purgatory_setup_sechdrs: WARN_ON(image->start != e_entry): e_entry {:#x} is inside exec sections {}",
            obj.entry,
            v.entry.matches.join(", ")
        ));
        v.warnings.push(format!("two exec sections contain e_entry ({}); the kernel WARNs", v.entry.matches.join(" and ")));
    }
    v.findings.extend(profile.silent_misapplications(obj));
    for (name, addr) in &layout.stray_empty {
        v.warnings.push(format!("empty section {name} is placed at {addr:#x}, outside the segment: symbols in it resolve outside the purgatory"));
    }
    for o in &layout.overruns {
        v.findings.push(format!("the loader's copy of section {} {}", o.section, o.reason));
    }
    if let Some(msg) = layout.too_large() {
        finish(&mut v, Some(msg), profile);
        return v;
    }
    v.image = layout::build_image(obj, &layout);

    let plans = plan::plan(obj, profile, &layout);
    let mut stop: Option<String> = None;
    for (i, (site, planned)) in plans.entries.iter().enumerate() {
        if stop.is_none() {
            if let Some((at, f)) = &plans.section_failure {
                if *at == i {
                    stop = Some(f.message.clone());
                }
            }
        }
        let howto = profile.arch().howto(site.r_type);
        let (status, value, place, message) = match planned {
            Planned::Fatal { status, message } => (*status, 0, 0, Some(message.clone())),
            Planned::Apply(p) => apply(obj, &layout, profile.arch(), p, &mut v.image, stop.is_none()),
        };
        if status == Status::OutOfBounds || status == Status::Malformed {
            if let Some(m) = &message {
                v.findings.push(m.clone());
            }
        }
        if status == Status::SilentlyTruncated {
            v.warnings.push(format!(
                "{} against {}: value {value:#x} silently truncated to {} bytes (the loader does not check)",
                howto.name, site.symbol, howto.width
            ));
        }
        if stop.is_none() && status.is_fatal() {
            stop = Some(match (status, message) {
                (Status::Overflow, _) => profile.overflow_message(site.r_type, &howto, value),
                (_, Some(m)) => m,
                (_, None) => format!("{} cannot be applied", howto.name),
            });
        }
        v.relocations.push(RelocResult {
            reloc_section: site.reloc_section,
            section: site.target.clone(),
            offset: site.offset,
            r_type: site.r_type,
            type_name: howto.name,
            symbol: site.symbol.clone(),
            addend: site.addend,
            place,
            value,
            status,
        });
    }
    if stop.is_none() {
        if let Some((_, f)) = &plans.section_failure {
            stop = Some(f.message.clone());
        }
    }
    if stop.is_none() && profile.checks_kexec_symbols() {
        let (errors, warnings) = symbols::check_kexec_symbols(obj);
        v.warnings.extend(warnings);
        stop = errors.into_iter().next();
    }
    finish(&mut v, stop, profile);
    v
}

fn finish(v: &mut Verdict, stop: Option<String>, profile: &dyn Profile) {
    if let Some(message) = stop {
        v.messages.push(message.clone());
        v.messages.extend(profile.failure_trailer());
        v.failure = Some(message);
    } else if let Some(f) = v.findings.first() {
        v.failure = Some(format!("memory corruption: {f}"));
    }
    v.loaded = v.failure.is_none();
    v.ok = v.loaded;
    if v.loaded && v.entry.misplaced() {
        if let Some(i) = &v.entry.intended {
            v.failure = Some(format!(
                "entry misplaced: the loader jumps to {:#x} ({}), but {} is at {:#x} ({})",
                v.entry.start,
                v.entry.section.as_deref().unwrap_or("no section"),
                i.symbol,
                i.addr,
                i.section
            ));
        }
        v.ok = false;
    }
}

/// Applies one plan to the image: (status, value, place, message).
fn apply(obj: &Object, layout: &Layout, arch: Arch, p: &Plan, image: &mut [u8], write: bool) -> (Status, u64, u64, Option<String>) {
    let width = p.howto.width;
    if p.howto.formula == Formula::None {
        return (Status::Ok, 0, 0, None);
    }
    let Some(field) = image.get_mut(p.buf_pos..p.buf_pos + width as usize) else {
        return (Status::OutOfBounds, 0, 0, Some(format!("{} writes outside the {}-byte image", p.howto.name, image.len())));
    };
    let in_place = if p.in_place { arch.load(field, width) } else { 0 };
    let (value, place) = field_value(obj, layout, p, in_place);
    if write {
        arch.store(&p.howto, field, value);
    }
    let status = match (p.howto.range.fits(value), p.checked) {
        (true, _) => Status::Ok,
        (false, true) => Status::Overflow,
        (false, false) => Status::SilentlyTruncated,
    };
    (status, value, place, None)
}
