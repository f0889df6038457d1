//! How a compiler is built at each commit: the arguments `kbisect` (commit mode) and `kreloc triage --src`
//! share, and the `llvm`/`gcc` presets behind them.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use kreloc_toolchains::Family;

/// LLVM at a commit: clang only, the X86 target, through ccache when it is installed.
pub const LLVM_BUILD: &str = "cmake -G Ninja -S llvm -B build -DCMAKE_BUILD_TYPE=Release -DLLVM_ENABLE_PROJECTS=clang -DLLVM_TARGETS_TO_BUILD=X86 \
$(command -v ccache >/dev/null && echo -DLLVM_CCACHE_BUILD=ON) && ninja -C build clang";
/// GCC at a commit: the C compiler alone, no bootstrap, installed into `inst/`.
pub const GCC_BUILD: &str = "mkdir -p build && cd build && ../configure --disable-bootstrap --enable-languages=c --disable-multilib --prefix=\"$PWD/../inst\" \
&& make -j\"$(nproc)\" all-gcc && make install-gcc";

/// A named way to build one compiler family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    pub build: &'static str,
    pub compiler: &'static str,
    pub artifacts: &'static [&'static str],
}

pub const LLVM: Preset = Preset {
    build: LLVM_BUILD,
    compiler: "build/bin/clang",
    artifacts: &["build/bin/clang*", "build/lib/clang/*/include"],
};
pub const GCC: Preset = Preset { build: GCC_BUILD, compiler: "inst/bin/gcc", artifacts: &["inst"] };

/// Building a compiler at each commit.
#[derive(Debug, Clone, Args)]
pub struct BuildArgs {
    /// Build command, run in a persistent git worktree checked out at each commit (so builds are
    /// incremental); presets: `llvm` (CMake+Ninja, clang only, X86) and `gcc` (C only, no bootstrap), the
    /// default for a bisection of that family. ccache is put first on PATH when installed
    #[arg(long)]
    pub build: Option<String>,
    /// The built compiler, relative to the worktree (presets: build/bin/clang, inst/bin/gcc)
    #[arg(long)]
    pub compiler: Option<String>,
    /// What the store keeps of a build, as globs relative to the worktree, comma-separated (presets:
    /// llvm `build/bin/clang*,build/lib/clang/*/include`, gcc `inst`; otherwise the --compiler path)
    #[arg(long, value_delimiter = ',')]
    pub artifacts: Vec<String>,
    /// Do not put ccache on the build's PATH
    #[arg(long)]
    pub no_ccache: bool,
    /// The artifact store and its worktrees (default $XDG_CACHE_HOME/kreloc/builds); share it to build
    /// each commit once for everybody
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// Build timeout in seconds
    #[arg(long, default_value_t = 7200)]
    pub build_timeout: u64,
}

/// What to build and keep at each commit, presets applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSetup {
    /// None: nothing to build (the commits come from packs).
    pub build: Option<String>,
    pub compiler: String,
    pub artifacts: Vec<String>,
}

/// A build that cannot be set up from the arguments given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MissingBuild {
    #[error("--compiler RELPATH is required with a custom --build or --packs")]
    Compiler,
    #[error("--build CMD (or --packs DIR) is required")]
    Build,
}

impl BuildArgs {
    /// The preset `--build` names, or the family's when `--build` is not given.
    pub fn preset(&self, family: Option<Family>) -> Option<Preset> {
        match (self.build.as_deref(), family) {
            (Some("llvm"), _) | (None, Some(Family::Llvm)) => Some(LLVM),
            (Some("gcc"), _) | (None, Some(Family::Gcc)) => Some(GCC),
            _ => None,
        }
    }

    /// The build command, compiler and artifact globs: a preset's (each overridable), or the user's.
    /// `packs`: the commits can come from published packs, so a build command is optional.
    pub fn setup(&self, family: Option<Family>, packs: bool) -> Result<BuildSetup, MissingBuild> {
        let (build, compiler, globs) = match (self.preset(family), self.build.as_deref()) {
            (Some(p), _) => (
                Some(p.build.to_string()),
                self.compiler.clone().unwrap_or_else(|| p.compiler.into()),
                p.artifacts.iter().map(|g| g.to_string()).collect(),
            ),
            (None, cmd) if cmd.is_some() || packs => {
                let c = self.compiler.clone().ok_or(MissingBuild::Compiler)?;
                (cmd.map(str::to_string), c.clone(), vec![c])
            }
            (None, _) => return Err(MissingBuild::Build),
        };
        let artifacts = if self.artifacts.is_empty() { globs } else { self.artifacts.clone() };
        Ok(BuildSetup { build, compiler, artifacts })
    }

    /// `--store`, or the shared default under the cache.
    pub fn store(&self) -> PathBuf {
        self.store.clone().unwrap_or_else(|| kreloc_toolchains::dirs::cache_root().join("builds"))
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.build_timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(build: Option<&str>, compiler: Option<&str>) -> BuildArgs {
        BuildArgs {
            build: build.map(str::to_string),
            compiler: compiler.map(str::to_string),
            artifacts: Vec::new(),
            no_ccache: false,
            store: None,
            build_timeout: 1,
        }
    }

    #[test]
    fn the_family_picks_its_preset_and_a_named_preset_wins() {
        assert_eq!(args(None, None).setup(Some(Family::Llvm), false).unwrap().compiler, "build/bin/clang");
        assert_eq!(args(Some("gcc"), None).setup(Some(Family::Llvm), false).unwrap().artifacts, ["inst"]);
        let own = args(Some("make"), Some("bin/cc")).setup(Some(Family::Gcc), false).unwrap();
        assert_eq!((own.build.as_deref(), own.artifacts), (Some("make"), vec!["bin/cc".to_string()]));
    }

    #[test]
    fn a_custom_build_needs_a_compiler_and_no_build_needs_packs() {
        assert_eq!(args(Some("make"), None).setup(None, false), Err(MissingBuild::Compiler));
        assert_eq!(args(None, None).setup(None, false), Err(MissingBuild::Build));
        let packs = args(None, Some("bin/clang")).setup(None, true).unwrap();
        assert_eq!((packs.build, packs.artifacts), (None, vec!["bin/clang".to_string()]));
    }
}
