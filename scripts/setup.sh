#!/usr/bin/env bash
# Installs every toolchain kreloc's tests use. Idempotent: when all is present it only checks.
#   KRELOC_FULL=1 scripts/setup.sh   also installs the full matrix (LLVM 13-22, cross gcc, cvise).
set -euo pipefail

cache="${XDG_CACHE_HOME:-$HOME/.cache}/kreloc"
apt_pkgs=(gcc-11 clang-19 lld-19 binutils ccache)  # ccache: kbisect commit builds
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

command -v cargo >/dev/null || { echo "setup: cargo not found; install a Rust toolchain first" >&2; exit 1; }
echo "setup: toolchains ready (cache $cache)" >&2
