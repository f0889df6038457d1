//! The oracle's verdict: what a loader would do with an object at one load address.

use std::sync::Arc;

use serde::Serialize;

use crate::entry::Entry;
use crate::layout::Placed;

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

/// One relocation as applied (or not) at the verdict's load address.
#[derive(Debug, Clone, Serialize)]
pub struct RelocResult {
    /// Index of the SHT_RELA/SHT_REL section.
    pub reloc_section: usize,
    /// Patched section.
    pub section: Arc<str>,
    pub offset: u64,
    pub r_type: u32,
    pub type_name: &'static str,
    pub symbol: Arc<str>,
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
        format!("{} against {}{} in {}+{:#x}", self.type_name, self.symbol, fmt_addend(self.addend), self.section, self.offset)
    }
}

/// `+0x40`, `-0x4`, or nothing for 0.
pub fn fmt_addend(a: i64) -> String {
    match a {
        0 => String::new(),
        a if a < 0 => format!("-{:#x}", a.unsigned_abs()),
        a => format!("+{a:#x}"),
    }
}

/// What a loader does with an object at one load address.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub profile: String,
    pub load_addr: u64,
    /// The loader accepts the object (no error, no memory corruption).
    pub loaded: bool,
    /// Loaded, and the loader jumps to the intended entry.
    pub ok: bool,
    pub bufsz: u64,
    pub memsz: u64,
    pub align: u64,
    pub sections: Vec<Placed>,
    pub entry: Entry,
    pub relocations: Vec<RelocResult>,
    /// What the loader itself prints, in order.
    pub messages: Vec<String>,
    /// Non-fatal problems, in kreloc's words.
    pub warnings: Vec<String>,
    /// Places where the real loader would corrupt memory or read garbage.
    pub findings: Vec<String>,
    /// One line: why it does not load or does not run as intended.
    pub failure: Option<String>,
    /// The relocated file-backed bytes (bss follows, zeroed, up to `memsz`).
    #[serde(skip)]
    pub image: Vec<u8>,
}

impl Verdict {
    /// The first relocation the loader stopped at.
    pub fn first_failed_relocation(&self) -> Option<&RelocResult> {
        self.relocations.iter().find(|r| r.status.is_fatal())
    }

    /// Distinct relocation type names present, sorted.
    pub fn reloc_types(&self) -> Vec<&'static str> {
        let mut v: Vec<_> = self.relocations.iter().map(|r| r.type_name).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}
