#!/usr/bin/env bash
# The restore estimate against the measurement (docs/backup.md#restore-estimates, issue 17).
# Snapshot: three backups of one table each, sizes 1/4, 1/2 and 1 of MiB (default 256); into a
# fresh target, ROUNDS times (default 3, each round in a new target): two real restores (they
# measure the target's rates per phase), `brix restore full --dry-run` for the third, then the
# third restore; prints estimate, measurement and difference per phase and in total.
# PITR: a log backup runs on the source from before the snapshot of est.t1 until the three loads
# are logged; into a fresh (empty) target, `brix restore point --calibrate` to the middle of the
# window (measures the rates, leaves the target empty), then `restore point --dry-run` and the real
# restore point to the end of the window.
# Exits 1 when any total differs by more than 25 %.
# Usage: bench/restore_estimate.sh [MiB]. KEEP=1 keeps the work folder; ROUNDS=n.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mib="${1:-256}"
rounds="${ROUNDS:-3}"
BENCH_TARGETS="brix kvctl kvnode kvpd"
bench_init
pg_up src
use_env src
"$bin/kvctl" load --table est.t0 --rows 1000 --value-size 1000 >/dev/null
"$bin/brix" log start --task-name est --storage "local://$dir/log" >/dev/null
"$bin/brix" backup full -f "est.t0" -s "local://$dir/bk0" --output json >"$dir/bk0.json"
i=0
for frac in 4 2 1; do
  i=$((i + 1))
  rows=$((mib * 1024 / frac))
  "$bin/kvctl" load --table "est.t$i" --rows "$rows" --value-size 1000 --threads 4 >/dev/null
  [ "$i" = 2 ] && mid=$("$bin/kvctl" tso)
  "$bin/brix" backup full -f "est.t$i" -s "local://$dir/bk$i" --output json >"$dir/bk$i.json"
  echo "backup $i: $rows rows, $(json total_bytes <"$dir/bk$i.json") logical bytes"
done
end=$("$bin/kvctl" tso)
wait_checkpoint "local://$dir/log" "$end"
"$bin/brix" log stop --task-name est >/dev/null

compare() {  # compare PLAN.json RUN.json LABEL: prints the table, returns 1 beyond 25 %
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
last = lambda f: json.loads(open(f).read().strip().splitlines()[-1])
plan, run = last(sys.argv[1]), last(sys.argv[2])
measured = {p["name"]: p["seconds"] for p in run["phases"]}
print(f"{sys.argv[3]}:")
print("| phase | bytes | critical path | estimated s | measured s |")
print("|---|---|---|---|---|")
for p in plan["phases"]:
    print(f"| {p['name']} | {p['bytes']} | {p['criticalBytes']} | {p['estimatedSeconds']:.2f} | {measured.get(p['name'], 0):.2f} |")
est, got = plan["estimatedSeconds"], run["seconds"]
diff = (est - got) / got
print(f"| total ({plan['rates']}) | | | {est:.2f} | {got:.2f} |")
print(f"RESULT {sys.argv[3]}: estimate {est:.2f} s vs measured {got:.2f} s: {100 * diff:+.1f} %")
sys.exit(0 if abs(diff) <= 0.25 else 1)
PY
}

bad=0
for r in $(seq 1 "$rounds"); do
  pg_up "dst$r"
  dst="$(pd_of "dst$r")"
  for i in 1 2; do
    "$bin/brix" restore full --pd "$dst" -s "local://$dir/bk$i" --output json >"$dir/rt$r-$i.json"
    echo "round $r restore $i (measures the rates): $(json seconds <"$dir/rt$r-$i.json") s"
  done
  "$bin/brix" restore full --dry-run --pd "$dst" -s "local://$dir/bk3" --output json >"$dir/plan$r.json"
  "$bin/brix" restore full --pd "$dst" -s "local://$dir/bk3" --output json >"$dir/rt$r-3.json"
  same "est.t3 checksum" "$("$bin/kvctl" checksum -f est.t3 --ts "$(json backup_ts <"$dir/bk3.json")")" \
    "$("$bin/kvctl" --pd "$dst" checksum -f est.t3)"
  compare "$dir/plan$r.json" "$dir/rt$r-3.json" "snapshot round $r" || bad=1
  pg_down "dst$r"
done

pg_up pitr
dst="$(pd_of pitr)"
point=(--pd "$dst" -s "local://$dir/log" --full-backup-storage "local://$dir/bk0")
"$bin/brix" restore point "${point[@]}" --restored-ts "$mid" --calibrate --output json >"$dir/cal.json"
echo "PITR calibration to the middle: $(json seconds <"$dir/cal.json") s"
tables=$("$bin/kvctl" --pd "$dst" checksum | grep -vc '^total' || true)
[ "$tables" = 0 ] || { echo "the calibration left $tables table(s) in the target" >&2; exit 1; }
"$bin/brix" restore point "${point[@]}" --restored-ts "$end" --dry-run >"$dir/pplan.txt"
cat "$dir/pplan.txt"
"$bin/brix" restore point "${point[@]}" --restored-ts "$end" --dry-run --output json >"$dir/pplan.json"
"$bin/brix" restore point "${point[@]}" --restored-ts "$end" --output json >"$dir/prt.json"
same "PITR checksum" "$("$bin/kvctl" checksum --ts "$end" -f 'est.*')" \
  "$("$bin/kvctl" --pd "$dst" checksum -f 'est.*')"
compare "$dir/pplan.json" "$dir/prt.json" "PITR" || bad=1
exit "$bad"
