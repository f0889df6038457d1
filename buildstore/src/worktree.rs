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
    slots: usize,
    free: Mutex<Vec<usize>>,
}

/// A slot taken for one build; given back on drop. Its lock file keeps other kbisect processes sharing
/// the store out of the same worktree (they take the next free one).
pub struct Slot<'a> {
    pool: &'a Worktrees,
    free_index: usize,
    pub index: usize,
    pub dir: PathBuf,
    _lock: std::fs::File,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Ok(mut f) = self.pool.free.lock() {
            f.push(self.free_index);
        }
    }
}

/// Locks `path` for this process (released when the file closes, also when the process dies).
fn try_lock(path: &Path) -> Option<std::fs::File> {
    use std::os::fd::AsRawFd;
    let f = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(path).ok()?;
    // SAFETY: flock on a descriptor we own; non-blocking.
    let locked = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    locked.then_some(f)
}

fn git(dir: &Path, args: &[&str]) -> Result<(), Error> {
    let out = Child::new("git", GIT_TIMEOUT)
        .arg("-C")
        .arg(dir)
        .args(args)
        .run()
        .map_err(|source| Error::Spawn { tool: "git", source })?;
    if out.success() {
        Ok(())
    } else {
        Err(Error::Git { command: args.join(" "), message: said_why(&out.stderr_text()).to_string() })
    }
}

/// git's reason: its `fatal:` or `error:` line (progress such as "Preparing worktree" comes first), or
/// its last line.
fn said_why(stderr: &str) -> &str {
    let mut lines = stderr.lines().filter(|l| !l.trim().is_empty());
    lines.clone().find(|l| l.starts_with("fatal:") || l.starts_with("error:")).or(lines.next_back()).unwrap_or("failed")
}

impl Worktrees {
    /// `slots` worktrees of `src` under `root` (created on first use).
    pub fn new(src: &Path, root: PathBuf, slots: usize) -> Worktrees {
        Worktrees {
            src: src.to_path_buf(),
            root,
            slots: slots.max(1),
            free: Mutex::new((0..slots.max(1)).rev().collect()),
        }
    }

    /// Takes a free slot (callers never hold more slots than there are).
    pub fn take(&self) -> Result<Slot<'_>, Error> {
        let free_index = self
            .free
            .lock()
            .ok()
            .and_then(|mut f| f.pop())
            .ok_or_else(|| Error::SlotsBusy { root: self.root.clone() })?;
        std::fs::create_dir_all(&self.root).map_err(|e| crate::io_err(&self.root, e))?;
        // Slot i of this process is worktree i, or i + slots, i + 2·slots... when another process holds it.
        for index in (0..64).map(|k| free_index + k * self.slots) {
            if let Some(lock) = try_lock(&self.root.join(format!("{index}.lock"))) {
                return Ok(Slot { pool: self, free_index, index, dir: self.root.join(index.to_string()), _lock: lock });
            }
        }
        if let Ok(mut f) = self.free.lock() {
            f.push(free_index);
        }
        Err(Error::SlotsBusy { root: self.root.clone() })
    }

    /// Checks `commit` out in the slot (creating the worktree if needed). Tracked files are forced to the
    /// commit; untracked build products stay, unless a previous build there was interrupted.
    pub fn checkout(&self, slot: &Slot, commit: &str) -> Result<(), Error> {
        let dir = &slot.dir;
        if !dir.join(".git").exists() {
            let _ = std::fs::remove_dir_all(dir);
            std::fs::create_dir_all(&self.root).map_err(|e| crate::io_err(&self.root, e))?;
            // One process at a time adds a worktree: another's `prune` could take this add's entry in the
            // source's .git/worktrees in the moment before git marks it as being made.
            let adding = self.root.join("adding");
            let _adding = kreloc_atomic::lock(&adding).map_err(|e| crate::io_err(&adding, e))?;
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

#[cfg(test)]
mod said_why_tests {
    use super::said_why;

    #[test]
    fn gits_reason_is_its_fatal_line_not_its_progress() {
        let add =
            "Preparing worktree (detached HEAD eed3077)\nfatal: could not create directory of '.git/worktrees/1'\n";
        assert_eq!(said_why(add), "fatal: could not create directory of '.git/worktrees/1'");
        assert_eq!(said_why("warning: a\nsomething went wrong\n"), "something went wrong");
        assert_eq!(said_why(""), "failed");
    }
}
