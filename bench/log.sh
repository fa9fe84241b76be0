#!/usr/bin/env bash
# Log backup benchmark, all in one run on a 3-node playground:
#  (1) workload throughput with log backup paused vs running, alternating off/on/off/on segments
#      of the same length: overhead %;
#  (2) checkpoint lag (`brix log status`) sampled every 0.5 s during the running segments: the
#      RPO under steady writes, p50 and p99, with the node default flush interval (10 s) or
#      --log-flush-interval-ms. Sampling in a segment starts once the checkpoint has passed the
#      resume (the catch-up over the paused segment is printed on its own, as "catch-up");
#  (3) PITR of the whole logged window into a fresh cluster: log replay MB/s (raw log bytes).
# Usage: bench/log.sh [--log-flush-interval-ms MS] [SECONDS] (default 30)
# BRIX_BENCH_BIN=<dir> runs the binaries in <dir> instead of building (before/after comparisons).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
flush=()
if [ "${1:-}" = --log-flush-interval-ms ]; then flush=(--log-flush-interval-ms "$2"); shift 2; fi
secs="${1:-30}"
if [ -n "${BRIX_BENCH_BIN:-}" ]; then
  bin="$BRIX_BENCH_BIN"
else
  "$here/scripts/setup" >/dev/null
  "$here/scripts/build" >/dev/null
  bin="$here/build/bin"
fi
dir="$(mktemp -d "${TMPDIR:-/tmp}/brix-bench-XXXXXX")"
cleanup() {
  for pg in src dst; do "$bin/brix" playground down --dir "$dir/$pg" >/dev/null 2>&1 || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
# One CA for both: the PITR into dst runs with src's client certificate.
"$bin/brix" playground up --dir "$dir/src" --tls-dir "$dir/tls" --nodes 3 ${flush[@]+"${flush[@]}"} >/dev/null
"$bin/brix" playground up --dir "$dir/dst" --tls-dir "$dir/tls" --nodes 3 >/dev/null
dst_pd="$(set -a; . "$dir/dst/playground.env"; echo "$BRIX_PD")"
set -a; . "$dir/src/playground.env"; set +a
json() { python3 -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])[sys.argv[1]])" "$1"; }
ops() { sed -n 's/^workload: \([0-9]*\) writes acknowledged.*/\1/p' "$1"; }
end_of() { sed -n 's/.*end ts \([0-9]*\).*/\1/p' "$1"; }

# Workloads alternate between log backup paused (off) and running (on), twice, so that drift in
# what else the machine does biases neither side. Each segment writes its own tables: the oracle
# assumes a workload owns its tables' changes.
"$bin/brix" log start --task-name bench --storage "local://$dir/log" >/dev/null
"$bin/brix" log pause --task-name bench >/dev/null
"$bin/kvctl" load --table bench.s1,bench.s2,bench.s3,bench.s4 --rows 20000 --value-size 128 >/dev/null
"$bin/brix" backup full --storage "local://$dir/full" --output json >"$dir/full.json"
: >"$dir/lags"; : >"$dir/lags_all"; : >"$dir/catchups"
for seg in 1 2 3 4; do
  if [ $((seg % 2)) -eq 1 ]; then mode=off; "$bin/brix" log pause --task-name bench >/dev/null 2>&1 || true
  else mode=on; "$bin/brix" log resume --task-name bench >/dev/null; fi
  echo "== (1) segment $seg: workload ${secs}s on bench.s$seg, log backup $mode"
  "$bin/kvctl" workload --tables "bench.s$seg" --duration "${secs}s" --threads 8 \
    --oracle "$dir/oracle-$seg" >"$dir/seg-$seg.out" &
  wl=$!
  resumed=$("$bin/kvctl" tso)
  started=$(date +%s.%N)
  caught_up=""
  while kill -0 "$wl" 2>/dev/null; do
    if [ "$mode" = on ]; then
      st=$("$bin/brix" log status --task-name bench --output json || true)
      if [ -z "$caught_up" ] && [ -n "$st" ] && [ "$(json checkpoint_ts <<<"$st")" -ge "$resumed" ]; then
        caught_up=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$started" "$(date +%s.%N)")
        echo "catch-up after resume: ${caught_up} s"
        echo "$caught_up" >>"$dir/catchups"
      fi
      if [ -n "$st" ]; then
        lag=$(json checkpoint_lag_seconds <<<"$st")
        echo "$lag" >>"$dir/lags_all"
        if [ -n "$caught_up" ]; then echo "$lag" >>"$dir/lags"; fi
      fi
    fi
    sleep 0.5
  done
  wait "$wl"
  cat "$dir/seg-$seg.out"
  echo "$mode $(ops "$dir/seg-$seg.out")" >>"$dir/ops"
done
echo "== bulk load while logging (a log big enough to time its replay)"
"$bin/kvctl" load --table bench.bulk --rows 300000 --value-size 256 --threads 8
end=$("$bin/kvctl" tso)
for _ in $(seq 1 120); do
  c=$("$bin/brix" log metadata --storage "local://$dir/log" --output json | json global_checkpoint)
  [ "$c" -ge "$end" ] && break
  sleep 0.5
done
echo "== (3) PITR of the logged window into a fresh cluster"
"$bin/brix" restore point --pd "$dst_pd" --storage "local://$dir/log" \
  --full-backup-storage "local://$dir/full" --restored-ts "$end" --output json | tee "$dir/pitr.json"
want=$("$bin/kvctl" checksum --ts "$end" -f bench.bulk | sed -n '1p'
       for seg in 1 2 3 4; do "$bin/kvctl" oracle-checksum --oracle "$dir/oracle-$seg" --ts "$end" | sed -n '1p'; done)
got=$("$bin/kvctl" --pd "$dst_pd" checksum -f 'bench.*' | sed '$d')
[[ "$want" == "$got" ]] || { echo "MISMATCH: oracle $want vs restored $got"; exit 1; }
echo "restored = oracle: $got"
python3 - "$dir/ops" "$dir/lags" "$dir/pitr.json" "$dir/catchups" "$dir/lags_all" <<'PY'
import json, sys
catchups = [l.strip() for l in open(sys.argv[4]) if l.strip()]
lags_all = sorted(float(l) for l in open(sys.argv[5]) if l.strip())
off = on = 0
for line in open(sys.argv[1]):
    mode, n = line.split()
    if mode == "on": on += int(n)
    else: off += int(n)
sys.argv = sys.argv[:1] + ["", ""] + sys.argv[2:]
lags = sorted(float(l) for l in open(sys.argv[3]) if l.strip())
p = lambda q: lags[min(len(lags) - 1, int(q * len(lags)))]
pitr = json.loads(open(sys.argv[4]).read().strip().splitlines()[-1])
print()
print(f"workload writes: log off {off}, log on {on}: overhead {100 * (1 - on / off):.1f} %")
print(f"checkpoint lag (RPO) over {len(lags)} samples: p50 {p(0.5):.1f} s, p99 {p(0.99):.1f} s, max {lags[-1]:.1f} s")
print(f"checkpoint lag counting the catch-ups, over {len(lags_all)} samples: p99 {lags_all[min(len(lags_all) - 1, int(0.99 * len(lags_all)))]:.1f} s")
print(f"catch-up after each resume (checkpoint passes the resume): {', '.join(catchups) or 'none'} s")
print(f"PITR replay: {pitr['log_kvs']} versions, {pitr['log_bytes']/1e6:.1f} MB raw log in {pitr['replay_seconds']:.2f} s = {pitr['replay_mb_per_second']:.1f} MB/s")
PY
