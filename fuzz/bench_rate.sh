#!/usr/bin/env bash
# The reloc fuzz target's rate (ASan build, as `cargo fuzz run reloc` builds it) at 1 and 2 jobs against the
# campaign's (`kreloc fuzz`) on the same matrix and the same kind of programs (512 random bytes each, what
# `kreloc fuzz` feeds Program::from_bytes), every run with a cold object cache.
#   fuzz/bench_rate.sh [programs]     (default 60)
set -euo pipefail
cd "$(dirname "$0")"
n=${1:-60}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo fuzz build reloc >/dev/null 2>&1
(cd .. && cargo build --release -q --bin kreloc)
python3 -c "import random,sys; r=random.Random(1); [open(f'$tmp/in{i}','wb').write(bytes(r.getrandbits(8) for _ in range(512))) for i in range($n)]"
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
rate() { echo "scale=2; $n / $1" | bc; }
for j in 1 2; do
  t=$(KRELOC_CACHE_DIR=$(mktemp -d -p "$tmp") KRELOC_FUZZ_JOBS=$j KRELOC_FUZZ_STOP=never KRELOC_FUZZ_OUT="$tmp/out$j" \
      secs target/x86_64-unknown-linux-gnu/release/reloc "$tmp"/in*)
  echo "fuzz target, jobs $j: $n programs in ${t}s = $(rate "$t") exec/s"
done
for j in 1 2; do
  t=$(KRELOC_CACHE_DIR=$(mktemp -d -p "$tmp") secs ../target/release/kreloc fuzz --toolchains gcc@12,clang-19 \
      --configs kernel-2018,kernel-2024 --count "$n" --jobs $j --out "$tmp/campaign$j")
  echo "kreloc fuzz, jobs $j: $n programs in ${t}s = $(rate "$t") programs/s"
done
