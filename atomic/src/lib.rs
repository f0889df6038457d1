//! Atomic writes and cache fills that are safe when several processes (test binaries, shards, a second
//! `kreloc` in another terminal) fill the same item at once.
//!
//! A fill is *exclusive*: it holds an advisory lock on `<item>.lock` (flock(2), the same lock the `flock`
//! command takes, so `scripts/setup.sh` and the binaries exclude each other). It is *atomic*: the item is
//! built aside in a directory of its own and renamed into place when complete, so a reader never sees
//! half an item and an interrupted fill leaves nothing that looks finished. A process that waited for the
//! lock finds the item present and uses it; nobody removes another process's work.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub mod digest;

/// Why a fill failed: the filler's own error, or the file system's.
#[derive(Debug)]
pub enum FillError<E> {
    /// Locking, creating the scratch space or renaming the item into place failed.
    Io { path: PathBuf, source: io::Error },
    /// The fill function failed; nothing was put in place.
    Fill(E),
}

impl<E: std::fmt::Display> std::fmt::Display for FillError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FillError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            FillError::Fill(e) => e.fmt(f),
        }
    }
}

impl<E: std::fmt::Debug + std::fmt::Display> std::error::Error for FillError<E> {}

/// An exclusive lock on `<path>.lock`, released when dropped.
pub struct Lock {
    _file: File,
}

/// Takes the exclusive lock that guards `path`, waiting for another holder to finish.
pub fn lock(path: &Path) -> io::Result<Lock> {
    let lock_path = sibling(path, ".lock");
    if let Some(dir) = lock_path.parent() {
        fs::create_dir_all(dir)?;
    }
    let file = OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path)?;
    file.lock()?;
    Ok(Lock { _file: file })
}

/// Fills the directory `dest` unless it exists: `fill` gets an empty scratch directory and the directory is
/// renamed to `dest` once `fill` returns `Ok`. Returns whether this call did the fill.
pub fn fill_dir<E>(dest: &Path, fill: impl FnOnce(&Path) -> Result<(), E>) -> Result<bool, FillError<E>> {
    fill_with(dest, |scratch| {
        fs::create_dir(scratch).map_err(|e| io_error(scratch, e))?;
        fill(scratch).map_err(FillError::Fill)
    })
}

/// Fills the file `dest` unless it exists: `fill` writes the file at the path it is given, which is renamed
/// to `dest` (after an fsync) once `fill` returns `Ok`. Returns whether this call did the fill.
pub fn fill_file<E>(dest: &Path, fill: impl FnOnce(&Path) -> Result<(), E>) -> Result<bool, FillError<E>> {
    fill_with(dest, |scratch| {
        fill(scratch).map_err(FillError::Fill)?;
        File::open(scratch).and_then(|f| f.sync_all()).map_err(|e| io_error(scratch, e))
    })
}

fn fill_with<E>(dest: &Path, fill: impl FnOnce(&Path) -> Result<(), FillError<E>>) -> Result<bool, FillError<E>> {
    if dest.exists() {
        return Ok(false);
    }
    let _lock = lock(dest).map_err(|e| io_error(&sibling(dest, ".lock"), e))?;
    if dest.exists() {
        // Another process filled it while this one waited.
        return Ok(false);
    }
    remove_stale_scratch(dest);
    let scratch = scratch_path(dest);
    let filled = fill(&scratch).and_then(|()| fs::rename(&scratch, dest).map_err(|e| io_error(dest, e)));
    if filled.is_err() {
        // Only this process's own scratch space: its name carries our pid and a counter.
        let _ = remove_any(&scratch);
        return filled.map(|()| true);
    }
    sync_dir(dest).map_err(|e| io_error(dest, e))?;
    Ok(true)
}

/// Writes `bytes` to `path` atomically: a temporary file of this process and thread beside it, fsync'd,
/// renamed over `path`, and the directory fsync'd, so a crash leaves the old file or the new one.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent(path);
    fs::create_dir_all(dir)?;
    let tmp = scratch_path(path);
    let written = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written?;
    sync_dir(path)
}

/// `.<name>.tmp-<pid>-<n>` beside `path`: unique to this process and call, and hidden from listings.
fn scratch_path(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    parent(path).join(format!(".{name}.tmp-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)))
}

/// Scratch space that an interrupted fill of `dest` left: under the lock, nobody else is filling it.
fn remove_stale_scratch(dest: &Path) {
    let Some(name) = dest.file_name().map(|n| format!(".{}.tmp-", n.to_string_lossy())) else { return };
    let Ok(entries) = fs::read_dir(parent(dest)) else { return };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&name) {
            let _ = remove_any(&entry.path());
        }
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(suffix);
    parent(path).join(name)
}

fn parent(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Makes a rename durable.
fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(parent(path))?.sync_all()
}

fn remove_any(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn io_error<E>(path: &Path, source: io::Error) -> FillError<E> {
    FillError::Io { path: path.to_path_buf(), source }
}
