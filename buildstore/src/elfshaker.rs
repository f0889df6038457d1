//! elfshaker (the storage tool of manyclangs) as a backend of the artifact store, and elfshaker packs laid
//! out as manyclangs publishes them (`DIR/elfshaker_data/packs/NAME.pack` + `.pack.idx`) as a source of
//! builds.
//!
//! elfshaker works on a "repository": a directory holding `elfshaker_data/`, whose files it snapshots and
//! into which it extracts. kbisect never snapshots or extracts in the shared data directory itself: each
//! operation gets a private repository whose `elfshaker_data/packs` and `elfshaker_data/loose` are
//! symlinks to the shared ones, so `HEAD` and elfshaker's temporary files stay private, the shared
//! directory (perhaps a team's read-only packs) is only read or added to, and concurrent runs do not
//! race on `HEAD`. elfshaker keeps file contents, not modes: the store's manifest restores them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kreloc_toolchains::process::Child;

use crate::Error;

/// The elfshaker release scripts/setup.sh builds.
pub const VERSION: &str = "0.9.0";
const DATA: &str = "elfshaker_data";
const TIMEOUT: Duration = Duration::from_secs(3600);

/// An elfshaker executable.
#[derive(Debug, Clone)]
pub struct Elfshaker {
    pub exe: PathBuf,
}

/// A snapshot in a pack (or a loose one, whose pack is `loose/NAME`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub pack: String,
    pub tag: String,
}

impl Snapshot {
    /// elfshaker's `PACK:SNAPSHOT` spelling.
    pub fn id(&self) -> String {
        format!("{}:{}", self.pack, self.tag)
    }
}

impl Elfshaker {
    /// `KRELOC_ELFSHAKER`, the one scripts/setup.sh installs in the kreloc cache, or `elfshaker` on PATH.
    pub fn locate() -> Result<Elfshaker, Error> {
        let cached = kreloc_toolchains::dirs::cache_root().join("elfshaker").join(VERSION).join("bin/elfshaker");
        let found = match std::env::var_os("KRELOC_ELFSHAKER") {
            Some(p) => Some(PathBuf::from(p)).filter(|p| p.is_file()),
            None => Some(cached).filter(|p| p.is_file()).or_else(|| kreloc_toolchains::discover::which("elfshaker")),
        };
        found.map(|exe| Elfshaker { exe }).ok_or(Error::MissingTool("elfshaker"))
    }

    fn run(&self, repo: &Path, op: &'static str, args: &[&str]) -> Result<String, Error> {
        let fail = |message: String| Error::Elfshaker { op, message };
        let out = Child::new(&self.exe, TIMEOUT)
            .args(args)
            .current_dir(repo)
            .run()
            .map_err(|source| Error::Spawn { tool: "elfshaker", source })?;
        if !out.success() {
            let err = out.stderr_text();
            let line = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("failed");
            return Err(fail(format!("{} (in {})", line.trim(), repo.display())));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Snapshots `files` (relative to `repo`, a private repository from [`private_repo`]) as `tag`.
    pub fn store(&self, repo: &Path, tag: &str, files: &[String]) -> Result<(), Error> {
        let list = repo.join(DATA).join("kbisect-files");
        std::fs::write(&list, files.join("\n")).map_err(|e| crate::io_err(&list, e))?;
        let listed = list.to_string_lossy().into_owned();
        self.run(repo, "store", &["store", tag, "--files-from", &listed])?;
        Ok(())
    }

    /// Extracts `snap` from the repository at `shared` into `dir`, checking checksums, and leaves only the
    /// snapshot's files there (through a private repository, see [`private_repo`]; `loose` as there).
    pub fn extract(&self, shared: &Path, loose: bool, snap: &Snapshot, dir: &Path) -> Result<(), Error> {
        private_repo(dir, shared, loose)?;
        self.run(dir, "extract", &["extract", "--reset", "--force", "--verify", &snap.id()])?;
        strip_repo(dir)
    }

    /// Every snapshot of the repository at `repo` (packs and loose), from `elfshaker find`.
    pub fn snapshots(&self, repo: &Path) -> Result<Vec<Snapshot>, Error> {
        let out = self.run(repo, "find", &["find", ""])?;
        Ok(out
            .lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                Some(Snapshot { tag: w.next()?.to_string(), pack: w.next()?.to_string() })
            })
            .collect())
    }

    /// Packs every loose snapshot of the repository at `repo` into `NAME.pack` and drops the loose copies
    /// (elfshaker 0.9.0 keeps them). Returns how many snapshots were packed. The caller holds the
    /// repository's exclusive lock.
    pub fn pack(&self, repo: &Path, name: &str) -> Result<usize, Error> {
        let loose = repo.join(DATA).join("packs").join("loose");
        let count = std::fs::read_dir(&loose)
            .map(|d| d.flatten().filter(|e| e.file_name().to_string_lossy().ends_with(".pack.idx")).count())
            .unwrap_or(0);
        if count == 0 {
            return Ok(0);
        }
        self.run(repo, "pack", &["pack", name])?;
        for dir in [loose, repo.join(DATA).join("loose")] {
            std::fs::remove_dir_all(&dir).map_err(|e| crate::io_err(&dir, e))?;
        }
        Ok(count)
    }
}

/// Makes `dir` a private elfshaker repository onto the shared one at `shared` (the directory holding
/// `elfshaker_data`): its `packs` (and with `loose`, its loose objects) are the shared ones, its `HEAD`
/// and temporary files its own. Published packs are only read: there `loose` is false.
pub fn private_repo(dir: &Path, shared: &Path, loose: bool) -> Result<(), Error> {
    let io = |p: &Path, e: std::io::Error| crate::io_err(p, e);
    let data = dir.join(DATA);
    std::fs::create_dir_all(&data).map_err(|e| io(&data, e))?;
    let shared = shared.canonicalize().map_err(|e| io(shared, e))?.join(DATA);
    for sub in if loose { &["packs", "loose"][..] } else { &["packs"][..] } {
        let target = shared.join(sub);
        // A dangling link would make elfshaker's create_dir_all fail; an absent `loose` of a read-only
        // pack directory is simply left out.
        if !target.is_dir() && std::fs::create_dir_all(&target).is_err() {
            continue;
        }
        let link = data.join(sub);
        std::os::unix::fs::symlink(&target, &link).map_err(|e| io(&link, e))?;
    }
    Ok(())
}

/// Removes the repository scaffolding from an extracted tree, leaving only the snapshot's files.
pub fn strip_repo(dir: &Path) -> Result<(), Error> {
    let data = dir.join(DATA);
    std::fs::remove_dir_all(&data).map_err(|e| crate::io_err(&data, e))
}

/// elfshaker keeps no modes: makes the extracted executables (ELF executables and shared objects, `#!`
/// scripts such as manyclangs' `link.sh`) executable again.
pub fn restore_exec_bits(dir: &Path) -> Result<(), Error> {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let entries = std::fs::read_dir(dir).map_err(|e| crate::io_err(dir, e))?;
    for e in entries.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => restore_exec_bits(&p)?,
            Ok(t) if t.is_file() => {
                let mut head = [0u8; 18];
                let n = std::fs::File::open(&p).and_then(|mut f| f.read(&mut head)).unwrap_or(0);
                // e_type 2 (EXEC) or 3 (DYN), little-endian; relocatable objects (1) stay as they are.
                let elf_exe = n == 18 && head.starts_with(b"\x7fELF") && matches!(head[16], 2 | 3) && head[17] == 0;
                if elf_exe || head[..n].starts_with(b"#!") {
                    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))
                        .map_err(|e| crate::io_err(&p, e))?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether `dir` holds elfshaker packs (`elfshaker_data/packs`).
pub fn is_pack_dir(dir: &Path) -> bool {
    dir.join(DATA).join("packs").is_dir()
}

/// Packs published the manyclangs way: snapshot tags that name a commit, as the full hash or as a
/// trailing abbreviated hash (`20200531-02712T150722-dfbfdc96f9e15be`, manyclangs' `DATE-N-TIME-SHA`).
pub struct PackSource {
    pub dir: PathBuf,
    pub elfshaker: Elfshaker,
    /// Snapshots by the first 7 digits of the commit-ish their tag ends with, with that commit-ish.
    by_prefix: HashMap<String, Vec<(String, Snapshot)>>,
    count: usize,
}

/// The shortest abbreviated hash a tag may end with.
const MIN_ABBREV: usize = 7;

/// The abbreviated commit hash a snapshot tag names, if any (at least 7 hex digits).
pub fn tag_commit(tag: &str) -> Option<&str> {
    let word = tag.rsplit(['-', ':', '_', '/']).next()?;
    (word.len() >= MIN_ABBREV && word.len() <= 64 && word.bytes().all(|b| b.is_ascii_hexdigit())).then_some(word)
}

impl PackSource {
    /// Indexes the snapshots of the packs under `dir` (`dir/elfshaker_data/packs`).
    pub fn open(dir: &Path, elfshaker: Elfshaker) -> Result<PackSource, Error> {
        if !is_pack_dir(dir) {
            return Err(Error::NoPacks { dir: dir.to_path_buf() });
        }
        let mut by_prefix: HashMap<String, Vec<(String, Snapshot)>> = HashMap::new();
        let mut count = 0;
        for snap in elfshaker.snapshots(dir)? {
            if let Some(h) = tag_commit(&snap.tag) {
                let h = h.to_ascii_lowercase();
                by_prefix.entry(h[..MIN_ABBREV].to_string()).or_default().push((h, snap));
                count += 1;
            }
        }
        Ok(PackSource { dir: dir.to_path_buf(), elfshaker, by_prefix, count })
    }

    /// The snapshot of `commit` (a full hash), if a pack has one.
    pub fn find(&self, commit: &str) -> Option<&Snapshot> {
        let commit = commit.to_ascii_lowercase();
        let candidates = self.by_prefix.get(commit.get(..MIN_ABBREV)?)?;
        candidates.iter().find(|(h, _)| commit.starts_with(h.as_str())).map(|(_, s)| s)
    }

    /// How many snapshots name a commit.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// Blocking `flock` on a repository's lock file: shared for store/extract, exclusive for pack (which
/// drops loose snapshots others might be reading). Released when the file closes.
pub fn lock(repo: &Path, exclusive: bool) -> Result<std::fs::File, Error> {
    use std::os::fd::AsRawFd;
    let path = repo.join("kbisect.lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| crate::io_err(&path, e))?;
    let op = if exclusive { libc::LOCK_EX } else { libc::LOCK_SH };
    // SAFETY: flock on a descriptor we own.
    if unsafe { libc::flock(f.as_raw_fd(), op) } != 0 {
        return Err(crate::io_err(&path, std::io::Error::last_os_error()));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::tag_commit;

    #[test]
    fn tags_name_commits_as_manyclangs_spells_them() {
        assert_eq!(tag_commit("20200531-02712T150722-dfbfdc96f9e15be"), Some("dfbfdc96f9e15be"));
        assert_eq!(
            tag_commit("0123456789abcdef0123456789abcdef01234567"),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
        assert_eq!(tag_commit("release-1.0"), None);
        assert_eq!(tag_commit("build-abc"), None);
    }
}
