//! The artifact store: per commit, only the files the predicate needs (`--artifacts` globs), kept as
//! content-addressed blobs (sha256) plus a manifest per commit, so identical files across commits are
//! stored once. A commit's manifest is written last and atomically: an interrupted store is redone.
//! Trees are materialized on demand under `trees/<artifact hash>/` (hardlinks to the blobs), so a path
//! names the content and anything keyed by the compiler's path (the compile cache) is keyed by content.
//!
//! With the elfshaker backend the manifest stays (paths, modes, hashes: elfshaker keeps no modes) and the
//! contents go into an elfshaker repository under `elfshaker/`, one snapshot per commit named by its hash,
//! packed at the end of each run ([`ArtifactStore::pack`]).

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use kreloc_atomic::digest::{hex, sha256_hex};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::elfshaker::{self, Elfshaker, Snapshot};
use crate::{io_err, Error};

/// Where a commit's file contents are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// Content-addressed files (`blobs/`), one per distinct content.
    #[default]
    Blobs,
    /// Snapshots in an elfshaker repository (`elfshaker/`), packed at the end of each run.
    Elfshaker,
}

/// One stored file (or symlink) of a build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Entry {
    File { sha256: String, exec: bool, size: u64 },
    Symlink { target: String },
}

/// What a commit's build left in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub commit: String,
    /// sha256 over the sorted entries: two commits with the same artifacts have the same hash.
    pub artifact_hash: String,
    pub files: BTreeMap<String, Entry>,
    /// Bytes of blobs this commit added (the rest were already stored).
    pub new_bytes: u64,
    pub build_ms: u64,
    /// Which backend holds the contents (manifests of both kinds can share one store).
    #[serde(default)]
    pub backend: Backend,
}

/// Blob, manifest and failure-log directories of one repository's store.
pub struct ArtifactStore {
    pub root: PathBuf,
    /// Where new builds go.
    pub backend: Backend,
    /// Located when the backend (or a stored manifest) needs it.
    elfshaker: std::sync::OnceLock<Elfshaker>,
}

/// A suffix no other writer (process or thread) uses for its temporary files.
fn unique() -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    format!("{}-{}", std::process::id(), NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    kreloc_atomic::write(path, bytes).map_err(|e| io_err(path, e))
}

fn sha256_file(p: &Path) -> Result<(String, u64), Error> {
    use std::io::Read;
    let mut f = fs::File::open(p).map_err(|e| io_err(p, e))?;
    let mut h = Sha256::new();
    let (mut buf, mut n) = (vec![0u8; 1 << 20], 0u64);
    loop {
        let got = f.read(&mut buf).map_err(|e| io_err(p, e))?;
        if got == 0 {
            return Ok((hex(&h.finalize()), n));
        }
        h.update(&buf[..got]);
        n = n.saturating_add(got as u64);
    }
}

/// The files under `dir` matching `globs` (relative to `dir`); a matching directory brings all it holds.
pub fn collect(dir: &Path, globs: &[String]) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for g in globs {
        let pattern = dir.join(g).to_string_lossy().into_owned();
        let paths = glob::glob(&pattern).map_err(|source| Error::Glob { glob: g.clone(), source })?;
        for p in paths.flatten() {
            walk(&p, &mut out).map_err(|e| io_err(&p, e))?;
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(p: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let meta = fs::symlink_metadata(p)?;
    if meta.is_dir() {
        for e in fs::read_dir(p)? {
            walk(&e?.path(), out)?;
        }
    } else {
        out.push(p.to_path_buf());
    }
    Ok(())
}

impl ArtifactStore {
    pub fn new(root: PathBuf) -> ArtifactStore {
        ArtifactStore { root, backend: Backend::Blobs, elfshaker: std::sync::OnceLock::new() }
    }

    /// A store putting new builds into `backend`; the elfshaker backend needs elfshaker installed.
    pub fn with_backend(root: PathBuf, backend: Backend) -> Result<ArtifactStore, Error> {
        let store = ArtifactStore { backend, ..ArtifactStore::new(root) };
        if backend == Backend::Elfshaker {
            store.elfshaker()?;
        }
        Ok(store)
    }

    fn elfshaker(&self) -> Result<&Elfshaker, Error> {
        if let Some(e) = self.elfshaker.get() {
            return Ok(e);
        }
        let e = Elfshaker::locate()?;
        Ok(self.elfshaker.get_or_init(|| e))
    }

    /// The elfshaker repository (the directory holding `elfshaker_data`).
    fn elfshaker_repo(&self) -> PathBuf {
        self.root.join("elfshaker")
    }

    /// A fresh directory under the store (same filesystem as the trees, for renames).
    pub(crate) fn scratch(&self, what: &str) -> Result<PathBuf, Error> {
        let dir = self.root.join("trees").join(format!(".{what}-{}", unique()));
        fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
        Ok(dir)
    }

    fn manifest_path(&self, commit: &str) -> PathBuf {
        self.root.join("commits").join(format!("{commit}.json"))
    }

    fn failure_path(&self, commit: &str) -> PathBuf {
        self.root.join("failed").join(format!("{commit}.log"))
    }

    fn blob_path(&self, sha: &str, exec: bool) -> PathBuf {
        let name = if exec { format!("{sha}.x") } else { sha.to_string() };
        self.root.join("blobs").join(&sha[..2]).join(name)
    }

    /// The manifest of a stored commit.
    pub fn get(&self, commit: &str) -> Option<Manifest> {
        serde_json::from_slice(&fs::read(self.manifest_path(commit)).ok()?).ok()
    }

    /// Whether `commit` was built (or failed to build) into the store: testing it costs no build.
    pub fn has(&self, commit: &str) -> bool {
        self.manifest_path(commit).exists() || self.failure_path(commit).exists()
    }

    /// The recorded build failure of a commit (its log tail).
    pub fn failure(&self, commit: &str) -> Option<String> {
        fs::read_to_string(self.failure_path(commit)).ok()
    }

    pub fn record_failure(&self, commit: &str, log: &str) -> Result<(), Error> {
        write_atomically(&self.failure_path(commit), log.as_bytes())
    }

    /// Stores the artifacts of `commit` found under `dir`.
    pub fn put(&self, commit: &str, dir: &Path, globs: &[String], build_ms: u64) -> Result<Manifest, Error> {
        let paths = collect(dir, globs)?;
        if paths.is_empty() {
            return Err(Error::NoArtifacts { commit: commit.to_string(), globs: globs.to_vec() });
        }
        let mut files = BTreeMap::new();
        let mut new_bytes = 0u64;
        // The elfshaker backend first copies the files into a private repository (copies: the next
        // build in the worktree may rewrite its files in place), then snapshots them all at once.
        let staged = match self.backend {
            Backend::Elfshaker => Some(self.scratch("stage")?),
            Backend::Blobs => None,
        };
        for p in paths {
            let rel = p.strip_prefix(dir).unwrap_or(&p).to_string_lossy().into_owned();
            let meta = fs::symlink_metadata(&p).map_err(|e| io_err(&p, e))?;
            if meta.file_type().is_symlink() {
                let target = fs::read_link(&p).map_err(|e| io_err(&p, e))?;
                files.insert(rel, Entry::Symlink { target: target.to_string_lossy().into_owned() });
                continue;
            }
            let (sha, size) = sha256_file(&p)?;
            let exec = meta.permissions().mode() & 0o111 != 0;
            match &staged {
                Some(stage) => copy_into(&p, &stage.join(&rel))?,
                None => new_bytes = new_bytes.saturating_add(self.put_blob(&p, &sha, exec, size)?),
            }
            files.insert(rel, Entry::File { sha256: sha, exec, size });
        }
        if let Some(stage) = &staged {
            let before = self.elfshaker_bytes();
            if let Err(e) = self.snapshot(stage, commit, &files) {
                let _ = fs::remove_dir_all(stage);
                return Err(e);
            }
            new_bytes = self.elfshaker_bytes().saturating_sub(before);
        }
        let artifact_hash = sha256_hex(&serde_json::to_vec(&files).unwrap_or_default());
        let m =
            Manifest { commit: commit.to_string(), artifact_hash, files, new_bytes, build_ms, backend: self.backend };
        write_atomically(&self.manifest_path(commit), &serde_json::to_vec_pretty(&m).unwrap_or_default())?;
        if let Some(stage) = staged {
            self.adopt_tree(&stage, &m);
        }
        Ok(m)
    }

    /// The staged copy of a fresh build becomes its materialized tree, saving an extract; if anything
    /// fails here, `materialize` extracts the snapshot instead.
    fn adopt_tree(&self, stage: &Path, m: &Manifest) {
        let dest = self.root.join("trees").join(&m.artifact_hash[..16]);
        let adopted = !dest.exists()
            && elfshaker::strip_repo(stage).is_ok()
            && restore_modes(m, stage).is_ok()
            && fs::rename(stage, &dest).is_ok();
        if !adopted {
            let _ = fs::remove_dir_all(stage);
        }
    }

    /// Keeps one file as a blob unless its content is there; returns the bytes added.
    fn put_blob(&self, p: &Path, sha: &str, exec: bool, size: u64) -> Result<u64, Error> {
        let blob = self.blob_path(sha, exec);
        if blob.exists() {
            return Ok(0);
        }
        let dirp = blob.parent().unwrap_or(&self.root);
        fs::create_dir_all(dirp).map_err(|e| io_err(dirp, e))?;
        let tmp = blob.with_extension(format!("tmp{}", unique()));
        fs::copy(p, &tmp).map_err(|e| io_err(p, e))?;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(if exec { 0o555 } else { 0o444 }))
            .map_err(|e| io_err(&tmp, e))?;
        fs::rename(&tmp, &blob).map_err(|e| io_err(&blob, e))?;
        Ok(size)
    }

    /// Snapshots the staged regular files of a commit into the elfshaker repository, named by the commit.
    fn snapshot(&self, stage: &Path, commit: &str, files: &BTreeMap<String, Entry>) -> Result<(), Error> {
        let es = self.elfshaker()?;
        let repo = self.elfshaker_repo();
        fs::create_dir_all(repo.join("elfshaker_data")).map_err(|e| io_err(&repo, e))?;
        let _lock = elfshaker::lock(&repo, false)?;
        elfshaker::private_repo(stage, &repo, true)?;
        let regular: Vec<String> =
            files.iter().filter(|(_, e)| matches!(e, Entry::File { .. })).map(|(r, _)| r.clone()).collect();
        es.store(stage, commit, &regular)
    }

    /// Bytes of the elfshaker repository's loose objects and packs.
    fn elfshaker_bytes(&self) -> u64 {
        let data = self.elfshaker_repo().join("elfshaker_data");
        ["loose", "packs"].iter().map(|d| tree_bytes(&data.join(d))).sum()
    }

    /// Packs the loose elfshaker snapshots into one pack (nothing to do with the blob backend or when
    /// none are loose). Returns how many snapshots were packed.
    pub fn pack(&self) -> Result<usize, Error> {
        let repo = self.elfshaker_repo();
        if !repo.join("elfshaker_data").join("packs").join("loose").is_dir() {
            return Ok(0);
        }
        let es = self.elfshaker()?;
        let _lock = elfshaker::lock(&repo, true)?;
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        es.pack(&repo, &format!("kbisect-{secs}-{}", std::process::id()))
    }

    /// Extracts a commit's elfshaker snapshot (loose or packed) into `dir`, leaving only its files.
    fn extract(&self, commit: &str, dir: &Path) -> Result<(), Error> {
        let es = self.elfshaker()?;
        let repo = self.elfshaker_repo();
        let _lock = elfshaker::lock(&repo, false)?;
        let loose = repo.join("elfshaker_data").join("packs").join("loose").join(format!("{commit}.pack.idx"));
        let snap = if loose.exists() {
            Snapshot { pack: format!("loose/{commit}"), tag: commit.to_string() }
        } else {
            es.snapshots(&repo)?.into_iter().find(|s| s.tag == commit && !s.pack.starts_with("loose/")).ok_or_else(
                || Error::Elfshaker { op: "extract", message: format!("no snapshot {commit} in {}", repo.display()) },
            )?
        };
        es.extract(&repo, true, &snap, dir)
    }

    /// A directory holding `m`'s artifacts at their relative paths (hardlinked blobs, copied across
    /// devices, or extracted from elfshaker).
    pub fn materialize(&self, m: &Manifest) -> Result<PathBuf, Error> {
        let dest = self.root.join("trees").join(&m.artifact_hash[..16]);
        if dest.exists() {
            return Ok(dest);
        }
        let tmp = self.scratch(&m.artifact_hash[..16])?;
        let filled = match m.backend {
            Backend::Blobs => self.link_blobs(m, &tmp),
            Backend::Elfshaker => self.extract(&m.commit, &tmp).and_then(|()| restore_modes(m, &tmp)),
        };
        if let Err(e) = filled {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
        match fs::rename(&tmp, &dest) {
            Ok(()) => Ok(dest),
            // Another build materialized the same content meanwhile.
            Err(_) if dest.exists() => {
                let _ = fs::remove_dir_all(&tmp);
                Ok(dest)
            }
            Err(e) => Err(io_err(&dest, e)),
        }
    }

    fn link_blobs(&self, m: &Manifest, tmp: &Path) -> Result<(), Error> {
        for (rel, e) in &m.files {
            let to = tmp.join(rel);
            let parent = to.parent().unwrap_or(tmp);
            fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
            match e {
                Entry::Symlink { target } => std::os::unix::fs::symlink(target, &to).map_err(|e| io_err(&to, e))?,
                Entry::File { sha256, exec, .. } => {
                    let blob = self.blob_path(sha256, *exec);
                    if fs::hard_link(&blob, &to).is_err() {
                        fs::copy(&blob, &to).map_err(|e| io_err(&blob, e))?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Stored commits and the bytes of all their contents (blobs, elfshaker objects and packs).
    pub fn usage(&self) -> (usize, u64) {
        let commits = fs::read_dir(self.root.join("commits"))
            .map(|d| d.flatten().filter(|e| e.path().extension().is_some_and(|x| x == "json")).count())
            .unwrap_or(0);
        (commits, tree_bytes(&self.root.join("blobs")).saturating_add(self.elfshaker_bytes()))
    }
}

/// Copies a file to `to`, creating its directory.
fn copy_into(from: &Path, to: &Path) -> Result<(), Error> {
    let parent = to.parent().unwrap_or(to);
    fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
    fs::copy(from, to).map_err(|e| io_err(from, e))?;
    Ok(())
}

/// Gives extracted files the modes the manifest recorded and recreates its symlinks.
fn restore_modes(m: &Manifest, dir: &Path) -> Result<(), Error> {
    for (rel, e) in &m.files {
        let p = dir.join(rel);
        match e {
            Entry::File { exec, .. } => {
                fs::set_permissions(&p, fs::Permissions::from_mode(if *exec { 0o555 } else { 0o444 }))
                    .map_err(|e| io_err(&p, e))?
            }
            Entry::Symlink { target } => {
                let parent = p.parent().unwrap_or(dir);
                fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
                std::os::unix::fs::symlink(target, &p).map_err(|e| io_err(&p, e))?;
            }
        }
    }
    Ok(())
}

/// Bytes of the regular files below `dir` (0 when absent).
fn tree_bytes(dir: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => tree_bytes(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .fold(0u64, u64::saturating_add)
}
