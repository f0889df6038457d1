#!/bin/bash -eu
# ClusterFuzzLite build: kreloc's cargo-fuzz targets into $OUT (OSS-Fuzz's Rust conventions; the sanitizer
# flags come from the environment ClusterFuzzLite sets).
cd "$SRC/kreloc/fuzz"
targets=(elf reloc)
cargo fuzz build -O
for t in "${targets[@]}"; do
  cp "target/x86_64-unknown-linux-gnu/release/$t" "$OUT/"
done
