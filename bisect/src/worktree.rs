//! Persistent git worktrees, one per concurrent build, checked out in place so a step rebuilds only what
//! changed since the slot's previous build (as in a developer's tree).
//!
//! A build in progress leaves a marker holding its process group; a run killed mid-build (SIGKILL) leaves
//! it behind, and the next run kills the orphaned build and cleans the tree before using the slot again.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use kreloc_toolchains::process::Child;

use crate::Error;

const GIT_TIMEOUT: Duration = Duration::from_secs(600);

/// The worktree slots of one store.
pub struct Worktrees {
    src: PathBuf,
    root: PathBuf,
    free: Mutex<Vec<usize>>,
}

/// A slot taken for one build; given back on drop.
pub struct Slot<'a> {
    pool: &'a Worktrees,
    pub index: usize,
    pub dir: PathBuf,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Ok(mut f) = self.pool.free.lock() {
            f.push(self.index);
        }
    }
}

fn git(dir: &Path, args: &[&str]) -> Result<(), Error> {
    let out = Child::new("git", GIT_TIMEOUT).arg("-C").arg(dir).args(args).run().map_err(|e| Error::Git(e.to_string()))?;
    if out.success() {
        Ok(())
    } else {
        Err(Error::Git(format!("{}: {}", args.join(" "), out.stderr_text().lines().next().unwrap_or("failed"))))
    }
}

impl Worktrees {
    /// `slots` worktrees of `src` under `root` (created on first use).
    pub fn new(src: &Path, root: PathBuf, slots: usize) -> Worktrees {
        Worktrees { src: src.to_path_buf(), root, free: Mutex::new((0..slots.max(1)).rev().collect()) }
    }

    /// Takes a free slot (callers never hold more slots than there are).
    pub fn take(&self) -> Result<Slot<'_>, Error> {
        let index = self.free.lock().ok().and_then(|mut f| f.pop()).ok_or_else(|| Error::Io("no free worktree slot".into()))?;
        Ok(Slot { pool: self, index, dir: self.root.join(index.to_string()) })
    }

    /// Checks `commit` out in the slot (creating the worktree if needed). Tracked files are forced to the
    /// commit; untracked build products stay, unless a previous build there was interrupted.
    pub fn checkout(&self, slot: &Slot, commit: &str) -> Result<(), Error> {
        let dir = &slot.dir;
        if !dir.join(".git").exists() {
            let _ = std::fs::remove_dir_all(dir);
            std::fs::create_dir_all(&self.root).map_err(|e| Error::Io(format!("{}: {e}", self.root.display())))?;
            let _ = git(&self.src, &["worktree", "prune"]);
            return git(&self.src, &["worktree", "add", "--detach", "--force", &dir.to_string_lossy(), commit]);
        }
        let interrupted = recover_interrupted(&Self::marker(slot), dir);
        let locked = git_dir(dir).map(|g| g.join("index.lock"));
        if let Some(lock) = locked.filter(|l| l.exists()) {
            // Left by a git killed with its parent: no git runs in a slot we hold.
            let _ = std::fs::remove_file(lock);
        }
        git(dir, &["checkout", "--detach", "-f", "-q", commit])?;
        if interrupted {
            clean(dir)?;
        }
        Ok(())
    }

    /// The marker of a slot's running build (outside the tree, so the build never sees it).
    pub fn marker(slot: &Slot) -> PathBuf {
        slot.pool.root.join(format!("{}.building", slot.index))
    }
}

/// Removes untracked and ignored files (the build products), for a rebuild from scratch.
pub fn clean(dir: &Path) -> Result<(), Error> {
    git(dir, &["clean", "-q", "-f", "-d", "-x"])
}

fn git_dir(dir: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(dir.join(".git")).ok()?;
    text.strip_prefix("gitdir:").map(|p| PathBuf::from(p.trim()))
}

/// If a marker is left from a killed run: kills the orphaned build's process group (when that group still
/// runs in this directory) and reports that the tree needs cleaning.
fn recover_interrupted(marker: &Path, dir: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(marker) else { return false };
    if let Ok(pgid) = text.trim().parse::<i32>() {
        let cwd = std::fs::read_link(format!("/proc/{pgid}/cwd")).ok();
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        if pgid > 1 && cwd.is_some_and(|c| c.starts_with(&dir)) {
            // SAFETY: killpg only sends a signal, to a group whose leader runs in our worktree.
            unsafe { libc::killpg(pgid, libc::SIGKILL) };
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let _ = std::fs::remove_file(marker);
    true
}
