//! Profile names parse to a typed id and render back unchanged; the id carries the era and the window.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use kreloc_oracle::profile::{catalogue, I386Mode, KernelVersion, LinuxEra, ProfileId};

#[test]
fn every_catalogue_name_round_trips_through_the_id() {
    for (name, _) in catalogue() {
        let id: ProfileId = name.parse().unwrap();
        assert_eq!(id.to_string(), name);
        assert_eq!(id.profile().name(), name, "the profile built from {name} names itself the same");
        assert_eq!(id.profile().placement_window(), id.placement_window());
    }
}

#[test]
fn a_version_keeps_what_was_typed_and_picks_its_era() {
    let id: ProfileId = "linux-x86_64@6.6.30".parse().unwrap();
    assert_eq!(id, ProfileId::LinuxX86_64(Some(KernelVersion { major: 6, minor: Some(6), patch: Some(30) })));
    assert_eq!(id.to_string(), "linux-x86_64@6.6.30");
    assert_eq!(id.era(), Some(LinuxEra::WarnOnSecondMatch));
    let old: ProfileId = "linux-x86_64@4.16".parse().unwrap();
    assert_eq!(old.era(), Some(LinuxEra::LegacyPlt32));
    assert_eq!("linux-x86_64".parse::<ProfileId>().unwrap().era(), Some(LinuxEra::WarnOnSecondMatch));
    assert_eq!("kexec-tools-i386".parse::<ProfileId>().unwrap().era(), None);
}

#[test]
fn placement_windows_are_the_loaders() {
    let window = |name: &str| name.parse::<ProfileId>().unwrap().placement_window();
    assert_eq!(window("kexec-tools-i386"), (0x3000, 0x7fff_ffff));
    assert_eq!(window("kexec-tools-i386-nonreloc"), (0x3000, 0xa0000));
    assert_eq!(window("linux-x86_64@4.15"), (0x3000, u64::MAX));
    assert_eq!(window("linux-riscv64"), (0x8000_0000, u64::MAX));
    assert_eq!(ProfileId::KexecToolsI386(I386Mode::RealMode).to_string(), "kexec-tools-i386-realmode");
}

#[test]
fn unknown_names_and_versions_are_errors_naming_the_known_ones() {
    for bad in ["", "linux", "linux-x86_64@", "linux-x86_64@six", "linux-x86_64@6.6.30.1", "strict-x86_64@6.6"] {
        let e = bad.parse::<ProfileId>().unwrap_err();
        assert_eq!(e.given, bad);
        assert!(e.to_string().contains("kexec-tools-i386-realmode"), "{e}");
    }
}

#[test]
fn the_serde_form_is_the_name() {
    let id: ProfileId = "linux-x86_64@5.10".parse().unwrap();
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(json, "\"linux-x86_64@5.10\"");
    assert_eq!(serde_json::from_str::<ProfileId>(&json).unwrap(), id);
    assert!(serde_json::from_str::<ProfileId>("\"linux-x86_65\"").is_err());
}
