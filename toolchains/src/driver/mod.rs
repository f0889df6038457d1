//! Driver-specific spelling: one module per kind of compiler driver.

pub mod cc;
pub mod rustc;
pub mod zig;

use crate::config::CompileConfig;
use crate::identity::{Kind, Toolchain};
use crate::process::Child;
use crate::{Error, Language, Unsupported};

/// The command compiling `src` to the object `out`.
pub fn compile_command(
    tc: &Toolchain,
    lang: Language,
    cfg: &CompileConfig,
    src: &std::path::Path,
    out: &std::path::Path,
    timeout: std::time::Duration,
) -> Result<Child, Error> {
    match (lang, &tc.kind) {
        (Language::Rust, Kind::Rustc) => rustc::command(tc, cfg, src, out, timeout),
        (Language::Rust, _) => Err(Unsupported::CannotCompileRust { toolchain: tc.id() }.into()),
        (Language::C, Kind::Rustc) => Err(Unsupported::RustcCannotCompileC.into()),
        (Language::C, Kind::Zig { .. }) => zig::command(tc, cfg, src, out, timeout),
        (Language::C, _) => cc::command(tc, cfg, src, out, timeout),
    }
}
