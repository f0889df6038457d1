//! Loader placement models: where each loader puts the purgatory on a given machine, and its exact
//! complaint when it cannot (seed 003). Plus the ARM zImage layout check (seed 004).
//!
//! It knows memory maps, hole searches and image sizes; it must not relocate anything (that is the oracle's job).

pub mod holes;
pub mod memmap;
pub mod zimage;

use kreloc_oracle::profile::{I386Mode, ProfileId};
use serde::Serialize;

use holes::{kernel_top_down, locate_hole, HoleRequest};
use memmap::{MemoryMap, Range};

/// A loader's purgatory placement policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Loader {
    /// kexec-tools i386 bzImage loader, relocatable kernel: `elf_rel_build_load(.., 0x3000, 0x7fffffff, -1)`.
    KexecToolsI386,
    /// The same with a non-relocatable kernel: `0x3000 .. 640 KiB`.
    KexecToolsI386NonReloc,
    /// kexec-tools i386 loader with the 2021 patch for an x86_64 kernel: `0x3000 .. ULONG_MAX` (32-bit).
    KexecToolsI386Kernel64,
    /// kexec-tools x86_64 bzImage64 loader: `0x3000 .. ULONG_MAX`, top-down.
    KexecToolsX86_64,
    /// Linux kexec_file bzImage64: `buf_min 0x3000`, `buf_max ULONG_MAX`, top-down.
    LinuxX86_64,
}

impl Loader {
    pub const ALL: [Loader; 5] = [
        Loader::KexecToolsI386,
        Loader::KexecToolsI386NonReloc,
        Loader::KexecToolsI386Kernel64,
        Loader::KexecToolsX86_64,
        Loader::LinuxX86_64,
    ];

    /// The name users type (`--loader`).
    pub fn name(self) -> String {
        match self {
            Loader::KexecToolsI386Kernel64 => "kexec-tools-i386-kernel64".into(),
            _ => self.profile().to_string(),
        }
    }

    /// Parses a loader name.
    pub fn parse(s: &str) -> Option<Loader> {
        Loader::ALL.into_iter().find(|l| l.name() == s)
    }

    /// The purgatory window `[min, max]` the loader asks for: its profile's, except that the 2021 patch for an
    /// x86_64 kernel lifts the i386 cap to the 32-bit `ULONG_MAX`.
    pub fn window(self) -> (u64, u64) {
        match self {
            Loader::KexecToolsI386Kernel64 => (self.profile().placement_window().0, u64::from(u32::MAX)),
            _ => self.profile().placement_window(),
        }
    }

    /// The oracle profile whose relocation rules this loader applies.
    pub fn profile(self) -> ProfileId {
        match self {
            Loader::KexecToolsI386 | Loader::KexecToolsI386Kernel64 => ProfileId::KexecToolsI386(I386Mode::Crash),
            Loader::KexecToolsI386NonReloc => ProfileId::KexecToolsI386(I386Mode::NonRelocatable),
            Loader::KexecToolsX86_64 => ProfileId::KexecToolsX86_64,
            Loader::LinuxX86_64 => ProfileId::LinuxX86_64(None),
        }
    }
}

/// What a loader does on a machine.
#[derive(Debug, Clone, Serialize)]
pub struct Placement {
    pub loader: Loader,
    pub memsz: u64,
    pub align: u64,
    /// The range the search was confined to (the crash reservation for kdump loads, else RAM).
    pub search: Option<Range>,
    /// The loader's own purgatory window.
    pub window: (u64, u64),
    /// Where the purgatory goes, if anywhere.
    pub address: Option<u64>,
    /// What the loader prints when it fails.
    pub messages: Vec<String>,
}

impl Placement {
    /// The highest address of the search range where the purgatory fits whole (aligned to its alignment,
    /// at least a page), ignoring the loader's window: where it would go if only the window did not stop it.
    pub fn top_of_search(&self) -> Option<u64> {
        let r = self.search?;
        let align = self.align.max(4096).checked_next_power_of_two()?;
        let at = r.end.checked_sub(self.memsz.max(1) - 1)? & !(align - 1);
        (at >= r.start).then_some(at)
    }
}

/// Places a purgatory of `memsz` bytes (alignment `align`) for a load with the given crash reservation
/// (a kdump load, `kexec -p`), or a plain load into RAM.
pub fn place(loader: Loader, map: &MemoryMap, crash: Option<Range>, memsz: u64, align: u64) -> Placement {
    let crash = crash.or(map.crash);
    let window = loader.window();
    let mut p = Placement { loader, memsz, align, search: crash, window, address: None, messages: Vec::new() };
    match loader {
        Loader::LinuxX86_64 => {
            let ranges: Vec<Range> = match crash {
                Some(c) => vec![c],
                None => map.ram.clone(),
            };
            p.address = kernel_top_down(&ranges, window.0, window.1, memsz, align);
            if p.address.is_none() {
                p.messages.push("kexec_file: no hole for the purgatory segment (-EADDRNOTAVAIL)".into());
                p.messages.push("kexec-bzImage64: Loading purgatory failed".into());
            }
        }
        _ => {
            // kexec-tools narrows mem_min/mem_max to the crash reservation for kdump loads.
            let (mem_min, mem_max) = crash.map_or((0, u64::MAX), |c| (c.start, c.end));
            let req = HoleRequest { size: memsz, align, min: window.0, max: window.1, end: -1 };
            match locate_hole(&map.ram, &[], mem_min, mem_max, req) {
                Ok(a) => p.address = Some(a),
                Err(m) => {
                    p.messages.push(m.to_string());
                    p.messages.push("locate_hole failed".into());
                }
            }
        }
    }
    p
}
