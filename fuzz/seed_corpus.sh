#!/usr/bin/env bash
# Writes the reloc target's committed seed corpus: one 2-byte input per size class (an input's first byte
# picks its program's size class, `kreloc_gen::SIZE_CLASSES`), so the fuzzer starts from every size.
#   fuzz/seed_corpus.sh
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/reloc
for c in $(seq 0 11); do
  printf "\\x$(printf %02x "$c")\\x5a" >"corpus/reloc/size-class-$(printf %02d "$c")"
done
