//! What the loader puts in memory around a purgatory before it jumps there: the segments the digest covers
//! (a synthetic kernel, initrd and boot-parameters page of known bytes, and for kdump the zeroed backup
//! destination), and the symbols it sets in the relocated image. The digest is kreloc's own (sha2), over
//! the segments in order, each padded with zeroes to its memsz, as kernel/kexec_file.c
//! `kexec_calculate_store_digests()` and kexec-tools kexec/kexec.c `update_purgatory()` both compute it.

use kreloc_atomic::digest::hex;
use serde::Serialize;
use sha2::{Digest, Sha256};

use kreloc_oracle::{Object, Profile, Verdict};

/// Regions in the digest table: the kernel's KEXEC_SEGMENT_MAX and kexec-tools' SHA256_REGIONS.
const REGIONS: usize = 16;
/// Bytes of the low-memory backup region: kexec-tools' `get_backup_area()` takes the first RAM range below
/// 640 KiB (typically 0x1000..=0x9fbff); older kernels' crash.c copied 640 KiB from 0.
const KEXEC_TOOLS_BACKUP: u64 = 0x9ec00;
const KERNEL_BACKUP: u64 = 0xa0000;

/// One segment the loader placed (and digested, unless `digested` is false).
#[derive(Debug, Clone, Serialize)]
pub struct Placed {
    pub what: &'static str,
    pub addr: u64,
    pub memsz: u64,
    pub digested: bool,
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// A symbol the loader set, as kreloc set it.
#[derive(Debug, Clone, Serialize)]
pub struct SetSymbol {
    pub name: String,
    pub value_hex: String,
}

/// The loaded machine state, ready to run.
#[derive(Debug, Clone, Serialize)]
pub struct Loaded {
    pub segments: Vec<Placed>,
    pub symbols: Vec<SetSymbol>,
    /// SHA-256 of the digested segments, as stored in the purgatory.
    pub digest_hex: String,
    #[serde(skip)]
    pub image: Vec<u8>,
    /// What kreloc models differently from the real machine, in its words.
    pub modelled: Vec<String>,
}

/// Which loader's symbols to set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Kernel,
    KexecTools,
}

/// Places the segments below the purgatory (or above it, when it sits low) and sets every symbol the
/// loader sets. `Err` when a symbol cannot be written (the oracle's symbol stages say why).
pub fn load(obj: &Object, profile: &dyn Profile, v: &Verdict) -> Result<Loaded, String> {
    let flavour = if profile.arch_symbol_steps().is_empty() { Flavour::Kernel } else { Flavour::KexecTools };
    let mut image = v.image.clone();
    let base = segment_base(v.load_addr, v.memsz);
    let mut segments = vec![
        synthetic("kernel", base, 4),
        synthetic("initrd", base + (16 << 20), 3),
        synthetic("boot parameters", base + (32 << 20), 1),
    ];
    let mut symbols = Vec::new();
    let mut modelled = Vec::new();
    let backup = backup_symbols(obj, flavour);
    if let Some((size, [dest, src, size_name])) = backup {
        let (dest_addr, src_addr) = (base + (40 << 20), base + (48 << 20));
        segments.push(Placed {
            what: "backup destination",
            addr: dest_addr,
            memsz: size,
            digested: true,
            bytes: Vec::new(),
        });
        let mut low = synthetic("low memory (backup source)", src_addr, size.div_ceil(0x1000) as usize);
        (low.memsz, low.digested) = (size, false);
        low.bytes.truncate(size as usize);
        segments.push(low);
        for (name, value) in [(dest, dest_addr), (src, src_addr), (size_name, size)] {
            set(obj, v, &mut image, &mut symbols, name, &value.to_le_bytes())?;
        }
        modelled.push(format!(
            "the backup source (physical low memory) is mapped at {src_addr:#x}: a process cannot map page 0"
        ));
    }
    if flavour == Flavour::KexecTools {
        arch_symbols(obj, profile, v, &mut image, &mut symbols)?;
    }
    let digest = digest(&segments);
    let steps = profile.digest_symbol_steps();
    let (regions_name, digest_name) = match steps {
        [r, d] => (r.name, d.name),
        _ => return Err(format!("{} has no digest symbols", profile.name())),
    };
    set(obj, v, &mut image, &mut symbols, regions_name, &regions(&segments))?;
    set(obj, v, &mut image, &mut symbols, digest_name, &digest)?;
    Ok(Loaded { segments, symbols, digest_hex: hex(&digest), image, modelled })
}

/// Where the first synthetic segment goes: 64 MiB below the purgatory's 2 MiB-aligned address (a crash
/// kernel region holds the kernel and initrd below the purgatory, which is placed top-down), or 64 MiB
/// above its end when it sits too low for that.
fn segment_base(load_addr: u64, memsz: u64) -> u64 {
    let aligned = load_addr & !((2 << 20) - 1);
    match aligned.checked_sub(64 << 20) {
        Some(b) if b >= 16 << 20 => b,
        _ => (load_addr + memsz).next_multiple_of(2 << 20) + (64 << 20),
    }
}

/// `pages` pages of known, non-repeating bytes.
fn synthetic(what: &'static str, addr: u64, pages: usize) -> Placed {
    let len = pages * 0x1000;
    let bytes =
        (0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).rotate_left(7) as u8 ^ what.len() as u8).collect();
    Placed { what, addr, memsz: len as u64, digested: true, bytes }
}

/// The backup region's size and its (destination, source, size) symbols, where this purgatory copies one:
/// kexec-tools' `crashdump_backup_memory()` (set by `arch_update_purgatory()` for `kexec -p`), and older
/// kernels' `copy_backup_region()` (arch/x86/kernel/crash.c sets `purgatory_backup_*`).
fn backup_symbols(obj: &Object, flavour: Flavour) -> Option<(u64, [&'static str; 3])> {
    let (size, names) = match flavour {
        Flavour::KexecTools => (KEXEC_TOOLS_BACKUP, ["backup_start", "backup_src_start", "backup_src_size"]),
        Flavour::Kernel => (KERNEL_BACKUP, ["purgatory_backup_dest", "purgatory_backup_src", "purgatory_backup_sz"]),
    };
    names.iter().all(|n| obj.global_symbol(n).is_some()).then_some((size, names))
}

/// kexec-tools' `arch_update_purgatory()` for `kexec -p` with no console options: the `arch_options`
/// defaults (serial 0x3f8 at 115200, no VGA or serial console, no VGA reset) and `panic_kernel = 1`. The
/// backup symbols are set with the backup segments.
fn arch_symbols(
    obj: &Object,
    profile: &dyn Profile,
    v: &Verdict,
    image: &mut [u8],
    symbols: &mut Vec<SetSymbol>,
) -> Result<(), String> {
    for step in profile.arch_symbol_steps() {
        let value: u64 = match step.name {
            "serial_base" => 0x3f8,
            "serial_baud" => 115_200,
            "panic_kernel" => 1,
            "backup_start" | "backup_src_start" | "backup_src_size" => continue,
            _ => 0,
        };
        let bytes = value.to_le_bytes();
        let len = (step.size as usize).min(8);
        set(obj, v, image, symbols, step.name, &bytes[..len])?;
    }
    Ok(())
}

/// SHA-256 over the digested segments in order, each zero-padded to its memsz.
fn digest(segments: &[Placed]) -> [u8; 32] {
    let mut h = Sha256::new();
    for s in segments.iter().filter(|s| s.digested) {
        h.update(&s.bytes);
        h.update(vec![0u8; (s.memsz as usize).saturating_sub(s.bytes.len())]);
    }
    h.finalize().into()
}

/// The region table: {u64 start, u64 len} per digested segment, zero entries after.
fn regions(segments: &[Placed]) -> Vec<u8> {
    let mut table = vec![0u8; REGIONS * 16];
    for (i, s) in segments.iter().filter(|s| s.digested).take(REGIONS).enumerate() {
        table[i * 16..i * 16 + 8].copy_from_slice(&s.addr.to_le_bytes());
        table[i * 16 + 8..i * 16 + 16].copy_from_slice(&s.memsz.to_le_bytes());
    }
    table
}

/// Writes `bytes` over the global symbol `name` in the relocated image, as `elf_rel_set_symbol()` and
/// `kexec_purgatory_get_set_symbol()` do.
fn set(
    obj: &Object,
    v: &Verdict,
    image: &mut [u8],
    symbols: &mut Vec<SetSymbol>,
    name: &str,
    bytes: &[u8],
) -> Result<(), String> {
    let at = symbol_offset(obj, v, name).ok_or_else(|| format!("{name} is not a global symbol in the loaded image"))?;
    let end = at
        .checked_add(bytes.len() as u64)
        .filter(|&e| e <= image.len() as u64)
        .ok_or_else(|| format!("{name} lies outside the image's file-backed bytes"))?;
    image[at as usize..end as usize].copy_from_slice(bytes);
    symbols.push(SetSymbol { name: name.to_string(), value_hex: hex(bytes) });
    Ok(())
}

/// Offset of the global symbol `name` in the image.
pub fn symbol_offset(obj: &Object, v: &Verdict, name: &str) -> Option<u64> {
    crate::run_object::entry_offset(obj, v, v.load_addr, name).ok()
}

/// Flips one byte of the first digested segment with bytes: what a corrupted kernel looks like after the
/// loader stored the digest.
pub fn corrupt(loaded: &mut Loaded) -> Option<(&'static str, u64)> {
    let s = loaded.segments.iter_mut().find(|s| s.digested && !s.bytes.is_empty())?;
    let off = s.bytes.len() / 2;
    s.bytes[off] ^= 0x01;
    Some((s.what, s.addr + off as u64))
}
