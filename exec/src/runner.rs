//! Where the runner executable is. It is built by build.rs and embedded in this crate, so every binary
//! that links kreloc-exec (kreloc, the tests, the ASan fuzz target) carries a non-instrumented runner and
//! needs no flag or install step: on first use it is written once to
//! `$XDG_CACHE_HOME/kreloc/exec-runner-<hash>` (default `~/.cache/kreloc`), named by the hash of its
//! bytes so builds never overwrite each other's runner (falling back to `$TMPDIR/kreloc-<uid>`).
//! `KRELOC_RUNNER=<path>` overrides this.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::outcome::{OsError, RunnerError};
use crate::SandboxError;

static EMBEDDED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/kreloc-exec-runner"));
const HASH: &str = env!("KRELOC_RUNNER_HASH");

/// The runner's path, written on first use.
pub fn path() -> Result<&'static Path, SandboxError> {
    static PATH: OnceLock<Result<PathBuf, SandboxError>> = OnceLock::new();
    PATH.get_or_init(locate).as_deref().map_err(Clone::clone)
}

fn locate() -> Result<PathBuf, SandboxError> {
    if let Some(p) = std::env::var_os("KRELOC_RUNNER") {
        return Ok(PathBuf::from(p));
    }
    if EMBEDDED.is_empty() {
        return Err(SandboxError::Unsupported);
    }
    let name = format!("exec-runner-{HASH}");
    // The temporary directory is the fallback for a read-only home.
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    let mut last = None;
    for dir in [cache_root(), std::env::temp_dir().join(format!("kreloc-{uid}"))] {
        let path = dir.join(&name);
        // Other processes may want the same runner at once: one writes it, the others wait and use it.
        let written = kreloc_atomic::fill_file(&path, write_runner).map_err(filled).and_then(|_| {
            let len = std::fs::metadata(&path).map_err(OsError::from)?.len();
            let expected = EMBEDDED.len() as u64;
            (len == expected).then_some(()).ok_or(RunnerError::WrongSize { len, expected })
        });
        match written {
            Ok(()) => return Ok(path),
            Err(source) => last = Some(SandboxError::Runner { path: path.display().to_string(), source }),
        }
    }
    Err(last.unwrap_or(SandboxError::Unsupported))
}

fn filled(e: kreloc_atomic::FillError<std::io::Error>) -> RunnerError {
    match e {
        kreloc_atomic::FillError::Io { path, source } => RunnerError::Fill { path, source: source.into() },
        kreloc_atomic::FillError::Fill(e) => RunnerError::Io(e.into()),
    }
}

fn write_runner(tmp: &Path) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o755).open(tmp)?;
    f.write_all(EMBEDDED)
}

/// `$XDG_CACHE_HOME/kreloc` (default `$HOME/.cache/kreloc`), as for the rest of kreloc's cache.
fn cache_root() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("kreloc")
}
