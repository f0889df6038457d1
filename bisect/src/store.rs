//! Builds of toolchain commits, kept in a store keyed by commit so every run and step reuses them.
//! A build is complete only once its marker is written (last), so an interrupted build is redone.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kreloc_toolchains::process::Child;

use crate::{git, Error};

const DONE: &str = ".kbisect-built";
const FAILED: &str = ".kbisect-failed";

/// What building a commit gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Build {
    /// Built (now or earlier) into this directory.
    Ready { dir: PathBuf, reused: bool },
    /// The build command failed; the log's last lines.
    Failed { log: String },
}

/// The build store of one repository.
pub struct Store {
    pub root: PathBuf,
    pub build_cmd: String,
    pub timeout: Duration,
}

impl Store {
    /// The store for `repo` under `base` (one subdirectory per repository path).
    pub fn new(base: &Path, repo: &Path, build_cmd: &str, timeout: Duration) -> Store {
        let id = kreloc_campaign::signature::short_hash(repo.canonicalize().unwrap_or_else(|_| repo.to_path_buf()).to_string_lossy().as_bytes());
        Store { root: base.join(id), build_cmd: build_cmd.to_string(), timeout }
    }

    /// Builds `commit` unless a finished build (or a recorded failure) exists.
    pub fn build(&self, repo: &Path, commit: &str) -> Result<Build, Error> {
        let dir = self.root.join(commit);
        if dir.join(DONE).exists() {
            return Ok(Build::Ready { dir, reused: true });
        }
        if let Ok(log) = std::fs::read_to_string(dir.join(FAILED)) {
            return Ok(Build::Failed { log });
        }
        let _ = std::fs::remove_dir_all(&dir);
        git::export(repo, commit, &dir)?;
        let out = Child::new("sh", self.timeout).args(["-c", &self.build_cmd]).current_dir(&dir).env("KBISECT_COMMIT", commit).run().map_err(|e| Error::Io(e.to_string()))?;
        if out.success() {
            std::fs::write(dir.join(DONE), commit).map_err(|e| Error::Io(e.to_string()))?;
            return Ok(Build::Ready { dir, reused: false });
        }
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), out.stderr_text());
        let tail: Vec<&str> = text.lines().rev().take(5).collect();
        let mut log: Vec<&str> = tail.into_iter().rev().collect();
        if out.timed_out {
            log.push("(build timed out)");
        }
        let log = log.join("\n");
        // A timeout may pass another time; a failure is a property of the commit.
        if !out.timed_out {
            std::fs::write(dir.join(FAILED), &log).map_err(|e| Error::Io(e.to_string()))?;
        }
        Ok(Build::Failed { log })
    }
}
