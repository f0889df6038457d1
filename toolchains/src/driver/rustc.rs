//! rustc: `#![no_std]` libraries to one object. Every config axis and C flag is mapped to rustc's own
//! spelling; a flag with none makes the cell *not expressible* (not judged), never a compile error.

use std::path::Path;
use std::time::Duration;

use crate::config::{CfProtection, CodeModel, CompileConfig, KernelFlag, Pic, StackProtector, Visibility};
use crate::identity::Toolchain;
use crate::process::Child;
use crate::Error;

/// How rustc spells a C flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// These rustc arguments.
    Args(&'static [&'static str]),
    /// Nothing: rustc already behaves so (the reason says why).
    Implied(&'static str),
    /// No rustc switch; the nearest behaviour is kept and the difference named.
    Approximated(&'static str),
}

/// C flags of the named configs and the driver's base flags, in rustc's terms.
pub const C_FLAGS: &[(&str, Spelling)] = &[
    ("-ffreestanding", Spelling::Implied("the programs are #![no_std]")),
    ("-ffunction-sections", Spelling::Args(&["-Z", "function-sections=yes"])),
    ("-fno-stack-protector", Spelling::Implied("rustc adds no stack protector unless -Z stack-protector asks")),
    ("-g0", Spelling::Implied("-C debuginfo=0")),
    ("-fno-common", Spelling::Implied("Rust has no common symbols")),
    ("-fcf-protection=none", Spelling::Implied("rustc emits no CET markers unless -Z cf-protection asks")),
    ("-fno-asynchronous-unwind-tables", Spelling::Implied("-C force-unwind-tables=no is always given")),
    ("-mno-red-zone", Spelling::Args(&["-C", "no-redzone=yes"])),
    ("-mno-sse", Spelling::Args(&["-C", "target-feature=-sse"])),
    ("-mno-sse2", Spelling::Args(&["-C", "target-feature=-sse2"])),
    ("-mno-mmx", Spelling::Implied("rustc never emits MMX code")),
    ("-fno-zero-initialized-in-bss", Spelling::Approximated("rustc has no switch: zero statics stay in .bss")),
];

/// What a C config gets without asking, in rustc's terms: all functions in one `.text` (rustc's default is a
/// section per function, which C drivers give only under -ffunction-sections).
pub const ONE_TEXT: &[&str] = &["-Z", "function-sections=no"];

/// No unwind tables: clang -ffreestanding emits no `.eh_frame` (gcc does, but rustc's peer in a comparison
/// is an LLVM cell).
pub const NO_UNWIND_TABLES: &[&str] = &["-C", "force-unwind-tables=no"];

/// How rustc spells hidden visibility: rustc keeps `#[no_mangle]` items at default visibility, so direct
/// (non-GOT) access to them is asked for too, which is the code C's -fvisibility=hidden gives.
pub const HIDDEN: &[&str] = &["-Z", "default-visibility=hidden", "-Z", "direct-access-external-data=yes"];

/// How rustc spells LTO: with one crate and no_std there is nothing else to link, so the whole crate is
/// optimised as one unit.
pub const LTO: &[&str] = &["-C", "lto=fat", "-C", "codegen-units=1"];

/// The rustc spelling of a C flag, if it has one.
pub fn spelling(flag: &str) -> Option<Spelling> {
    C_FLAGS.iter().find(|(f, _)| *f == flag).map(|(_, s)| *s)
}

/// rustc's arguments for a config (`-Z` ones need RUSTC_BOOTSTRAP=1), or why it cannot be expressed.
pub fn config_args(cfg: &CompileConfig) -> Result<Vec<String>, Error> {
    let model = match cfg.mcmodel {
        CodeModel::Small => "small",
        CodeModel::Kernel => "kernel",
        CodeModel::Medium => "medium",
        CodeModel::Large => "large",
    };
    let reloc = match cfg.pic {
        Pic::None => "static",
        Pic::Pie => "pie",
        Pic::Pic => "pic",
    };
    let mut args: Vec<String> = [
        "-C",
        &format!("code-model={model}"),
        "-C",
        &format!("relocation-model={reloc}"),
        "-C",
        &format!("opt-level={}", cfg.opt),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if !cfg.extra.iter().any(|f| f == "-ffunction-sections") {
        args.extend(ONE_TEXT.iter().map(|s| s.to_string()));
    }
    args.extend(NO_UNWIND_TABLES.iter().map(|s| s.to_string()));
    // C drivers call through the PLT (PLT32) under -fpic/-fpie; rustc's default on x86_64 is the GOT.
    if cfg.pic != Pic::None {
        args.extend(["-Z", "plt=yes"].map(String::from));
    }
    if cfg.visibility == Visibility::Hidden {
        args.extend(HIDDEN.iter().map(|s| s.to_string()));
    }
    if cfg.lto {
        args.extend(LTO.iter().map(|s| s.to_string()));
    }
    for flag in &cfg.extra {
        match spelling(flag) {
            Some(Spelling::Args(a)) => args.extend(a.iter().map(|s| s.to_string())),
            Some(Spelling::Implied(_) | Spelling::Approximated(_)) => {}
            None => return Err(Error::NotExpressible { toolchain: "rustc", flag: flag.clone() }),
        }
    }
    for flag in &cfg.kernel {
        match kernel_flag_args(flag) {
            Some(a) => args.extend(a),
            None => {
                return Err(Error::NotExpressible {
                    toolchain: "rustc",
                    flag: flag.spelling(crate::config::Dialect::Gcc).join(" "),
                })
            }
        }
    }
    Ok(args)
}

/// rustc's spelling of a kernel code-generation flag (`-Z`, so RUSTC_BOOTSTRAP=1). Retpoline and kcfi have
/// spellings but need `-C unsafe-allow-abi-mismatch` against the precompiled `core`, and `-mfentry` has
/// none, so those cells are not judged.
fn kernel_flag_args(flag: &KernelFlag) -> Option<Vec<String>> {
    let z = |v: String| Some(vec!["-Z".to_string(), v]);
    match flag {
        KernelFlag::Pg => z("instrument-mcount".into()),
        KernelFlag::StackProtector { level } => z(format!(
            "stack-protector={}",
            match level {
                StackProtector::Default => "basic",
                StackProtector::Strong => "strong",
                StackProtector::All => "all",
            }
        )),
        KernelFlag::ReturnThunkExtern => z("function-return=thunk-extern".into()),
        KernelFlag::CfProtection { kind } => z(format!(
            "cf-protection={}",
            match kind {
                CfProtection::None => "none",
                CfProtection::Branch => "branch",
                CfProtection::Return => "return",
                CfProtection::Full => "full",
            }
        )),
        KernelFlag::PatchableEntry { total, before } => z(format!("patchable-function-entry={total},{before}")),
        KernelFlag::IndirectBranchRegister
        | KernelFlag::RetpolineExternal
        | KernelFlag::Fentry
        | KernelFlag::HardenSls
        | KernelFlag::Kcfi
        | KernelFlag::ThinLto => None,
    }
}

/// The C flags of a config that rustc only approximates, with what differs.
pub fn approximations(cfg: &CompileConfig) -> Vec<(String, &'static str)> {
    cfg.extra
        .iter()
        .filter_map(|f| match spelling(f) {
            Some(Spelling::Approximated(why)) => Some((f.clone(), why)),
            _ => None,
        })
        .collect()
}

pub fn command(tc: &Toolchain, cfg: &CompileConfig, src: &Path, out: &Path, timeout: Duration) -> Result<Child, Error> {
    let args = config_args(cfg)?;
    Ok(Child::new(&tc.exe, timeout)
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["--crate-type=lib", "--emit=obj", "--edition=2021", "-C", "panic=abort", "-C", "debuginfo=0"])
        .args(args)
        .arg(src)
        .arg("-o")
        .arg(out))
}
