#!/bin/sh
# Stability run (docs/stalls.md): every example scenario N times (default
# 10), one after the other; prints per run the verdict and each p99 check's
# observed ratio, then per example the verdict counts and the min–max of
# each judged ratio. Not in CI: it takes N × (about a minute) per example.
# Usage: scripts/stability.sh [N] [rehearse binary] [rehearse flags...]
# (for example: scripts/stability.sh 10 bin/rehearse --provider local --retry-invalid 2)
set -eu
n=${1:-10}
bin=${2:-bin/rehearse}
shift $(( $# < 2 ? $# : 2 ))
out=${STABILITY_DIR:-$(mktemp -d)}
echo "results in $out"
for f in scenarios/examples/*.yaml; do
  ex=$(basename "$f" .yaml)
  i=1
  while [ "$i" -le "$n" ]; do
    rc=0
    "$bin" "$f" -q --json "$out/$ex-$i.json" "$@" > "$out/$ex-$i.txt" 2>&1 || rc=$?
    retries=$(grep -c '^invalid rehearsal' "$out/$ex-$i.txt" || true)
    verdict=$(jq -r 'if .verdict.invalid then "INVALID" elif .status == "aborted" then "ABORTED" elif .verdict.pass then "PASS" else "FAIL" end' "$out/$ex-$i.json" 2>/dev/null || echo "NO-RESULT")
    ratios=$(jq -r '[.verdict.checks[] | select((.name | startswith("p99_regression")) and (.observed | test("^[0-9.]+x"))) | "\(.name)=\(.observed | split("x")[0])"] | join(" ")' "$out/$ex-$i.json" 2>/dev/null || true)
    failed=$(jq -r '[.verdict.checks[] | select(.pass | not) | .name] | join(",")' "$out/$ex-$i.json" 2>/dev/null || true)
    echo "$ex run $i: exit $rc $verdict failed=[$failed] retries=$retries $ratios" | tee -a "$out/summary.txt"
    i=$((i + 1))
  done
done
echo
awk '{ex=$1; v=$6; n[ex" "v]++; for (k = 9; k <= NF; k++) { split($k, a, "="); key = ex" "a[1]; x = a[2] + 0;
       if (!(key in lo) || x < lo[key]) lo[key] = x; if (!(key in hi) || x > hi[key]) hi[key] = x } }
     END { for (k in n) print k": "n[k]" runs"; for (k in lo) printf "%s: %.2fx–%.2fx\n", k, lo[k], hi[k] }' "$out/summary.txt" | sort
