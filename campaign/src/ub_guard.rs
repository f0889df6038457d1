//! Keeping text-reduction candidates free of undefined behaviour: no warning that points at UB from gcc at
//! -O2 (its uninitialised-use analysis needs the optimiser) or from clang, and a host build with
//! `-fsanitize=undefined` that runs `kreloc_entry` to completion when the candidate still has one.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kreloc_toolchains::process::{Child, SpawnError};

/// Warnings that mean the candidate may have undefined behaviour (both compilers spell these the same).
const UB_WARNINGS: &[&str] = &[
    "uninitialized",
    "return-type",
    "implicit-function-declaration",
    "implicit-int",
    "int-conversion",
    "incompatible-pointer-types",
    "array-bounds",
    "shift-count-overflow",
    "shift-count-negative",
    "int-to-pointer-cast",
];
const GCC_ONLY: &[&str] = &[
    "maybe-uninitialized",
    "div-by-zero",
    "sequence-point",
    "aggressive-loop-optimizations",
    "stringop-overflow",
    "nonnull",
];
const CLANG_ONLY: &[&str] =
    &["sometimes-uninitialized", "division-by-zero", "unsequenced", "null-dereference", "pointer-to-int-cast"];

/// Why the guard cannot run, or what it found. A compiler's diagnostic is kept as the line it printed.
#[derive(Debug, thiserror::Error)]
pub enum UbError {
    #[error("no gcc on PATH for the UB guard")]
    NoGcc,
    #[error("no clang on PATH for the UB guard (apt-get install clang-19)")]
    NoClang,
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Spawn(#[from] SpawnError),
    /// `command` (as shown) was stopped by a signal: a sanitizer trap.
    #[error("{command}: stopped by a signal (a sanitizer trap)")]
    Trapped { command: String },
    /// `command` failed; `diagnostic` is its first stderr line that mentions an error.
    #[error("{command}: {}", .diagnostic.as_deref().unwrap_or("failed"))]
    Rejected { command: String, diagnostic: Option<String> },
}

/// The host compilers the guard uses.
#[derive(Debug, Clone)]
pub struct UbGuard {
    pub gcc: PathBuf,
    pub clang: PathBuf,
}

/// The newest `NAME-N` on PATH (N from 30 down to 7), or `NAME`.
fn newest(name: &str) -> Option<PathBuf> {
    (7..=30)
        .rev()
        .find_map(|n| kreloc_toolchains::discover::which(&format!("{name}-{n}")))
        .or_else(|| kreloc_toolchains::discover::which(name))
}

fn werror<'a>(list: &'a [&'a str]) -> impl Iterator<Item = String> + 'a {
    list.iter().map(|w| format!("-Werror={w}"))
}

const HOST_MAIN: &str =
    "void kreloc_entry(unsigned long *out);\nint main(void) { unsigned long out[4]; kreloc_entry(out); return 0; }\n";

impl UbGuard {
    /// The guard with the host's gcc and clang, or why it cannot run.
    pub fn find() -> Result<UbGuard, UbError> {
        let gcc = newest("gcc").ok_or(UbError::NoGcc)?;
        let clang = newest("clang").ok_or(UbError::NoClang)?;
        Ok(UbGuard { gcc, clang })
    }

    /// `Ok` when nothing points at undefined behaviour; otherwise the first diagnostic.
    pub fn check(&self, c: &str) -> Result<(), UbError> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("c.c"), c)?;
        let gcc = Child::new(&self.gcc, Duration::from_secs(60))
            .args(["-c", "-O2", "-ffreestanding"])
            .args(werror(UB_WARNINGS))
            .args(werror(GCC_ONLY))
            .args(["c.c", "-o", "gcc.o"]);
        run(gcc, dir.path())?;
        // Traps instead of the runtime library, which Debian ships apart (libclang-rt-N-dev).
        let ubsan = ["-fsanitize=undefined", "-fsanitize-trap=all"];
        let clang = Child::new(&self.clang, Duration::from_secs(60))
            .args(["-c", "-O1"])
            .args(ubsan)
            .args(werror(UB_WARNINGS))
            .args(werror(CLANG_ONLY))
            .args(["c.c", "-o", "c.o"]);
        run(clang, dir.path())?;
        if !c.contains("kreloc_entry") {
            return Ok(());
        }
        std::fs::write(dir.path().join("main.c"), HOST_MAIN)?;
        run(
            Child::new(&self.clang, Duration::from_secs(60)).args(ubsan).args(["c.o", "main.c", "-o", "host"]),
            dir.path(),
        )?;
        run(Child::new(dir.path().join("host"), Duration::from_secs(10)), dir.path())
    }
}

fn run(child: Child, dir: &Path) -> Result<(), UbError> {
    let command = child.display();
    let out = child.current_dir(dir).run()?;
    if out.success() {
        Ok(())
    } else if out.signal.is_some() {
        Err(UbError::Trapped { command })
    } else {
        let diagnostic = out.stderr_text().lines().find(|l| l.contains("error")).map(str::to_string);
        Err(UbError::Rejected { command, diagnostic })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_uninitialised_reads_and_runtime_ub_and_accepts_clean_code() {
        let g = UbGuard::find().expect("gcc and clang (scripts/setup.sh)");
        assert!(g.check("unsigned long f(unsigned long x) { return x * 3; }\n").is_ok());
        assert!(g.check("int f(void) { int x; return x; }\n").is_err());
        assert!(g.check("int f(int c) { if (c) return 1; }\n").is_err());
        let shift = "int s = 40; void kreloc_entry(unsigned long *o) { o[0] = 1 << s; }\n";
        assert!(matches!(g.check(shift), Err(UbError::Trapped { .. })), "the sanitizer run catches it");
        let e = UbError::Trapped { command: "./host".into() };
        assert_eq!(e.to_string(), "./host: stopped by a signal (a sanitizer trap)");
        let e = UbError::Rejected { command: "gcc-12 -c c.c".into(), diagnostic: None };
        assert_eq!(e.to_string(), "gcc-12 -c c.c: failed");
    }
}
