//! The campaign report in a real headless browser (Debian's chromium, installed by scripts/setup.sh): the
//! page loads from a file with no network resource, and its DOM holds every matrix cell and every root
//! cause of the store. A screenshot is saved as target/report.png.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kreloc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kreloc"))
}

/// Runs chromium headless on `page` with `extra` arguments; fails loudly when it is not installed.
fn chromium(page: &Path, extra: &[&str]) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("timeout")
        .arg("180")
        .arg("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("timeout(1) runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code() != Some(127) && out.status.code() != Some(126),
        "chromium is not installed (exit {:?}: {err}): run scripts/setup.sh, which installs Debian's chromium for this test",
        out.status.code()
    );
    assert!(out.status.success(), "chromium failed on {}: {err}", page.display());
    out
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

#[test]
fn report_renders_every_cell_and_root_cause_in_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("runs");
    let st = kreloc()
        .args([
            "fuzz",
            "--toolchains",
            "gcc@11,gcc@12,llvm@17,llvm@18,clang-19",
            "--configs",
            "kernel-2018,kernel-2019,kernel-2024",
            "--count",
            "10",
            "--seed",
            "42",
            "--jobs",
            "2",
            "--out",
        ])
        .arg(&store)
        .status()
        .unwrap();
    assert!(matches!(st.code(), Some(0 | 1)), "kreloc fuzz failed ({st}): run scripts/setup.sh");
    let page = tmp.path().join("report.html");
    let out = kreloc().args(["report", "--json", "-o"]).arg(&page).arg(&store).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    for banned in ["<script src", "<link", "<img", "@import", "url("] {
        assert!(!html.contains(banned), "the page loads an external resource ({banned})");
    }

    let dom = String::from_utf8(chromium(&page, &["--dump-dom"]).stdout).unwrap();
    assert!(
        dom.contains("<h1>kreloc campaign report</h1>"),
        "chromium did not render the page: {}",
        &dom[..dom.len().min(500)]
    );
    let cells = r["matrix"]["cells"].as_array().unwrap();
    let rows = r["matrix"]["rows"].as_array().unwrap().len();
    let configs = r["matrix"]["configs"].as_array().unwrap().len();
    assert_eq!((rows, configs), (5, 3), "every toolchain and config of the campaign is a row / column");
    assert_eq!(cells.len(), rows * configs);
    for c in cells {
        let attrs = format!(
            "data-toolchain=\"{}\" data-config=\"{}\"",
            c["toolchain"].as_str().unwrap(),
            c["config"].as_str().unwrap()
        );
        assert_eq!(dom.matches(&attrs).count(), 1, "matrix cell {attrs} is not in the DOM exactly once");
    }
    assert_eq!(dom.matches("class=\"cell").count(), cells.len());
    // The share is the whole load's; relocation alone is the detail, and never smaller.
    assert!(
        dom.contains("<b>whole load</b>") && dom.contains("relocate and run right:"),
        "the matrix does not say which share it shows"
    );
    for c in cells.iter().filter(|c| !c["share"].is_null()) {
        assert!(c["relocation_share"].as_f64().unwrap() >= c["share"].as_f64().unwrap(), "{c}");
    }
    let causes = r["causes"].as_array().unwrap();
    assert!(!causes.is_empty(), "a 10-program campaign over kernel-2019 finds at least its config property");
    for c in causes {
        let fp = c["fingerprint"].as_str().unwrap();
        assert!(dom.contains(&format!("data-fingerprint=\"{fp}\"")), "root cause {fp} has no row");
        assert!(dom.contains(&format!("id=\"cause-{fp}\"")), "root cause {fp} has no detail section");
        assert!(dom.contains(&format!("href=\"#cause-{fp}\"")), "root cause {fp} is not linked");
    }
    assert!(dom.contains("class=\"shard\""), "the campaign's per-shard numbers are missing");

    let shot = target_dir().join("report.png");
    let _ = std::fs::remove_file(&shot);
    chromium(&page, &[&format!("--screenshot={}", shot.display()), "--window-size=1400,1000"]);
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "screenshot is not a PNG of the page");
}
