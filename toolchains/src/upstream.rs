//! The upstream spelling of a cell's compile and link: the plain `clang-18`/`gcc-12`/`rustc` command an
//! LLVM or GCC tracker asks for, with no machine paths, each flag once. A zig cell is its bundled clang:
//! `zig cc -target x86_64-freestanding-none` becomes `clang-N -target x86_64-unknown-linux-gnu`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::CompileConfig;
use crate::driver::{cc, rustc, zig};
use crate::identity::{Family, Kind, Toolchain};
use crate::link::{self, Link};
use crate::process::shell_quote;
use crate::{Error, Language};

/// The target a zig cell's flags mean with upstream clang.
pub const LINUX_TARGET: &str = "x86_64-unknown-linux-gnu";

/// A cell's commands as upstream spells them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plain {
    /// `clang-18`, `gcc-12`, `rustc`.
    pub compiler: String,
    /// The compile, then the link (if any), run in a directory holding `purgatory.c` (or `.rs`).
    pub commands: Vec<String>,
    /// How this differs from what ran (a zig cell names its LLVM).
    pub note: Option<String>,
}

/// The upstream driver's name for a toolchain.
pub fn driver_name(tc: &Toolchain) -> String {
    match (&tc.kind, tc.family) {
        (Kind::Rustc, _) => "rustc".into(),
        (Kind::Zig { .. } | Kind::AptClang, _) => format!("clang-{}", tc.version.major()),
        (Kind::AptGcc, Family::Gcc) => format!("gcc-{}", tc.version.major()),
        _ => file_name(&tc.exe),
    }
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| p.display().to_string())
}

fn line(parts: impl IntoIterator<Item = String>) -> String {
    parts.into_iter().map(|p| shell_quote(&p)).collect::<Vec<_>>().join(" ")
}

/// The plain compile (and link) of `tc` × `cfg`, with the names `compile.rs` uses (`purgatory.c` → `.o` → `.ro`).
pub fn plain(tc: &Toolchain, lang: Language, cfg: &CompileConfig, link: Option<&Link>) -> Result<Plain, Error> {
    let compiler = driver_name(tc);
    let src = match lang {
        Language::C => "purgatory.c",
        Language::Rust => "purgatory.rs",
    };
    let out = ["-o".to_string(), "purgatory.o".to_string()];
    let (compile, note) = match (&tc.kind, lang) {
        (Kind::Rustc, _) => {
            let mut plain_tc = tc.clone();
            plain_tc.exe = PathBuf::from(&compiler);
            let c = rustc::command(&plain_tc, cfg, Path::new(src), Path::new("purgatory.o"), Duration::from_secs(1))?;
            (format!("RUSTC_BOOTSTRAP=1 {}", c.display()), None)
        }
        (Kind::Zig { zig_version }, _) => {
            let parts = [compiler.clone(), "-target".into(), LINUX_TARGET.into()]
                .into_iter()
                .chain(zig::flags(cfg)?)
                .chain([src.to_string()])
                .chain(out);
            let note = format!("zig {zig_version} bundles LLVM {}: this is its `zig cc -target x86_64-freestanding-none` as upstream clang {} spells it", tc.version, tc.version.major());
            (line(parts), Some(note))
        }
        _ => (line([compiler.clone()].into_iter().chain(cc::flags(tc, cfg)).chain([src.to_string()]).chain(out)), None),
    };
    let mut commands = vec![compile];
    if let Some(l) = link {
        let mut driver = tc.clone();
        driver.exe = PathBuf::from(&compiler);
        if matches!(driver.kind, Kind::Zig { .. }) {
            driver.kind = Kind::AptClang;
        }
        let scratch = tempfile::tempdir()?;
        let child = link::command(
            l,
            &driver,
            cfg,
            Path::new("purgatory.o"),
            Path::new("purgatory.ro"),
            scratch.path(),
            Duration::from_secs(1),
        )?;
        let shown = child.display();
        // The linker by its name (`ld`, `ld.lld-19`), not where this machine keeps it.
        let (program, rest) = shown.split_once(' ').unwrap_or((&shown, ""));
        commands.push(format!("{} {rest}", file_name(Path::new(program))));
    }
    Ok(Plain { compiler, commands, note })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Version;

    fn zig18() -> Toolchain {
        Toolchain {
            family: Family::Llvm,
            version: Version(vec![18, 1, 6]),
            kind: Kind::Zig { zig_version: "0.13.0".into() },
            exe: "/x/zig".into(),
        }
    }

    #[test]
    fn a_zig_cell_is_its_clang_on_linux_with_each_flag_once() {
        let cfg = crate::config::named("kernel-2018").unwrap().config();
        let p = plain(&zig18(), Language::C, &cfg, Some(&Link::kernel())).unwrap();
        assert_eq!(p.compiler, "clang-18");
        assert!(p.commands[0].starts_with("clang-18 -target x86_64-unknown-linux-gnu -c "), "{}", p.commands[0]);
        let words: Vec<&str> = p.commands[0].split(' ').collect();
        for w in &words {
            assert_eq!(words.iter().filter(|x| *x == w).count(), 1, "{w} twice in {}", p.commands[0]);
        }
        assert!(
            p.commands[0].contains("-mcmodel=large") && p.commands[0].ends_with("purgatory.c -o purgatory.o"),
            "{}",
            p.commands[0]
        );
        assert_eq!(p.commands[1], "ld -r -e purgatory_start -z nodefaultlib purgatory.o -o purgatory.ro");
        assert!(p.note.unwrap().contains("LLVM 18.1.6"));
    }

    #[test]
    fn dedupe_keeps_the_last_of_each_so_the_meaning_stays() {
        let f = cc::dedupe(["-fno-pic", "-fpic", "-O2", "-fno-pic"].map(String::from));
        assert_eq!(f, ["-fpic", "-O2", "-fno-pic"]);
    }
}
