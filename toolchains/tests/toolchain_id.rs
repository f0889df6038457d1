//! Toolchain ids are typed: family, exact version and variant, rendered and parsed back unchanged.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use kreloc_toolchains::{Family, ToolchainId, Version};

#[test]
fn installed_toolchains_ids_parse_back_to_their_typed_id() {
    for spec in ["gcc@12", "clang-19"] {
        let tc = kreloc_toolchains::resolve(spec).unwrap_or_else(|e| panic!("{spec}: {e} (run scripts/setup.sh)"));
        let id = tc.tool_id();
        assert_eq!(id.to_string(), tc.id());
        assert_eq!(tc.id().parse::<ToolchainId>().unwrap(), id);
        assert_eq!((id.family, &id.version), (tc.family, &tc.version));
    }
}

#[test]
fn the_version_is_the_second_part_whatever_follows() {
    let id: ToolchainId = "llvm-17.0.6-zig-0.12.1".parse().unwrap();
    assert_eq!(id.family, Family::Llvm);
    assert_eq!(id.version, Version(vec![17, 0, 6]));
    assert_eq!(id.variant.as_deref(), Some("zig-0.12.1"));
    assert_eq!(id.to_string(), "llvm-17.0.6-zig-0.12.1");
    let gcc: ToolchainId = "gcc-12.2.0".parse().unwrap();
    assert_eq!((gcc.variant, gcc.version.to_string()), (None, "12.2.0".to_string()));
    for bad in ["", "gcc", "gcc-", "tcc-1.0", "gcc-twelve"] {
        assert!(bad.parse::<ToolchainId>().is_err(), "{bad}");
    }
    assert_eq!(serde_json::to_string(&id).unwrap(), "\"llvm-17.0.6-zig-0.12.1\"");
}
