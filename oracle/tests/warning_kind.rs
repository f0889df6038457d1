//! Warnings compare by kind: code plus the fields that name the subject, never the numbers or the English.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use kreloc_oracle::{Warning, WarningKind};

fn truncated(symbol: &str, value: u64) -> Warning {
    Warning::SilentlyTruncated { type_name: "R_X86_64_PC32".into(), symbol: symbol.into(), value, width: 4 }
}

#[test]
fn the_same_kind_at_other_addresses_is_equal_and_another_subject_is_not() {
    assert_eq!(truncated("table", 0x1_3fff_c760).kind(), truncated("table", 0x2ffa).kind());
    assert_ne!(truncated("table", 1).kind(), truncated("other", 1).kind());
    let entry = |count| Warning::EntryWarns { sections: vec![".text".into(), ".ltext".into()], count };
    assert_eq!(entry(1).kind(), entry(3).kind());
    assert_eq!(entry(1).kind().code(), entry(1).code());
    let misaligned = |load_addr| Warning::Misaligned { load_addr, align: 0x1000 }.kind();
    assert_eq!(misaligned(0x1001), misaligned(0x2002));
}

#[test]
fn kinds_serialize_typed_and_stores_of_warning_text_still_load() {
    let kind = truncated("table", 5).kind();
    let json = serde_json::to_value(&kind).unwrap();
    assert_eq!(json["code"], "silently-truncated");
    assert_eq!(json["symbol"], "table");
    assert_eq!(serde_json::from_value::<WarningKind>(json).unwrap(), kind);
    // What stores written before typed warnings hold: the warning's text with its numbers replaced by '#'.
    let old = "R_X86_64_PC# against table: value # silently truncated to # bytes (the loader does not check)";
    let loaded: Vec<WarningKind> = serde_json::from_str(&format!("[\"{old}\"]")).unwrap();
    assert_eq!(loaded, vec![WarningKind::Legacy(old.into())]);
    assert_eq!(loaded[0].to_string(), old);
}
