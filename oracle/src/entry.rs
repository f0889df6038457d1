//! Where each loader era makes the kernel jump: the entry rules of kexec_file and kexec-tools.

use serde::Serialize;

use crate::elf::{consts::STB_GLOBAL, Object, SmolStr};
use crate::layout::Layout;

/// The rule a loader uses to turn `e_entry` into a start address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EntryRule {
    /// Linux < 4.17 and kexec-tools: the first ALLOC+EXEC section containing `e_entry` wins, silently.
    FirstMatchSilent,
    /// Linux 4.17–6.3: every EXEC section containing `e_entry` recomputes `start` (`start -= sh_addr; start += mem + offset`).
    RecomputeEveryMatch,
    /// Linux 6.4–6.x (8652d44f466a): the first match wins, later matches fire `WARN_ON`.
    FirstMatchWarn,
    /// Linux 7.0+ (480e1d5c64bb): the `purgatory_start` symbol, else the `FirstMatchWarn` scan.
    SymbolThenScan,
}

/// The start address a loader computes, and how.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Address the loader will jump to.
    pub start: u64,
    /// Section the start was derived from, if any.
    pub section: Option<SmolStr>,
    /// Every EXEC section that contains `e_entry` (by the original `sh_addr` test).
    pub matches: Vec<SmolStr>,
    /// The kernel fires `WARN_ON` (two exec sections contain the entry).
    pub warned: bool,
    /// The exec sections whose match fired a `WARN_ON`, one splat each (6.4+ checks every further section).
    pub warned_in: Vec<SmolStr>,
    /// Where the entry really is: `purgatory_start` (or the global function at `e_entry`), if known.
    pub intended: Option<IntendedEntry>,
}

/// The address the object means to be entered at.
#[derive(Debug, Clone, Serialize)]
pub struct IntendedEntry {
    pub symbol: SmolStr,
    pub section: SmolStr,
    pub addr: u64,
}

impl Entry {
    /// The loader jumps somewhere other than the intended entry.
    pub fn misplaced(&self) -> bool {
        self.intended.as_ref().is_some_and(|i| i.addr != self.start)
    }
}

/// Computes the start address under `rule` for the placed `layout`.
pub fn resolve(obj: &Object, layout: &Layout, rule: EntryRule, require_alloc: bool) -> Entry {
    let e_entry = obj.entry;
    let matching = || {
        obj.sections
            .iter()
            .filter(move |s| s.is_exec() && (!require_alloc || s.is_alloc()))
            .filter(move |s| s.addr <= e_entry && e_entry < s.addr.wrapping_add(s.size))
            .map(|s| s.index)
    };
    let names = matching().map(|i| obj.section_name(i as u32)).collect();
    // One lookup of `purgatory_start` serves the intended entry and the 7.0+ rule.
    let start = purgatory_start(obj, layout);
    let intended = intended_entry(obj, layout, start.clone());
    let from_section = |i: usize| e_entry.wrapping_sub(obj.sections[i].addr).wrapping_add(layout.section_addr(obj, i));

    let mut entry =
        Entry { start: e_entry, section: None, matches: names, warned: false, warned_in: Vec::new(), intended };
    match rule {
        EntryRule::FirstMatchSilent => {
            if let Some(i) = matching().next() {
                entry.start = from_section(i);
                entry.section = Some(obj.section_name(i as u32));
            }
        }
        EntryRule::RecomputeEveryMatch => {
            for i in matching() {
                entry.start = entry.start.wrapping_sub(obj.sections[i].addr).wrapping_add(layout.section_addr(obj, i));
                entry.section = Some(obj.section_name(i as u32));
            }
        }
        EntryRule::FirstMatchWarn => first_match_warn(obj, layout, matching(), &mut entry),
        EntryRule::SymbolThenScan => match start {
            Some((addr, section)) => {
                entry.start = addr;
                entry.section = Some(section);
            }
            None => first_match_warn(obj, layout, matching(), &mut entry),
        },
    }
    entry
}

fn first_match_warn(obj: &Object, layout: &Layout, matching: impl Iterator<Item = usize>, entry: &mut Entry) {
    for i in matching {
        // The kernel's test: WARN_ON(image->start != e_entry), i.e. start was already moved.
        if entry.start != obj.entry {
            entry.warned = true;
            entry.warned_in.push(obj.section_name(i as u32));
            continue;
        }
        entry.start = obj.entry.wrapping_sub(obj.sections[i].addr).wrapping_add(layout.section_addr(obj, i));
        entry.section = Some(obj.section_name(i as u32));
    }
}

fn purgatory_start(obj: &Object, layout: &Layout) -> Option<(u64, SmolStr)> {
    let sym = obj.global_symbol("purgatory_start")?;
    let index = sym.shndx as usize;
    obj.sections.get(index)?;
    Some((layout.section_addr(obj, index).wrapping_add(sym.value), obj.section_name(sym.shndx)))
}

/// `purgatory_start` if the object has one, otherwise the global function whose value equals `e_entry`
/// when exactly one section holds such a function.
fn intended_entry(obj: &Object, layout: &Layout, start: Option<(u64, SmolStr)>) -> Option<IntendedEntry> {
    if let Some((addr, section)) = start {
        return Some(IntendedEntry { symbol: SmolStr::new_static("purgatory_start"), section, addr });
    }
    let mut candidates = obj.symtabs.iter().flat_map(|(_, s)| s.iter()).filter(|s| {
        s.bind == STB_GLOBAL
            && s.kind == 2
            && s.value == obj.entry
            && obj.sections.get(s.shndx as usize).is_some_and(|sec| sec.is_exec())
    });
    let sym = candidates.next()?;
    if candidates.next().is_some() {
        return None;
    }
    Some(IntendedEntry {
        symbol: obj.name_smol(sym.name),
        section: obj.section_name(sym.shndx),
        addr: layout.section_addr(obj, sym.shndx as usize).wrapping_add(sym.value),
    })
}
