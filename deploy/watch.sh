#!/usr/bin/env bash
# The nightly watch (deploy/github/watch.yml runs it): a campaign, then `kreloc kernel` on each Linux tree and
# `kreloc kexec-tools` on each kexec-tools tree, all into one finding store; then, for every root cause in
# it, one GitHub issue through `gh`: created (after `kreloc triage`) when no issue carries the cause's
# fingerprint, commented on (and reopened if closed) when one does. The fingerprint is in the title,
# `[kreloc <fingerprint>] ...`, and issues are looked up by listing the label's issues (open and closed),
# not by search, whose index lags: one issue per root cause, never two.
#
# Settings (environment):
#   KRELOC                  the kreloc binary (default: kreloc on PATH)
#   WATCH_STORE             the finding store (default: watch-out)
#   WATCH_TOOLCHAINS        (default: gcc@12,clang-22,zig@0.17.1,rustc: the newest setup installs with KRELOC_FULL=1)
#   WATCH_CONFIGS           the campaign's configs (default: kernel-2024,pic-hidden,kexec-tools-2025)
#   WATCH_COUNT             the campaign's programs (default: 100; 0: no campaign)
#   WATCH_KERNEL_TREES      Linux trees, space-separated;    WATCH_KERNEL_CONFIGS (default: tree,kernel-2024)
#   WATCH_KEXEC_TOOLS_TREES kexec-tools trees;               WATCH_KEXEC_TOOLS_CONFIGS (default: tree,kexec-tools-2025,kexec-tools-2025-v3)
#   WATCH_TREE_TOOLCHAINS   toolchains for the trees (default: WATCH_TOOLCHAINS without zig and rustc: make drives gcc and clang)
#   WATCH_BUILD_DIR         the trees' build directories (default: the kreloc cache)
#   WATCH_LABEL             the issues' label (default: kreloc-watch)
#   WATCH_RUN_URL           a link to this run for the comments (watch.yml sets it)
# Exit: 0 when every stage ran (findings or not), 1 when a stage could not run or gh failed.
set -uo pipefail

kreloc=${KRELOC:-kreloc}
store=${WATCH_STORE:-watch-out}
toolchains=${WATCH_TOOLCHAINS:-gcc@12,clang-22,zig@0.17.1,rustc}
tree_toolchains=${WATCH_TREE_TOOLCHAINS:-$(tr ',' '\n' <<<"$toolchains" | grep -v -e '^zig@' -e '^rustc' | paste -sd, -)}
label=${WATCH_LABEL:-kreloc-watch}
run_url=${WATCH_RUN_URL:-}
build_dir=()
[[ -n "${WATCH_BUILD_DIR:-}" ]] && build_dir=(--build-dir "$WATCH_BUILD_DIR")
failed=0

# kreloc exits 1 for findings, which is what the watch is for; 2 and 125 mean the stage did not run.
stage() {
  local what=$1; shift
  echo "watch: $what" >&2
  "$kreloc" "$@" >&2
  local rc=$?
  if ((rc > 1)); then
    echo "watch: $what could not run (exit $rc)" >&2
    failed=1
  fi
}

if ((${WATCH_COUNT:-100} > 0)); then
  stage "campaign" fuzz --toolchains "$toolchains" --configs "${WATCH_CONFIGS:-kernel-2024,pic-hidden,kexec-tools-2025}" \
    --count "${WATCH_COUNT:-100}" --out "$store"
fi
for tree in ${WATCH_KERNEL_TREES:-}; do
  stage "kernel $tree" kernel --src "$tree" --toolchains "$tree_toolchains" \
    --configs "${WATCH_KERNEL_CONFIGS:-tree,kernel-2024}" "${build_dir[@]}" --out "$store"
done
for tree in ${WATCH_KEXEC_TOOLS_TREES:-}; do
  stage "kexec-tools $tree" kexec-tools --src "$tree" --toolchains "$tree_toolchains" \
    --configs "${WATCH_KEXEC_TOOLS_CONFIGS:-tree,kexec-tools-2025,kexec-tools-2025-v3}" "${build_dir[@]}" --out "$store"
done

# fingerprint <TAB> title <TAB> what saw it, one line per root cause of the store.
causes=$("$kreloc" report "$store" --json 2>/dev/null | python3 -c '
import json, sys
try:
    doc = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
for c in doc.get("causes", []):
    seen = ", ".join(c.get("kernel_trees") or []) or "generated programs"
    print("\t".join([c["fingerprint"], c["title"], "%d program(s), %d sighting(s): %s" % (c["programs"], c["sightings"], seen)]))
')
if [[ -z "$causes" ]]; then
  echo "watch: no root causes" >&2
  exit "$failed"
fi

gh label create "$label" --description "kreloc nightly watch: one issue per root cause" --color B60205 --force >/dev/null 2>&1
# "<number> <state> <title>" of every issue the watch has opened.
issues=$(gh issue list --label "$label" --state all --limit 1000 --json number,state,title \
  --jq '.[] | "\(.number) \(.state) \(.title)"') || { echo "watch: gh issue list failed" >&2; exit 1; }

body=$(mktemp)
trap 'rm -f "$body"' EXIT
while IFS=$'\t' read -r -u 3 fp title seen; do
  marker="[kreloc $fp]"
  existing=$(grep -F -- "$marker" <<<"$issues" | head -n1)
  if [[ -n "$existing" ]]; then
    read -r number state _ <<<"$existing"
    if [[ "$state" == CLOSED ]]; then
      gh issue reopen "$number" >/dev/null || failed=1
    fi
    printf 'Seen again by the nightly watch on %s%s: %s.\n' "$(date -u +%F)" "${run_url:+ ($run_url)}" "$seen" >"$body"
    gh issue comment "$number" --body-file "$body" >/dev/null || failed=1
    echo "watch: $fp: commented on #$number" >&2
  else
    finding="$store/findings/$fp"
    "$kreloc" triage "$finding" >/dev/null 2>&1 || echo "watch: $fp: triage failed; the issue carries the finding's report" >&2
    {
      printf '%s\n\nFound by the nightly watch on %s%s: %s.\n\n' "$title" "$(date -u +%F)" "${run_url:+ ($run_url)}" "$seen"
      if [[ -f "$finding/triage.md" ]]; then cat "$finding/triage.md"; else cat "$finding/report.md" 2>/dev/null; fi
    } | head -c 60000 >"$body"
    url=$(gh issue create --title "$marker $title" --label "$label" --body-file "$body") || { failed=1; continue; }
    issues+=$'\n'"${url##*/} OPEN $marker $title"
    echo "watch: $fp: opened $url" >&2
  fi
done 3<<<"$causes"
exit "$failed"
