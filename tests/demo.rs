//! The README's main job: every seed scenario behaves as expected.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

#[test]
fn the_demo_passes_every_scenario() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kreloc")).args(["demo", "--json"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rows: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(rows["schema"], "kreloc/1");
    let rows = rows["items"].as_array().unwrap();
    assert_eq!(rows.len(), 16, "{stdout}");
    for prefix in ["000", "001", "002", "003", "004"] {
        assert!(rows.iter().any(|r| r["scenario"].as_str().unwrap().starts_with(prefix)), "scenario {prefix} missing");
    }
    let failed: Vec<_> = rows.iter().filter(|r| r["pass"] != true).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert_eq!(out.status.code(), Some(0));
}
