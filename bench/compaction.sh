#!/usr/bin/env bash
# Log compaction benchmark, in one run on a 3-node playground: ≥ 1 GiB of log data
# (a bulk load while log backup runs), then the PITR of the same window twice into fresh
# clusters — from raw logs, and after `brix log compact` from compacted SSTs — with both replay
# times, the speed-up, and compaction throughput. Both restores are checked against the source.
# Usage: bench/compaction.sh [GiB] (default 1)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
gib="${1:-1}"
"$here/scripts/setup" >/dev/null
"$here/scripts/build" >/dev/null
bin="$here/build/bin"
dir="$(mktemp -d "${TMPDIR:-/tmp}/brix-bench-XXXXXX")"
cleanup() {
  for pg in src raw compacted; do "$bin/brix" playground down --dir "$dir/$pg" >/dev/null 2>&1 || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
pd_of() { (set -a; . "$dir/$1/playground.env"; echo "$BRIX_PD"); }
json() { python3 -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])[sys.argv[1]])" "$1"; }
for pg in src raw compacted; do "$bin/brix" playground up --dir "$dir/$pg" --nodes 3 >/dev/null; done
set -a; . "$dir/src/playground.env"; set +a
"$bin/kvctl" load --table bench.base --rows 10000 --value-size 256 >/dev/null
"$bin/brix" log start --task-name bench --storage "local://$dir/log" >/dev/null
full=$("$bin/brix" backup full --storage "local://$dir/full" --output json | json backup_ts)
rows=$(python3 -c "print(int($gib * 2**30 / (1000 + 19) / 4))")
echo "== bulk load while logging: 4 tables x $rows rows x 1000 B"
"$bin/kvctl" load --table bench.l1,bench.l2,bench.l3,bench.l4 --rows "$rows" --value-size 1000 --threads 8
end=$("$bin/kvctl" tso)
for _ in $(seq 1 240); do
  c=$("$bin/brix" log metadata --storage "local://$dir/log" --output json | json global_checkpoint)
  [ "$c" -ge "$end" ] && break
  sleep 0.5
done
du -sh "$dir/log"
want=$("$bin/kvctl" checksum --ts "$end" | tail -n1)

echo "== PITR from raw logs"
"$bin/brix" restore point --pd "$(pd_of raw)" --storage "local://$dir/log" \
  --full-backup-storage "local://$dir/full" --restored-ts "$end" --output json | tee "$dir/raw.json"
got=$("$bin/kvctl" --pd "$(pd_of raw)" checksum | tail -n1)
[[ "$want" == "$got" ]] || { echo "MISMATCH raw: $want vs $got"; exit 1; }

echo "== brix log compact --from $full --until $end"
start=$(date +%s.%N)
"$bin/brix" log compact --storage "local://$dir/log" --from "$full" --until "$end" --output json \
  2>"$dir/progress" | tee "$dir/compact.json"
stop=$(date +%s.%N)
tail -n1 "$dir/progress"

echo "== PITR with compacted SSTs"
"$bin/brix" restore point --pd "$(pd_of compacted)" --storage "local://$dir/log" \
  --full-backup-storage "local://$dir/full" --restored-ts "$end" --output json | tee "$dir/compacted.json"
got=$("$bin/kvctl" --pd "$(pd_of compacted)" checksum | tail -n1)
[[ "$want" == "$got" ]] || { echo "MISMATCH compacted: $want vs $got"; exit 1; }
echo "both restores = source at $end: $want"

python3 - "$dir/raw.json" "$dir/compacted.json" "$dir/compact.json" "$start" "$stop" <<'PY'
import json, sys
load = lambda p: json.loads(open(p).read().strip().splitlines()[-1])
raw, comp, c = load(sys.argv[1]), load(sys.argv[2]), load(sys.argv[3])
secs = float(sys.argv[5]) - float(sys.argv[4])
M = 2**20
print()
print(f"log window: {c['input_files']} files, {c['input_bytes']/M:.0f} MiB stored")
print(f"PITR replay from raw logs:        {raw['replay_seconds']:7.2f} s ({raw['log_kvs']} versions applied)")
print(f"PITR replay from compacted SSTs:  {comp['replay_seconds']:7.2f} s ({comp['compacted_ssts']} SSTs ingested)")
print(f"speed-up: {raw['replay_seconds'] / comp['replay_seconds']:.1f}x")
print(f"compaction: {c['input_bytes']/M:.0f} MiB in {secs:.1f} s = {c['input_bytes']/M/secs:.1f} MiB/s")
PY
