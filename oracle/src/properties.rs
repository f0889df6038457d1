//! Cross-profile properties the fuzzers and tests check; each returns the first violation.

use crate::elf::Object;
use crate::profile::{self, Profile, ProfileId};
use crate::relocate::Image;
use crate::verdict::Verdict;
use crate::window;

/// The verdicts one object's properties have computed, by profile and address: the compiled program's fixed
/// addresses and the linux/strict comparison often ask for the same load. A load is made with its image only
/// where an image is compared; the window's probes ask only whether the object relocates (`relocates`).
#[derive(Default)]
struct Loads {
    done: Vec<Load>,
}

struct Load {
    profile: ProfileId,
    at: u64,
    verdict: Verdict,
    image: Image,
}

/// The addresses the compiled program is checked at (and the window always probes, when the loader allows).
const FIXED: [u64; 3] = [0x3000, 0x1_3fff_b000, 0xffff_ffff_8000_0000];

impl Loads {
    fn get(&mut self, obj: &Object, p: &dyn Profile, at: u64, image: Image) -> &Verdict {
        let i = self.index(obj, p, at, image);
        &self.done[i].verdict
    }

    /// Whether the object relocates there: a load already made answers, or `relocates` does.
    fn loaded(&self, obj: &Object, p: &dyn Profile, at: u64) -> bool {
        match self.made(p.id(), at) {
            Some(i) => self.done[i].verdict.loaded,
            None => crate::relocates(obj, p, at),
        }
    }

    fn made(&self, profile: ProfileId, at: u64) -> Option<usize> {
        self.done.iter().position(|l| l.at == at && l.profile == profile)
    }

    /// The load at `at`, made again with its image when one is wanted and the one made has none.
    fn index(&mut self, obj: &Object, p: &dyn Profile, at: u64, image: Image) -> usize {
        let id = p.id();
        let found = self.made(id, at);
        if let Some(i) = found.filter(|&i| image == Image::Skipped || self.done[i].image == Image::Built) {
            return i;
        }
        let load = Load { profile: id, at, verdict: crate::load_as(obj, p, at, image), image };
        match found {
            Some(i) => {
                self.done[i] = load;
                i
            }
            None => {
                self.done.push(load);
                self.done.len() - 1
            }
        }
    }
}

/// Which property an object broke, and how.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    #[error("{profile}: window says {window_allows} at {at:#x}, relocation says {relocation}")]
    WindowDisagrees { profile: ProfileId, at: u64, window_allows: bool, relocation: String },
    #[error("linux and strict images differ at {at:#x}")]
    LinuxStrictDiffer { at: u64 },
    #[error("{profile}: compiled program says {compiled} at {at:#x}, the reference {reference}")]
    CompiledDisagrees { profile: ProfileId, at: u64, compiled: String, reference: String },
    #[error("{profile}: the relocator's straight path and its general path differ at {at:#x}:\n{straight}\n{general}")]
    StraightPathDiffers { profile: ProfileId, at: u64, straight: String, general: String },
}

/// Aligned addresses to probe: window edges and their neighbours, plus a few fixed ones.
fn probes(w: &window::Window) -> Vec<u64> {
    let mut v = FIXED.to_vec();
    for &(lo, hi) in w.intervals.0.iter().chain(&w.relocatable.0) {
        v.extend([lo, hi, lo.wrapping_sub(w.align), hi.wrapping_add(w.align)]);
    }
    let (lo, hi) = w.loader;
    let last = hi.saturating_sub(w.memsz.saturating_sub(1));
    v.retain(|&a| a >= lo && a <= last && a % w.align == 0);
    v.sort_unstable();
    v.dedup();
    v
}

/// The window analysis agrees with concrete relocation at probed addresses.
pub fn window_matches_relocation(obj: &Object, p: &dyn Profile) -> Result<(), Violation> {
    window_matches(obj, p, &mut Loads::default())
}

fn window_matches(obj: &Object, p: &dyn Profile, loads: &mut Loads) -> Result<(), Violation> {
    let w = window::window(obj, p);
    if !w.exact {
        return Ok(());
    }
    for at in probes(&w) {
        if w.allows(at) != loads.loaded(obj, p, at) {
            return Err(Violation::WindowDisagrees {
                profile: p.id(),
                at,
                window_allows: w.allows(at),
                relocation: format!("{:?}", loads.get(obj, p, at, Image::Skipped).failure),
            });
        }
    }
    Ok(())
}

/// Where `linux-x86_64` and `strict-x86_64` both load with the same placement, they produce the same bytes.
/// (The placements differ legitimately where the kernel's `ALIGN(x, 0)` quirk applies.)
pub fn linux_and_strict_agree(obj: &Object) -> Result<(), Violation> {
    linux_strict(obj, &mut Loads::default())
}

fn linux_strict(obj: &Object, loads: &mut Loads) -> Result<(), Violation> {
    let (linux, strict) = (profile::LinuxX86_64::current(), profile::StrictX86_64);
    {
        let at = 0x1_3fff_b000u64;
        // Images are compared only where both load: most objects fail under one of the two.
        if !(loads.loaded(obj, &linux, at) && loads.loaded(obj, &strict, at)) {
            return Ok(());
        }
        let (a, b) = (loads.index(obj, &linux, at, Image::Built), loads.index(obj, &strict, at, Image::Built));
        let (a, b) = (&loads.done[a].verdict, &loads.done[b].verdict);
        let same_layout = a.sections.iter().map(|p| p.addr).eq(b.sections.iter().map(|p| p.addr));
        if a.loaded && b.loaded && same_layout && a.image != b.image {
            return Err(Violation::LinuxStrictDiffer { at });
        }
    }
    Ok(())
}

/// The compiled program writes the reference relocator's bytes and stops where it stops.
pub fn compiled_matches_reference(obj: &Object, p: &dyn Profile) -> Result<(), Violation> {
    compiled_matches(obj, p, &mut Loads::default())
}

fn compiled_matches(obj: &Object, p: &dyn Profile, loads: &mut Loads) -> Result<(), Violation> {
    use crate::compiled::{Compiled, Stopped};
    if p.validate(obj).is_err() {
        return Ok(());
    }
    let Ok(c) = Compiled::new(obj, p) else { return Ok(()) };
    // One segment serves every address: each call restores only the fields the previous one wrote.
    let mut out = c.segment();
    for at in FIXED {
        // The reference's image is built only where the bytes are compared.
        let result = c.relocate_again(at, &mut out);
        let agrees = match result {
            Ok(()) => {
                let v = loads.get(obj, p, at, Image::Built);
                v.loaded && out.bytes() == v.image
            }
            Err(Stopped::Overflow { index, value }) => {
                let v = loads.get(obj, p, at, Image::Skipped);
                !v.loaded && v.relocations.value(index) == Some(value)
            }
            Err(Stopped::Misaligned { .. }) => true,
            Err(_) => false,
        };
        if !agrees {
            return Err(Violation::CompiledDisagrees {
                profile: p.id(),
                at,
                compiled: format!("{result:?}"),
                reference: format!("{:?}", loads.get(obj, p, at, Image::Skipped).failure),
            });
        }
    }
    Ok(())
}

/// The relocator's straight path (the common entries in one loop) gives the general path's whole verdict,
/// image included, under every profile at the fixed addresses. Compares every field as printed: for tests,
/// not the fuzzers' loop.
pub fn straight_path_matches_general(obj: &Object) -> Result<(), Violation> {
    use crate::relocate::{load_by, Path};
    for (p, at) in all_profiles().iter().flat_map(|p| FIXED.map(|at| (p, at))) {
        let p: &dyn Profile = &**p;
        let straight = printed(load_by(obj, p, at, Image::Built, Path::Straight));
        let general = printed(load_by(obj, p, at, Image::Built, Path::General));
        if straight != general {
            return Err(Violation::StraightPathDiffers { profile: p.id(), at, straight, general });
        }
    }
    Ok(())
}

/// Every field of a verdict as printed, its relocations as each of `Relocations`' readers reads them (how
/// the verdict keeps them is its own affair).
fn printed(mut v: Verdict) -> String {
    let r = &v.relocations;
    let each: Vec<_> = (0..=r.len()).map(|i| (r.get(i), r.status(i), r.value(i))).collect();
    let read = format!(
        "{:?}\n{each:?}\n{:?}\n{:?}\n{:?}",
        r.iter().collect::<Vec<_>>(),
        r.statuses().collect::<Vec<_>>(),
        r.type_names().collect::<Vec<_>>(),
        v.first_failed_relocation(),
    );
    v.relocations = Default::default();
    format!("{v:?}\n{read}")
}

/// Every catalogue profile, built once.
fn all_profiles() -> &'static [Box<dyn Profile>] {
    static ALL: std::sync::OnceLock<Vec<Box<dyn Profile>>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| profile::catalogue().iter().filter_map(|(name, _)| profile::parse(name).ok()).collect())
}

/// Runs every property under every profile.
pub fn check_all(obj: &Object) -> Result<(), Violation> {
    (0..all_profiles().len()).try_for_each(|i| check_one(obj, i))
}

/// Runs the window property under the `which`-th catalogue profile, and the linux/strict comparison.
pub fn check_one(obj: &Object, which: usize) -> Result<(), Violation> {
    let (all, mut loads) = (all_profiles(), Loads::default());
    window_matches(obj, &*all[which % all.len()], &mut loads)?;
    compiled_matches(obj, &*all[which % all.len()], &mut loads)?;
    linux_strict(obj, &mut loads)
}
