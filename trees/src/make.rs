//! Running a tree's build steps (configure, make) and saying why one failed.

use std::time::Duration;

use kreloc_toolchains::process::Child;

use crate::Error;

pub const MAKE_TIMEOUT: Duration = Duration::from_secs(1800);

/// Runs one build step; on failure, the compiler's or linker's own error says why (an unknown flag,
/// purgatory.chk's undefined symbol), not make's "Error 2" lines after it.
pub fn run_make(child: Child, step: &str) -> Result<(), Error> {
    let out = child.run().map_err(|source| Error::Spawn { step: step.to_string(), source })?;
    if out.success() {
        return Ok(());
    }
    let stderr = out.stderr_text();
    let first_error =
        stderr.lines().find(|l| l.contains("error:") || l.contains("undefined reference to")).map(str::trim);
    let tail: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).rev().take(3).collect();
    let why = match first_error {
        Some(e) => e.to_string(),
        None => tail.into_iter().rev().collect::<Vec<_>>().join(" | "),
    };
    Err(Error::Build { step: step.to_string(), timed_out: out.timed_out, why })
}
