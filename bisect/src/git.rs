//! The little of git kbisect needs: first-parent commit lists and subjects.

use std::path::Path;
use std::time::Duration;

use kreloc_toolchains::process::Child;

use crate::{Error, GitError, Usage};

const GIT_TIMEOUT: Duration = Duration::from_secs(300);

fn git(repo: &Path, args: &[&str]) -> Result<String, Error> {
    let out = Child::new("git", GIT_TIMEOUT).arg("-C").arg(repo).args(args).run().map_err(GitError::from)?;
    if !out.success() {
        let msg = out.stderr_text();
        return Err(GitError::Failed(msg.lines().next().unwrap_or("git failed").to_string()).into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Checks that `repo` is a git work tree or repository.
pub fn check_repo(repo: &Path) -> Result<(), Error> {
    if !repo.exists() {
        return Err(Usage::NoDirectory(repo.to_path_buf()).into());
    }
    git(repo, &["rev-parse", "--git-dir"]).map(|_| ()).map_err(|_| Usage::NotGit(repo.to_path_buf()).into())
}

/// The full hash of a revision.
pub fn resolve(repo: &Path, rev: &str) -> Result<String, Error> {
    git(repo, &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])
        .map_err(|_| Usage::UnknownRevision { rev: rev.to_string(), repo: repo.to_path_buf() }.into())
}

/// `good`, then the first-parent commits after it up to and including `bad`.
pub fn first_parent_range(repo: &Path, good: &str, bad: &str) -> Result<Vec<String>, Error> {
    let is_ancestor = Child::new("git", GIT_TIMEOUT)
        .arg("-C")
        .arg(repo)
        .args(["merge-base", "--is-ancestor", good, bad])
        .run()
        .map_err(GitError::from)?;
    if !is_ancestor.success() {
        return Err(Usage::NotAncestor { good: short(good).to_string(), bad: short(bad).to_string() }.into());
    }
    let list = git(repo, &["rev-list", "--first-parent", "--reverse", &format!("{good}..{bad}")])?;
    let mut v = vec![good.to_string()];
    v.extend(list.lines().map(str::to_string));
    Ok(v)
}

/// A commit's subject line.
pub fn subject(repo: &Path, commit: &str) -> String {
    git(repo, &["log", "-1", "--format=%s", commit]).unwrap_or_default()
}

/// The first 12 characters of a hash.
pub use kreloc_buildstore::short_commit as short;
