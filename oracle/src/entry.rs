//! Where each loader era makes the kernel jump: the entry rules of kexec_file and kexec-tools.

use serde::Serialize;

use crate::elf::{consts::STB_GLOBAL, Name, Object};
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

/// The start address a loader computes, and how. Sections are named by index and symbols by `Name`: a
/// verdict's `ObjectNames` reads them (`Verdict::section_name`), only when a report does.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Address the loader will jump to.
    pub start: u64,
    /// Section the start was derived from, if any.
    pub section: Option<u32>,
    /// Every EXEC section that contains `e_entry` (by the original `sh_addr` test).
    pub matches: SectionList,
    /// The kernel fires `WARN_ON` (two exec sections contain the entry).
    pub warned: bool,
    /// The exec sections whose match fired a `WARN_ON`, one splat each (6.4+ checks every further section).
    pub warned_in: SectionList,
    /// Where the entry really is: `purgatory_start` (or the global function at `e_entry`), if known.
    pub intended: Option<IntendedEntry>,
}

/// The address the object means to be entered at.
#[derive(Debug, Clone)]
pub struct IntendedEntry {
    /// The symbol's name.
    pub symbol: Name,
    /// Its section's index.
    pub section: u32,
    pub addr: u64,
}

impl Entry {
    /// The loader jumps somewhere other than the intended entry.
    pub fn misplaced(&self) -> bool {
        self.intended.as_ref().is_some_and(|i| i.addr != self.start)
    }
}

/// Section indices in order, the first two kept inline: an entry is nearly always in one section, and a
/// load makes no allocation for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SectionList {
    first: [u32; 2],
    len: usize,
    more: Vec<u32>,
}

impl SectionList {
    pub fn push(&mut self, index: u32) {
        match self.first.get_mut(self.len) {
            Some(slot) => *slot = index,
            None => self.more.push(index),
        }
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.first[..self.len.min(2)].iter().chain(&self.more).copied()
    }
}

/// Computes the start address under `rule` for the placed `layout`.
pub fn resolve(obj: &Object, layout: &Layout, rule: EntryRule, require_alloc: bool) -> Entry {
    let e_entry = obj.entry;
    let scan = || {
        obj.sections
            .iter()
            .filter(move |s| s.is_exec() && (!require_alloc || s.is_alloc()))
            .filter(move |s| s.addr <= e_entry && e_entry < s.addr.wrapping_add(s.size))
            .map(|s| s.index)
    };
    let mut names = SectionList::default();
    scan().for_each(|i| names.push(i as u32));
    // The rules go through the matches kept, not the sections again.
    let matching = || names.iter().map(|i| i as usize);
    // One lookup of `purgatory_start` serves the intended entry and the 7.0+ rule.
    let start = purgatory_start(obj, layout);
    let intended = intended_entry(obj, layout, start);
    let from_section = |i: usize| e_entry.wrapping_sub(obj.sections[i].addr).wrapping_add(layout.section_addr(obj, i));

    let mut entry = Entry {
        start: e_entry,
        section: None,
        matches: SectionList::default(),
        warned: false,
        warned_in: SectionList::default(),
        intended,
    };
    match rule {
        EntryRule::FirstMatchSilent => {
            if let Some(i) = matching().next() {
                entry.start = from_section(i);
                entry.section = Some(i as u32);
            }
        }
        EntryRule::RecomputeEveryMatch => {
            for i in matching() {
                entry.start = entry.start.wrapping_sub(obj.sections[i].addr).wrapping_add(layout.section_addr(obj, i));
                entry.section = Some(i as u32);
            }
        }
        EntryRule::FirstMatchWarn => first_match_warn(obj, layout, matching(), &mut entry),
        EntryRule::SymbolThenScan => match start {
            Some((addr, _, section)) => {
                entry.start = addr;
                entry.section = Some(section);
            }
            None => first_match_warn(obj, layout, matching(), &mut entry),
        },
    }
    entry.matches = names;
    entry
}

fn first_match_warn(obj: &Object, layout: &Layout, matching: impl Iterator<Item = usize>, entry: &mut Entry) {
    for i in matching {
        // The kernel's test: WARN_ON(image->start != e_entry), i.e. start was already moved.
        if entry.start != obj.entry {
            entry.warned = true;
            entry.warned_in.push(i as u32);
            continue;
        }
        entry.start = obj.entry.wrapping_sub(obj.sections[i].addr).wrapping_add(layout.section_addr(obj, i));
        entry.section = Some(i as u32);
    }
}

/// `purgatory_start`: its address, name and section.
fn purgatory_start(obj: &Object, layout: &Layout) -> Option<(u64, Name, u32)> {
    let sym = obj.global_symbol("purgatory_start")?;
    let index = sym.shndx as usize;
    obj.sections.get(index)?;
    Some((layout.section_addr(obj, index).wrapping_add(sym.value), sym.name, sym.shndx))
}

/// `purgatory_start` if the object has one, otherwise the global function whose value equals `e_entry`
/// when exactly one section holds such a function.
fn intended_entry(obj: &Object, layout: &Layout, start: Option<(u64, Name, u32)>) -> Option<IntendedEntry> {
    if let Some((addr, symbol, section)) = start {
        return Some(IntendedEntry { symbol, section, addr });
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
        symbol: sym.name,
        section: sym.shndx,
        addr: layout.section_addr(obj, sym.shndx as usize).wrapping_add(sym.value),
    })
}

#[cfg(test)]
mod tests {
    use super::SectionList;

    #[test]
    fn a_section_list_keeps_its_order_past_the_inline_ones() {
        let mut list = SectionList::default();
        assert!(list.is_empty() && list.iter().next().is_none());
        for i in [7, 3, 9, 1] {
            list.push(i);
        }
        assert_eq!((list.len(), list.iter().collect::<Vec<_>>()), (4, vec![7, 3, 9, 1]));
        let mut two = SectionList::default();
        two.push(7);
        two.push(3);
        assert_eq!(two.iter().collect::<Vec<_>>(), [7, 3]);
        assert_ne!(two, list);
    }
}
