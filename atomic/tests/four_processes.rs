//! Four processes (this test binary, run again as children) fill the same item into an empty cache at
//! once: each succeeds, exactly one of them fills, and one complete copy is left with no scratch space.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::path::Path;
use std::process::Command;
use std::time::Duration;

const CHILD: &str = "KRELOC_ATOMIC_TEST_CHILD";

/// What each child does: fill `<cache>/item` slowly, in several files, logging the fill to `fills.log`.
#[test]
fn child_fill() {
    let Some(cache) = std::env::var_os(CHILD) else { return };
    let cache = Path::new(&cache);
    let item = cache.join("tree").join("item");
    let filled = kreloc_atomic::fill_dir(&item, |scratch| -> std::io::Result<()> {
        log(cache, "fill");
        for i in 0..20 {
            std::fs::write(scratch.join(format!("part{i}")), format!("part {i}"))?;
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    })
    .expect("fill");
    // Each child sees the complete item, whether it filled it or waited.
    for i in 0..20 {
        assert_eq!(std::fs::read_to_string(item.join(format!("part{i}"))).unwrap(), format!("part {i}"));
    }
    log(cache, if filled { "filled" } else { "used" });
}

fn log(cache: &Path, line: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(cache.join("fills.log")).unwrap();
    // One write(2) per line: O_APPEND keeps whole lines whole, `writeln!` may split "used" from "\n".
    f.write_all(format!("{line}\n").as_bytes()).unwrap();
}

#[test]
fn four_processes_fill_one_item_once() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(&exe)
                .args(["--exact", "child_fill", "--test-threads=1"])
                .env(CHILD, cache.path())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a child failed to fill or read the item");
    }
    let log = std::fs::read_to_string(cache.path().join("fills.log")).unwrap();
    let count = |w: &str| log.lines().filter(|l| *l == w).count();
    assert_eq!((count("fill"), count("filled"), count("used")), (1, 1, 3), "one fill, three waiters: {log}");
    let mut left: Vec<String> = std::fs::read_dir(cache.path().join("tree"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["item", "item.lock"], "one copy, no scratch left");
    assert_eq!(std::fs::read_dir(cache.path().join("tree/item")).unwrap().count(), 20);
}

#[test]
fn a_failed_fill_leaves_nothing_and_the_next_one_fills() {
    let cache = tempfile::tempdir().unwrap();
    let item = cache.path().join("item");
    let failed = kreloc_atomic::fill_dir(&item, |scratch| {
        std::fs::write(scratch.join("half"), "x").unwrap();
        Err("download failed")
    });
    assert!(matches!(failed, Err(kreloc_atomic::FillError::Fill("download failed"))));
    assert!(!item.exists());
    assert!(kreloc_atomic::fill_dir(&item, |s| std::fs::write(s.join("whole"), "y")).unwrap());
    assert!(!kreloc_atomic::fill_dir(&item, |_| -> std::io::Result<()> { panic!("filled twice") }).unwrap());
    let names: Vec<_> = std::fs::read_dir(cache.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 2, "item and its lock, no scratch: {names:?}");
}

#[test]
fn write_replaces_a_file_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/state.json");
    kreloc_atomic::write(&path, b"one").unwrap();
    kreloc_atomic::write(&path, b"two").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"two");
    assert_eq!(std::fs::read_dir(dir.path().join("sub")).unwrap().count(), 1);
}
