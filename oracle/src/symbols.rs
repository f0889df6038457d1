//! The kexec_file symbol protocol: after relocation the kernel writes the sha regions and digest.

use crate::elf::Object;

/// (name, size the kernel writes)
const KEXEC_SYMBOLS: [(&str, u64); 2] = [("purgatory_sha_regions", 16 * 16), ("purgatory_sha256_digest", 32)];

/// Errors (the load fails) and warnings for `purgatory_sha_regions` / `purgatory_sha256_digest`.
pub fn check_kexec_symbols(obj: &Object) -> (Vec<String>, Vec<String>) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for (name, size) in KEXEC_SYMBOLS {
        let Some(sym) = obj.global_symbol(name) else {
            warnings.push(format!("no global symbol {name}: a real kexec_file load would fail with -EINVAL when it sets it"));
            continue;
        };
        if sym.size != size {
            errors.push(format!("kexec_file: symbol {name} size mismatch: expected {} actual {size}", sym.size));
        } else if obj.sections.get(sym.shndx as usize).is_some_and(|s| s.is_nobits()) {
            errors.push(format!("kexec_file: symbol {name} is in a bss section. Cannot set"));
        }
    }
    (errors, warnings)
}
