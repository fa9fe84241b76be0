#!/usr/bin/env bash
# `brix validate --deep` throughput next to a raw read of the same bytes (docs/validate.md,
# issue 18), measured in the same run: a snapshot backup of about MiB (default 256) written while
# log backup runs, a compaction of the log, then
#   raw read:   cat of every file of both locations to /dev/null
#   raw hash:   sha256sum of every file, one process per core (the least any check of the
#               recorded SHA-256 must do)
#   deep:       brix validate --deep -s full --log-storage log
# each twice, alternating, best of two (both read from the page cache after the first pass, so
# the comparison is of CPU work per byte, not of the disk). Prints one Markdown table with wall
# seconds, MiB/s and CPU seconds (utime + stime, which machine load moves little).
# Usage: bench/validate.sh [MiB]. KEEP=1 keeps the work folder.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mib="${1:-256}"
BENCH_TARGETS="brix kvctl kvnode kvpd"
bench_init
pg_up src
use_env src
"$bin/brix" log start --task-name vbench --storage "local://$dir/log" >/dev/null
"$bin/kvctl" load --table v.base --rows 1000 --value-size 256 >/dev/null
"$bin/kvctl" load --table v.t1,v.t2,v.t3,v.t4 --rows $((mib * 256)) --value-size 1000 \
  --threads 4 >/dev/null
start=$("$bin/kvctl" tso)
"$bin/brix" backup full -s "local://$dir/full" --output json >"$dir/full.json"
"$bin/kvctl" load --table v.t5 --rows $((mib * 64)) --value-size 1000 --threads 4 >/dev/null
end=$("$bin/kvctl" tso)
wait_checkpoint "local://$dir/log" "$end"
"$bin/brix" log pause --task-name vbench >/dev/null
"$bin/brix" log compact -s "local://$dir/log" --from "$start" --until "$end" --name c1 \
  >/dev/null 2>&1
bytes=$(du -sb "$dir/full" "$dir/log" | awk '{s += $1} END {print s}')
echo "== $((bytes / 1048576)) MiB stored in $(find "$dir/full" "$dir/log" -type f | wc -l) files"

# time_of OUT CMD...: "<wall s> <cpu s>" of CMD (GNU time).
time_of() {
  local out="$1"
  shift
  /usr/bin/time -f "%e %U %S" -o "$out.time" "$@" >"$out" 2>/dev/null || true
  awk '{printf "%s %.2f\n", $1, $2 + $3}' "$out.time"
}
raw() { find "$dir/full" "$dir/log" -type f -exec cat {} + >/dev/null; }
hash() { find "$dir/full" "$dir/log" -type f -print0 | xargs -0 -P "$(nproc)" -n 2 sha256sum >/dev/null; }
export -f raw hash
export dir
best_raw="" best_hash="" best_deep=""
for round in 1 2; do
  r=$(time_of "$dir/raw.out" bash -c raw)
  h=$(time_of "$dir/hash.out" bash -c hash)
  d=$(time_of "$dir/deep.json" "$bin/brix" validate --deep -s "local://$dir/full" \
    --log-storage "local://$dir/log" --output json)
  [ -z "$best_raw" ] || [ "$(echo "$r $best_raw" | awk '{print ($1 < $3)}')" = 1 ] && best_raw="$r"
  [ -z "$best_hash" ] || [ "$(echo "$h $best_hash" | awk '{print ($1 < $3)}')" = 1 ] && best_hash="$h"
  [ -z "$best_deep" ] || [ "$(echo "$d $best_deep" | awk '{print ($1 < $3)}')" = 1 ] && best_deep="$d"
done
result=$(json result <"$dir/deep.json")
checked=$(json bytes <"$dir/deep.json")
python3 - "$bytes" "$checked" "$best_raw" "$best_deep" "$result" "$(nproc)" "$best_hash" <<'PY'
import sys
stored, checked = int(sys.argv[1]), int(sys.argv[2])
raw, deep, hashed = [list(map(float, a.split())) for a in sys.argv[3:5] + sys.argv[7:8]]
M = 1 << 20
print(f"| read of the same bytes ({sys.argv[6]} cores) | bytes | wall s | MiB/s | CPU s |")
print("|---|---|---|---|---|")
print(f"| cat to /dev/null | {stored} | {raw[0]:.2f} | {stored / M / max(raw[0], 1e-3):.0f} | {raw[1]:.2f} |")
print(f"| sha256sum, {sys.argv[6]} at a time | {stored} | {hashed[0]:.2f} | {stored / M / max(hashed[0], 1e-3):.0f} | {hashed[1]:.2f} |")
print(f"| brix validate --deep ({sys.argv[5]}) | {checked} | {deep[0]:.2f} | {checked / M / max(deep[0], 1e-3):.0f} | {deep[1]:.2f} |")
print(f"deep / raw wall: {deep[0] / max(raw[0], 1e-3):.1f}x; deep / sha256sum wall: "
      f"{deep[0] / max(hashed[0], 1e-3):.2f}x")
PY
[ "$result" = Passed ]
