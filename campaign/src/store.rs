//! Findings and campaign state on disk. Every write is atomic (temp file or directory, then rename), so an
//! interrupted run never leaves a half-written finding and never loses one already written.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{de::DeserializeOwned, Serialize};

/// A finding ready to store: a fingerprint (its directory name) and its files.
#[derive(Debug, Clone)]
pub struct Finding {
    pub fingerprint: String,
    pub files: Vec<(String, Vec<u8>)>,
}

/// Whether a finding was new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    New(PathBuf),
    Duplicate(PathBuf),
}

/// `DIR/findings/<fingerprint>/`.
pub struct FindingStore {
    root: PathBuf,
}

impl FindingStore {
    /// Opens (creating) `dir/findings`.
    pub fn open(dir: &Path) -> io::Result<FindingStore> {
        let root = dir.join("findings");
        fs::create_dir_all(&root)?;
        Ok(FindingStore { root })
    }

    /// Where a fingerprint's finding lives.
    pub fn path(&self, fingerprint: &str) -> PathBuf {
        self.root.join(fingerprint)
    }

    /// Fingerprints already stored.
    pub fn fingerprints(&self) -> io::Result<Vec<String>> {
        let mut v: Vec<String> = fs::read_dir(&self.root)?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        v.sort();
        Ok(v)
    }

    /// Writes a finding atomically; a fingerprint already present is a duplicate (its `seen` count grows).
    pub fn record(&self, f: &Finding) -> io::Result<Recorded> {
        let dest = self.path(&f.fingerprint);
        if dest.exists() {
            bump_seen(&dest)?;
            return Ok(Recorded::Duplicate(dest));
        }
        let tmp = self.root.join(format!(".tmp-{}-{}", f.fingerprint, std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(&tmp)?;
        for (name, bytes) in &f.files {
            let path = tmp.join(name);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(path, bytes)?;
        }
        fs::write(tmp.join("seen"), "1\n")?;
        match fs::rename(&tmp, &dest) {
            Ok(()) => Ok(Recorded::New(dest)),
            Err(_) if dest.exists() => {
                let _ = fs::remove_dir_all(&tmp);
                bump_seen(&dest)?;
                Ok(Recorded::Duplicate(dest))
            }
            Err(e) => Err(e),
        }
    }
}

fn bump_seen(dir: &Path) -> io::Result<()> {
    let n: u64 = fs::read_to_string(dir.join("seen")).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(1);
    write_atomically(&dir.join("seen"), format!("{}\n", n + 1).as_bytes())
}

/// Writes a file by writing a sibling temp file and renaming it over the target.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{}.tmp-{}", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(), std::process::id()));
    let mut f = fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    fs::rename(tmp, path)
}

/// Saves JSON state atomically.
pub fn save_json<T: Serialize>(path: &Path, value: &T) -> io::Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    write_atomically(path, &bytes)
}

/// Loads JSON state, `None` if absent or unreadable (a corrupt state file means starting over).
pub fn load_json<T: DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_slice(&fs::read(path).ok()?).ok()
}
