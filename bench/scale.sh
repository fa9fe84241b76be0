#!/usr/bin/env bash
# Metadata at scale (docs/performance.md): how long the commands that read a whole location take,
# and their peak RSS, when it holds many objects. Prints one Markdown table.
#  - a synthetic log location written with the project's encoders (bench_scale_gen gen, local):
#    FILES data files (100,000) over TABLES tables (10,000) from 3 stores, 10 files per meta —
#    then `brix log metadata`, PITR planning (bench_scale_gen plan: every meta and compaction
#    read, files selected and ordered; `brix restore point` has no dry-run), `brix validate`
#    (every file's SHA-256 and decode) and `brix log truncate` of half the window;
#  - a real 3-node playground with SNAP_TABLES tables of one row (each table gets its own region,
#    so 1,000 tables are ~333 regions per node; creating tables through kvpd runs at ~16/s here,
#    so 10,000 would take over 10 minutes) — `brix backup full` and `brix validate` of it.
# Seconds and peak RSS come from /usr/bin/time (elapsed, maximum resident set size).
# Usage: bench/scale.sh. Env: FILES, TABLES, SNAP_TABLES, KEEP=1.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
files="${FILES:-100000}"
tables="${TABLES:-10000}"
snap_tables="${SNAP_TABLES:-1000}"
bench_init
: >"$dir/rows"
measure() {  # LABEL CMD...: runs CMD under /usr/bin/time, records seconds and peak RSS
  local label="$1"
  shift
  /usr/bin/time -f '%e %M' -o "$dir/time" "$@" >"$dir/out" 2>"$dir/err" || {
    echo "$label failed:" >&2; cat "$dir/out" "$dir/err" >&2; exit 1; }
  read -r secs kib <"$dir/time"
  printf '%s\t%s\t%s\t%s\n' "$label" "$secs" "$((kib / 1024))" "$(tail -n1 "$dir/out" | cut -c1-150)" >>"$dir/rows"
  echo "   $label: $secs s, $((kib / 1024)) MiB"
}
log="local://$dir/log"
echo "== synthetic log location: $files files over $tables tables"
"$bin/bench_scale_gen" gen --dir "$dir/log" --files "$files" --tables "$tables" | tee "$dir/gen.json"
start_ts=$(json start_ts <"$dir/gen.json")
checkpoint=$(json checkpoint <"$dir/gen.json")
measure "brix log metadata ($files files)" "$bin/brix" log metadata -s "$log" --output json
measure "PITR planning ($files files)" "$bin/bench_scale_gen" plan --storage "$log"
measure "brix validate, log ($files files)" "$bin/brix" validate -s "$log" --output json
measure "brix log truncate (half the window)" "$bin/brix" log truncate -s "$log" -y \
  --until "$(( (start_ts + checkpoint) / 2 ))" --output json
measure "brix log metadata (after truncate)" "$bin/brix" log metadata -s "$log" --output json

echo "== playground with $snap_tables tables"
pg_up src
use_env src
names=$(python3 -c "print(','.join(f'scale.t{i}' for i in range(1, $snap_tables + 1)))")
start=$SECONDS
"$bin/kvctl" load --table "$names" --rows 1 --value-size 64 --threads 8 >/dev/null
regions=$(($("$bin/kvctl" regions | wc -l) - 1))
echo "   $snap_tables tables, $regions regions over 3 nodes, created in $((SECONDS - start)) s"
measure "brix backup full ($snap_tables tables, $regions regions)" "$bin/brix" backup full \
  -s "local://$dir/bk" --output json
measure "brix validate, snapshot ($snap_tables tables)" "$bin/brix" validate -s "local://$dir/bk" --output json

echo
echo "| command | seconds | peak RSS (MiB) | result (last line, cut) |"
echo "|---|---|---|---|"
while IFS=$'\t' read -r label secs mib out; do
  echo "| $label | $secs | $mib | \`${out//|/\\|}\` |"
done <"$dir/rows"
