//! Typed loader messages, warnings and findings. Each variant has a stable `code()` (also its serde tag),
//! and `Display` renders exactly what the real loader prints. Fingerprints hash codes and fields, never text.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Whose printk/die text a message is: the same event reads differently in each loader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Loader {
    /// arch/x86/kernel/machine_kexec_64.c (`pr_fmt "kexec: "`) and kexec-bzimage64.c.
    LinuxX86_64,
    /// arch/s390/kernel/machine_kexec_file.c (`pr_fmt "kexec: "`).
    LinuxS390x,
    /// arch/riscv/kernel/machine_kexec_file.c / elf_kexec.c (no pr_fmt).
    LinuxRiscv64,
    /// kexec-tools kexec/kexec-elf-rel.c with kexec/arch/x86_64.
    KexecToolsX86_64,
    /// kexec-tools kexec/kexec-elf-rel.c with kexec/arch/i386.
    KexecToolsI386,
    /// kreloc's strict psABI reading (no real loader; kreloc's words).
    Strict,
}

impl Loader {
    fn is_kexec_tools(self) -> bool {
        matches!(self, Loader::KexecToolsX86_64 | Loader::KexecToolsI386)
    }
    /// The `pr_fmt` prefix of the kernel file that applies relocations.
    fn reloc_prefix(self) -> &'static str {
        match self {
            Loader::LinuxX86_64 | Loader::LinuxS390x => "kexec: ",
            _ => "",
        }
    }
}

/// How a symbol step reaches a symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    Get,
    Set,
    /// Only its address (`kexec_purgatory_get_symbol_addr`, `elf_rel_get_addr`).
    Address,
}

/// A header field a loader (or the strict reading) refuses.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "field", rename_all = "kebab-case")]
pub enum HeaderProblem {
    Class { found: String, expected: String },
    Type { e_type: u16 },
    Machine { found: u16, expected: u16 },
    ShentSize { found: u16 },
    AddressWraps { section: usize },
    AlignNotPowerOfTwo { section: String, align: u64 },
}

/// One line a loader prints (or, for silent `-E…` returns, the documented silence), in the loader's words.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum LoaderMessage {
    /// The relocation switch's default case.
    UnknownRelocation {
        loader: Loader,
        r_type: u32,
    },
    /// A checked field that does not hold the value.
    Overflow {
        loader: Loader,
        r_type: u32,
        value: u64,
    },
    UndefinedSymbol {
        loader: Loader,
        name: String,
    },
    CommonSymbol {
        loader: Loader,
        name: String,
    },
    InvalidSection {
        loader: Loader,
        shndx: u32,
        name: String,
    },
    /// Strict profile: a GOT-using relocation.
    NeedsGot {
        r_type: u32,
    },
    /// Linux `arch_kexec_apply_relocations` (generic, SHT_REL) or the strict reading.
    RelUnsupported {
        loader: Loader,
    },
    /// `kexec_apply_relocations` returns -ENOEXEC without printing.
    RelocSectionIndex {
        section: String,
        sh_info: u32,
        sh_link: u32,
        shnum: u32,
    },
    /// ELF header checks (legacy kernels: silent -ENOEXEC; kexec-tools: die).
    Header {
        loader: Loader,
        problem: HeaderProblem,
    },
    /// 6.4+ `kexec_purgatory_setup_sechdrs`: one WARN for each further exec section containing e_entry.
    EntryWarn {
        e_entry: u64,
        section: String,
    },
    /// The image loader's line after `kexec_load_purgatory` fails.
    LoadingPurgatoryFailed {
        loader: Loader,
        ret: i32,
    },
    /// `kexec_purgatory_get_set_symbol`: "symbol %s size mismatch" / kexec-tools "Symbol: %s has size".
    SymbolSizeMismatch {
        loader: Loader,
        name: String,
        st_size: u64,
        wanted: u64,
    },
    /// The symbol lives in a NOBITS section.
    SymbolInBss {
        loader: Loader,
        name: String,
        access: Access,
    },
    /// The symbol is not found (kernel: only `stack_end` prints this; the others fail silently).
    SymbolNotFound {
        loader: Loader,
        name: String,
        access: Access,
    },
    /// kexec-tools `elf_rel_find_symbol`: a matching global with `st_shndx` 0 or past e_shnum.
    SymbolBadIndex {
        name: String,
        shndx: u32,
    },
    /// riscv `elf_kexec_load`: setting `riscv_kernel_entry` failed (printed, then overwritten by later steps).
    UpdatePurgatoryFailed {
        ret: i32,
    },
    /// A segment too large for the loader's buffer allocation.
    TooLarge {
        bufsz: u64,
        memsz: u64,
    },
    /// A relocation the loader cannot apply for a reason of its own (kreloc's words).
    CannotApply {
        r_type: u32,
    },
}

impl LoaderMessage {
    /// A stable code naming the kind of event, for fingerprints and `--json`.
    pub fn code(&self) -> &'static str {
        match self {
            LoaderMessage::UnknownRelocation { .. } => "unknown-relocation",
            LoaderMessage::Overflow { .. } => "overflow",
            LoaderMessage::UndefinedSymbol { .. } => "undefined-symbol",
            LoaderMessage::CommonSymbol { .. } => "common-symbol",
            LoaderMessage::InvalidSection { .. } => "invalid-section",
            LoaderMessage::NeedsGot { .. } => "needs-got",
            LoaderMessage::RelUnsupported { .. } => "rel-unsupported",
            LoaderMessage::RelocSectionIndex { .. } => "reloc-section-index",
            LoaderMessage::Header { .. } => "header",
            LoaderMessage::EntryWarn { .. } => "entry-warn",
            LoaderMessage::LoadingPurgatoryFailed { .. } => "loading-purgatory-failed",
            LoaderMessage::SymbolSizeMismatch { .. } => "symbol-size-mismatch",
            LoaderMessage::SymbolInBss { .. } => "symbol-in-bss",
            LoaderMessage::SymbolNotFound { .. } => "symbol-not-found",
            LoaderMessage::SymbolBadIndex { .. } => "symbol-bad-index",
            LoaderMessage::UpdatePurgatoryFailed { .. } => "update-purgatory-failed",
            LoaderMessage::TooLarge { .. } => "too-large",
            LoaderMessage::CannotApply { .. } => "cannot-apply",
        }
    }
}

/// kexec-tools' `reloc_name()` (kexec/arch/x86_64/kexec-elf-rel-x86_64.c): a table that stops at
/// R_X86_64_TPOFF32 (23); later types print as `R_X86_64_<n>`.
pub fn kexec_tools_x86_64_name(r_type: u32) -> String {
    const OLD_TABLE: [&str; 24] = [
        "R_X86_64_NONE",
        "R_X86_64_64",
        "R_X86_64_PC32",
        "R_X86_64_GOT32",
        "R_X86_64_PLT32",
        "R_X86_64_COPY",
        "R_X86_64_GLOB_DAT",
        "R_X86_64_JUMP_SLOT",
        "R_X86_64_RELATIVE",
        "R_X86_64_GOTPCREL",
        "R_X86_64_32",
        "R_X86_64_32S",
        "R_X86_64_16",
        "R_X86_64_PC16",
        "R_X86_64_8",
        "R_X86_64_PC8",
        "R_X86_64_DTPMOD64",
        "R_X86_64_DTPOFF64",
        "R_X86_64_TPOFF64",
        "R_X86_64_TLSGD",
        "R_X86_64_TLSLD",
        "R_X86_64_DTPOFF32",
        "R_X86_64_GOTTPOFF",
        "R_X86_64_TPOFF32",
    ];
    match OLD_TABLE.get(r_type as usize) {
        Some(n) => (*n).to_string(),
        None => format!("R_X86_64_{r_type}"),
    }
}

fn type_name(loader: Loader, r_type: u32) -> String {
    match loader {
        Loader::KexecToolsX86_64 => kexec_tools_x86_64_name(r_type),
        Loader::Strict => crate::arch::Arch::X86_64.howto(r_type).name.to_string(),
        _ => crate::arch::Arch::I386.howto(r_type).name.to_string(),
    }
}

impl fmt::Display for LoaderMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use LoaderMessage::*;
        match self {
            UnknownRelocation { loader, r_type } => match loader {
                Loader::KexecToolsX86_64 => write!(f, "Unhandled rela relocation: {}", kexec_tools_x86_64_name(*r_type)),
                Loader::KexecToolsI386 => write!(f, "Unknown rel relocation: {r_type}"),
                Loader::Strict => write!(f, "{} cannot be applied by a purgatory loader", type_name(*loader, *r_type)),
                l => write!(f, "{}Unknown rela relocation: {r_type}", l.reloc_prefix()),
            },
            Overflow { loader, r_type, value } => match loader {
                Loader::KexecToolsX86_64 | Loader::KexecToolsI386 => {
                    write!(f, "overflow in relocation type {} val {value:x}", type_name(*loader, *r_type))
                }
                Loader::Strict => write!(f, "{} value {value:#x} does not fit the field", type_name(*loader, *r_type)),
                l => write!(f, "{}Overflow in relocation type {r_type} value {value:#x}", l.reloc_prefix()),
            },
            UndefinedSymbol { loader, name } => match loader {
                Loader::Strict => write!(f, "undefined symbol: {name}"),
                l => write!(f, "{}Undefined symbol: {name}", l.reloc_prefix()),
            },
            CommonSymbol { loader, name } => match loader {
                l if l.is_kexec_tools() => write!(f, "symbol: '{name}' in common section"),
                Loader::Strict => write!(f, "symbol '{name}' is COMMON (compile with -fno-common)"),
                l => write!(f, "{}symbol '{name}' in common section", l.reloc_prefix()),
            },
            InvalidSection { loader, shndx, name } => match loader {
                l if l.is_kexec_tools() => write!(f, "Invalid section: {shndx} for symbol {name}"),
                Loader::Strict => write!(f, "symbol {name} has invalid section index {shndx}"),
                l => write!(f, "{}Invalid section {shndx} for symbol {name}", l.reloc_prefix()),
            },
            NeedsGot { r_type } => write!(f, "{} needs a GOT, which the purgatory loader does not build", type_name(Loader::Strict, *r_type)),
            RelUnsupported { loader: Loader::Strict } => write!(f, "SHT_REL relocations are not valid for x86_64"),
            RelUnsupported { .. } => write!(f, "kexec_file: REL relocation unsupported"),
            RelocSectionIndex { section, sh_info, sh_link, shnum } => write!(
                f,
                "(no message) relocation section {section} has sh_info {sh_info} / sh_link {sh_link} >= e_shnum {shnum}: -ENOEXEC"
            ),
            Header { loader, problem } => {
                let text = match problem {
                    HeaderProblem::Class { found, expected } => format!("wrong ELF class {found} (expected {expected})"),
                    HeaderProblem::Type { e_type } => format!("e_type {e_type} is not ET_REL"),
                    HeaderProblem::Machine { found, expected } => format!("e_machine {found} is not {expected}"),
                    HeaderProblem::ShentSize { found } if loader.is_kexec_tools() => format!("Bad section header size: {found}"),
                    HeaderProblem::ShentSize { found } => format!("e_shentsize {found} is not sizeof(Elf64_Shdr)"),
                    HeaderProblem::AddressWraps { section } => format!("ELF section {section} address wraps"),
                    HeaderProblem::AlignNotPowerOfTwo { section, align } => format!("section {section} has sh_addralign {align}, not a power of two"),
                };
                match loader {
                    Loader::LinuxX86_64 => write!(f, "kexec_load_purgatory returns -ENOEXEC without a message: {text}"),
                    _ => write!(f, "{text}"),
                }
            }
            EntryWarn { e_entry, section } => write!(
                f,
                "WARNING: at kernel/kexec_file.c kexec_purgatory_setup_sechdrs: WARN_ON(image->start != e_entry): e_entry {e_entry:#x} is also inside exec section {section}"
            ),
            LoadingPurgatoryFailed { loader: Loader::LinuxRiscv64, ret } => write!(f, "Error loading purgatory ret={ret}"),
            LoadingPurgatoryFailed { .. } => write!(f, "kexec-bzImage64: Loading purgatory failed"),
            SymbolSizeMismatch { loader, name, st_size, wanted } => match loader {
                l if l.is_kexec_tools() => write!(f, "Symbol: {name} has size: {st_size} not {wanted}"),
                _ => write!(f, "kexec_file: symbol {name} size mismatch: expected {st_size} actual {wanted}"),
            },
            SymbolInBss { loader, name, access } => match loader {
                // elf_rel_get_symbol says "cannot set" too (a copy-paste in kexec-tools).
                l if l.is_kexec_tools() => write!(f, "Symbol: {name} is in a bss section cannot set"),
                _ => write!(f, "kexec_file: symbol {name} is in a bss section. Cannot {}", if *access == Access::Get { "get" } else { "set" }),
            },
            SymbolNotFound { loader, name, access } => match (loader.is_kexec_tools(), access) {
                (true, Access::Get) => write!(f, "Symbol: {name} not found cannot get"),
                (true, Access::Set) => write!(f, "Symbol: {name} not found cannot set"),
                (true, Access::Address) => write!(f, "Symbol: {name} not found cannot retrive it's address"),
                (false, _) => write!(f, "kexec-bzImage64: Could not find address of symbol {name}"),
            },
            SymbolBadIndex { name, shndx } => write!(f, "Symbol: {name} has Bad section index {shndx}"),
            UpdatePurgatoryFailed { ret } => write!(f, "Error update purgatory ret={ret}"),
            TooLarge { bufsz, memsz } => write!(f, "segment of {bufsz:#x} bytes ({memsz:#x} in memory): the buffer allocation fails (-ENOMEM)"),
            CannotApply { r_type } => write!(f, "relocation type {r_type} cannot be applied"),
        }
    }
}

/// A non-fatal oddity, in kreloc's words.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Warning {
    Misaligned {
        load_addr: u64,
        align: u64,
    },
    /// Several exec sections contain e_entry and the kernel WARNs (`count` WARNs).
    EntryWarns {
        sections: Vec<String>,
        count: usize,
    },
    StrayEmptySection {
        section: String,
        addr: u64,
    },
    SilentlyTruncated {
        type_name: String,
        symbol: String,
        value: u64,
        width: u8,
    },
}

impl Warning {
    pub fn code(&self) -> &'static str {
        self.kind().code()
    }

    /// The warning without the addresses, values and counts that move with the code.
    pub fn kind(&self) -> WarningKind {
        match self {
            Warning::Misaligned { .. } => WarningKind::Misaligned,
            Warning::EntryWarns { sections, .. } => WarningKind::EntryWarns { sections: sections.clone() },
            Warning::StrayEmptySection { section, .. } => WarningKind::StrayEmptySection { section: section.clone() },
            Warning::SilentlyTruncated { type_name, symbol, .. } => {
                WarningKind::SilentlyTruncated { type_name: type_name.clone(), symbol: symbol.clone() }
            }
        }
    }
}

/// A kind of warning: its code and the fields that name what it is about, so the same kind compares equal
/// across objects (and across load addresses).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum WarningKind {
    Misaligned,
    EntryWarns {
        sections: Vec<String>,
    },
    StrayEmptySection {
        section: String,
    },
    SilentlyTruncated {
        type_name: String,
        symbol: String,
    },
    /// A warning as a store written before warnings were typed kept it: its text with the numbers taken out.
    #[serde(untagged)]
    Legacy(String),
}

impl WarningKind {
    pub fn code(&self) -> &'static str {
        match self {
            WarningKind::Misaligned => "misaligned",
            WarningKind::EntryWarns { .. } => "entry-warns",
            WarningKind::StrayEmptySection { .. } => "stray-empty-section",
            WarningKind::SilentlyTruncated { .. } => "silently-truncated",
            WarningKind::Legacy(_) => "legacy",
        }
    }
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WarningKind::Misaligned => f.write_str("misaligned load address"),
            WarningKind::EntryWarns { sections } => {
                write!(f, "e_entry in {}: the kernel WARNs", sections.join(" and "))
            }
            WarningKind::StrayEmptySection { section } => write!(f, "empty section {section} outside the segment"),
            WarningKind::SilentlyTruncated { type_name, symbol } => {
                write!(f, "{type_name} against {symbol} silently truncated")
            }
            WarningKind::Legacy(text) => f.write_str(text),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Misaligned { load_addr, align } => {
                write!(f, "load address {load_addr:#x} is not aligned to the segment's {align:#x}")
            }
            Warning::EntryWarns { sections, count } => {
                write!(
                    f,
                    "{} exec sections contain e_entry ({}); the kernel WARNs {count} time(s)",
                    sections.len(),
                    sections.join(" and ")
                )
            }
            Warning::StrayEmptySection { section, addr } => {
                write!(f, "empty section {section} is placed at {addr:#x}, outside the segment: symbols in it resolve outside the purgatory")
            }
            Warning::SilentlyTruncated { type_name, symbol, value, width } => {
                write!(f, "{type_name} against {symbol}: value {value:#x} silently truncated to {width} bytes (the loader does not check)")
            }
        }
    }
}

/// Something the real loader does to memory that it does not own or did not mean to patch. Hazards do not
/// refuse the load (the real code goes on); `WriteOutsideSection` and `Malformed` stop kreloc's relocation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Finding {
    /// `ALIGN(x, 0)` (or a bad alignment) copies a section past the buffer. `into_padding`: the write stays inside
    /// the page-rounded allocation and the kernel never copies it into the segment (it is dropped).
    SectionPastBuffer { section: String, size: u64, offset: u64, bufsz: u64, align: u64, into_padding: bool },
    /// A section copied on top of another one.
    SectionOverlap { section: String, other: String, offset: u64, align: u64 },
    /// A bss section placed outside the segment: the purgatory clears memory it does not own.
    BssOutsideSegment { section: String, addr: u64, start: u64, end: u64, align: u64 },
    /// riscv: a PCREL_LO12_I not right after its auipc; the kernel patches the instruction after the auipc.
    DetachedLo12 { section: String, offset: u64, auipc_section: String, auipc: u64 },
    /// A relocation writing outside its section (the kernel does not check r_offset).
    WriteOutsideSection { type_name: String, section: String, offset: u64, width: u8, size: u64 },
    /// A relocation whose field falls outside the materialised image.
    WriteOutsideImage { type_name: String, image_len: usize },
    /// A symbol index past the symbol table.
    SymbolIndexPastTable { index: u32, count: usize },
    /// A relocation section whose sh_link is not a symbol table.
    NotASymbolTable { section: String, link: u32 },
}

impl Finding {
    pub fn code(&self) -> &'static str {
        match self {
            Finding::SectionPastBuffer { into_padding: true, .. } => "section-into-padding",
            Finding::SectionPastBuffer { .. } => "section-past-buffer",
            Finding::SectionOverlap { .. } => "section-overlap",
            Finding::BssOutsideSegment { .. } => "bss-outside-segment",
            Finding::DetachedLo12 { .. } => "detached-lo12",
            Finding::WriteOutsideSection { .. } => "write-outside-section",
            Finding::WriteOutsideImage { .. } => "write-outside-image",
            Finding::SymbolIndexPastTable { .. } => "symbol-index-past-table",
            Finding::NotASymbolTable { .. } => "not-a-symbol-table",
        }
    }

    /// Kreloc cannot follow the loader past it (the relocation stage fails); hazards return false.
    pub fn stops_relocation(&self) -> bool {
        matches!(
            self,
            Finding::WriteOutsideSection { .. }
                | Finding::WriteOutsideImage { .. }
                | Finding::SymbolIndexPastTable { .. }
                | Finding::NotASymbolTable { .. }
        )
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::SectionPastBuffer { section, size, offset, bufsz, align, into_padding } => {
                write!(f, "the loader's copy of section {section} copies {size:#x} bytes to buffer offset {offset:#x}, past the {bufsz:#x}-byte buffer (sh_addralign {align}): ")?;
                if *into_padding {
                    write!(f, "it writes past the section into padding of the page-rounded buffer, which is never copied (the bytes are dropped)")
                } else {
                    write!(f, "it corrupts memory past the buffer")
                }
            }
            Finding::SectionOverlap { section, other, offset, align } => write!(
                f,
                "the loader's copy of section {section} lands on section {other} at buffer offset {offset:#x} (sh_addralign {align}), overwriting it"
            ),
            Finding::BssOutsideSegment { section, addr, start, end, align } => write!(
                f,
                "the loader's copy of section {section} (bss) is placed at {addr:#x}, outside the segment {start:#x}..{end:#x} (sh_addralign {align}): bss lies outside the segment, and the purgatory would clear memory it does not own"
            ),
            Finding::DetachedLo12 { section, offset, auipc_section, auipc } => write!(
                f,
                "R_RISCV_PCREL_LO12_I in {section}+{offset:#x} is not the instruction after its auipc ({auipc_section}+{auipc:#x}): the kernel patches the wrong instruction, {auipc_section}+{:#x}",
                auipc.wrapping_add(4)
            ),
            Finding::WriteOutsideSection { type_name, section, offset, width, size } => write!(
                f,
                "{type_name} at {section}+{offset:#x} writes {width} bytes outside its {size:#x}-byte section (the kernel does not check r_offset and corrupts memory)"
            ),
            Finding::WriteOutsideImage { type_name, image_len } => write!(f, "{type_name} writes outside the {image_len}-byte image"),
            Finding::SymbolIndexPastTable { index, count } => {
                write!(f, "symbol index {index} is past the {count}-entry symbol table (the kernel reads past it)")
            }
            Finding::NotASymbolTable { section, link } => write!(
                f,
                "relocation section {section} links section {link}, which is not a symbol table (the kernel reads it as one)"
            ),
        }
    }
}
