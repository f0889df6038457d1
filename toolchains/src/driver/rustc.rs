//! rustc: `#![no_std]` libraries to one object; code model and relocation model via `-C`.

use std::path::Path;
use std::time::Duration;

use crate::config::{CodeModel, CompileConfig, Pic, Visibility};
use crate::identity::Toolchain;
use crate::process::Child;
use crate::Error;

pub fn command(tc: &Toolchain, cfg: &CompileConfig, src: &Path, out: &Path, timeout: Duration) -> Result<Child, Error> {
    if cfg.lto {
        return Err(Error::Unsupported("rustc LTO needs a final link; use a C toolchain for LTO configs".into()));
    }
    if cfg.visibility == Visibility::Hidden || !cfg.extra.is_empty() || !cfg.kernel.is_empty() {
        return Err(Error::Unsupported("rustc has no -fvisibility or C flags; use the default visibility and no extra flags".into()));
    }
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
    Ok(Child::new(&tc.exe, timeout)
        .args(["--crate-type=lib", "--emit=obj", "--edition=2021", "-C", "panic=abort", "-C", "debuginfo=0"])
        .args(["-C", &format!("code-model={model}"), "-C", &format!("relocation-model={reloc}"), "-C", &format!("opt-level={}", cfg.opt)])
        .arg(src)
        .arg("-o")
        .arg(out))
}
