//! Compiling one source with one toolchain and config, optionally linked the way purgatory.ro is.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::cache::Cache;
use crate::config::{CompileConfig, Dialect};
use crate::identity::Toolchain;
use crate::link::{self, Link};
use crate::process::Output;
use crate::{driver, Error, Language};

/// What a compile produced. Every variant keeps the command, so a report can reproduce it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum CompileOutcome {
    /// An object (relocatable; linked `-r` when a link was asked for).
    Object { bytes: Vec<u8>, commands: Vec<String>, cached: bool },
    /// The compiler rejected the source or flags.
    CompileError { stderr: String, commands: Vec<String> },
    /// The compiler crashed (signal, "internal compiler error", a crash report).
    Ice { stderr: String, commands: Vec<String> },
    /// It ran past the timeout and its process group was killed.
    Timeout { after_ms: u64, commands: Vec<String> },
    /// The compiler does not know `flag`, one of the config's: it cannot express the config, so the cell is
    /// not judged (never a finding).
    Refused { flag: String, stderr: String, commands: Vec<String> },
}

/// What became of one compile, without its payload: what campaigns group on and bisection judges by.
/// Serialized as the kebab-case name (`object`, `compile-error`, ...), the text these values had as strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
// Variants in the alphabetical order of their names, so sorting by kind orders as sorting by the old strings.
pub enum CompileKind {
    CompileError,
    Ice,
    /// The toolchain cannot express the config: the cell is reported, never compared.
    NotJudged,
    Object,
    Timeout,
    /// The toolchain could not be run for this cell (missing, or failed to start).
    Unsupported,
}

impl CompileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CompileKind::Object => "object",
            CompileKind::CompileError => "compile-error",
            CompileKind::Ice => "ice",
            CompileKind::Timeout => "timeout",
            CompileKind::Unsupported => "unsupported",
            CompileKind::NotJudged => "not-judged",
        }
    }
}

impl std::fmt::Display for CompileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl CompileOutcome {
    /// The object bytes, if any.
    pub fn object(&self) -> Option<&[u8]> {
        match self {
            CompileOutcome::Object { bytes, .. } => Some(bytes),
            _ => None,
        }
    }

    /// The commands that produced this outcome.
    pub fn commands(&self) -> &[String] {
        match self {
            CompileOutcome::Object { commands, .. }
            | CompileOutcome::CompileError { commands, .. }
            | CompileOutcome::Ice { commands, .. }
            | CompileOutcome::Timeout { commands, .. }
            | CompileOutcome::Refused { commands, .. } => commands,
        }
    }

    /// What kind of outcome this is.
    pub fn kind(&self) -> CompileKind {
        match self {
            CompileOutcome::Object { .. } => CompileKind::Object,
            CompileOutcome::CompileError { .. } => CompileKind::CompileError,
            CompileOutcome::Ice { .. } => CompileKind::Ice,
            CompileOutcome::Timeout { .. } => CompileKind::Timeout,
            CompileOutcome::Refused { .. } => CompileKind::NotJudged,
        }
    }

    pub(crate) fn cached(self) -> CompileOutcome {
        match self {
            CompileOutcome::Object { bytes, commands, .. } => CompileOutcome::Object { bytes, commands, cached: true },
            other => other,
        }
    }
}

/// Classifies a failed child: a crash (ICE) or an ordinary error.
pub fn classify_failure(out: &Output, commands: Vec<String>) -> CompileOutcome {
    let stderr = out.stderr_text();
    if out.timed_out {
        return CompileOutcome::Timeout { after_ms: out.elapsed.as_millis() as u64, commands };
    }
    let crashed = out.signal.is_some()
        || [
            "internal compiler error",
            "PLEASE submit a bug report",
            "error: unable to execute command",
            "Segmentation fault",
            "panicked at",
        ]
        .iter()
        .any(|m| stderr.contains(m));
    if crashed {
        CompileOutcome::Ice { stderr, commands }
    } else {
        CompileOutcome::CompileError { stderr, commands }
    }
}

/// Bumped whenever what a cached outcome records changes, or how a driver spells a config (v5: rustc
/// -Z function-sections=no, and commands with each flag once; v6: gcc's LTO link asks for machine code;
/// v8: ThinLTO links through the driver too, and a flag the compiler does not know is `Refused`).
const CACHE_FORMAT: &[u8] = b"kreloc-compile-v8";

/// A source to compile.
#[derive(Debug, Clone)]
pub struct Source {
    pub lang: Language,
    pub text: String,
}

impl Source {
    pub fn c(text: impl Into<String>) -> Source {
        Source { lang: Language::C, text: text.into() }
    }
    pub fn rust(text: impl Into<String>) -> Source {
        Source { lang: Language::Rust, text: text.into() }
    }
}

/// Compiles with a cache, a timeout and an optional purgatory-style link.
pub struct Compiler {
    pub cache: Cache,
    pub timeout: Duration,
    pub link: Option<Link>,
}

impl Compiler {
    /// A compiler with the default cache, a 120 s timeout and no link.
    pub fn new(cache: Cache) -> Compiler {
        Compiler { cache, timeout: Duration::from_secs(120), link: None }
    }

    /// Compiles (or fetches from the cache).
    pub fn compile(&self, tc: &Toolchain, src: &Source, cfg: &CompileConfig) -> Result<CompileOutcome, Error> {
        let ident = serde_json::to_vec(&(tc, src.lang, cfg, &self.link)).unwrap_or_default();
        let key = Cache::key(&[CACHE_FORMAT, &ident, src.text.as_bytes()]);
        if let Some(hit) = self.cache.get(&key) {
            return Ok(hit);
        }
        let outcome = self.compile_uncached(tc, src, cfg)?;
        self.cache.put(&key, &outcome);
        Ok(outcome)
    }

    fn compile_uncached(&self, tc: &Toolchain, src: &Source, cfg: &CompileConfig) -> Result<CompileOutcome, Error> {
        let dir = tempfile::tempdir()?;
        let ext = match src.lang {
            Language::C => "c",
            Language::Rust => "rs",
        };
        // Relative names, run inside the temp dir: the recorded commands reproduce anywhere.
        let src_name = format!("purgatory.{ext}");
        std::fs::write(dir.path().join(&src_name), &src.text)?;
        let obj = Path::new("purgatory.o");
        let child = driver::compile_command(tc, src.lang, cfg, Path::new(&src_name), obj, self.timeout)?
            .current_dir(dir.path());
        let mut commands = vec![child.display()];
        let out = child.run()?;
        if !out.success() {
            return Ok(refusal(classify_failure(&out, commands), cfg));
        }
        let final_obj = match &self.link {
            None => dir.path().join(obj),
            Some(l) => {
                let ro = Path::new("purgatory.ro");
                let child = link::command(l, tc, cfg, obj, ro, dir.path(), self.timeout)?.current_dir(dir.path());
                commands.push(child.display());
                let out = child.run()?;
                if !out.success() {
                    return Ok(classify_failure(&out, commands));
                }
                dir.path().join(ro)
            }
        };
        let bytes = read(&final_obj)?;
        Ok(CompileOutcome::Object { bytes, commands, cached: false })
    }
}

/// A compile error that is the compiler refusing one of the config's own flags, as `Refused`.
fn refusal(outcome: CompileOutcome, cfg: &CompileConfig) -> CompileOutcome {
    let CompileOutcome::CompileError { stderr, commands } = outcome else { return outcome };
    let mut flags = cfg.c_flags_for(Dialect::Gcc);
    flags.extend(cfg.c_flags_for(Dialect::Clang));
    match crate::refusal::refused_flag(&stderr, &flags) {
        Some(flag) => CompileOutcome::Refused { flag: flag.to_string(), stderr, commands },
        None => CompileOutcome::CompileError { stderr, commands },
    }
}

fn read(p: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(p).map_err(|source| Error::File { path: p.to_path_buf(), source })
}
