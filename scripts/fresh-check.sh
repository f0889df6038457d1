#!/usr/bin/env bash
# What a newcomer meets: the README's two commands, exactly as the README writes them, in a fresh clone
# with an empty cache (XDG_CACHE_HOME and CARGO_TARGET_DIR pointing at new, empty directories). Prints the
# wall time of each and exits non-zero if either fails. CI runs on a warm machine and cannot see this.
#   scripts/fresh-check.sh [COMMIT]    default: HEAD of this checkout's main branch
#   KEEP=1 scripts/fresh-check.sh      keeps the scratch directory (clone, cache, target, logs)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
ref=${1:-main}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/kreloc-fresh.XXXXXX")
trap '[[ "${KEEP:-0}" == 1 ]] && echo "fresh-check: kept $scratch" >&2 || rm -rf "$scratch"' EXIT

git clone -q "$repo" "$scratch/kreloc"
git -C "$scratch/kreloc" checkout -q --detach "$ref"
mkdir "$scratch/cache" "$scratch/target"
export XDG_CACHE_HOME="$scratch/cache" CARGO_TARGET_DIR="$scratch/target"
cd "$scratch/kreloc"

# The README opens with one sh block of two commands, each followed by a comment.
mapfile -t commands < <(awk '/^```sh$/ { inside = 1; next } /^```$/ { if (inside) exit } inside' README.md | sed 's/[[:space:]]*#.*$//' | grep -v '^[[:space:]]*$')
if ((${#commands[@]} != 2)); then
  echo "fresh-check: the README's first sh block should hold 2 commands, it holds ${#commands[@]}" >&2
  exit 1
fi

status=0
summary=()
for i in 0 1; do
  cmd=${commands[$i]}
  echo "fresh-check: \$ $cmd" >&2
  start=$(date +%s)
  if bash -c "$cmd" 2>&1 | tee "$scratch/command-$((i + 1)).log"; [[ ${PIPESTATUS[0]} == 0 ]]; then
    result=passed
  else
    result=FAILED
    status=1
  fi
  secs=$(($(date +%s) - start))
  summary+=("$(printf '%-7s %3dm%02ds  %s' "$result" $((secs / 60)) $((secs % 60)) "$cmd")")
done
echo "fresh-check ($(git rev-parse --short HEAD), empty cache):" >&2
printf '  %s\n' "${summary[@]}" >&2
exit $status
