#!/usr/bin/env bash
# The restore estimate against the measurement (docs/backup.md#restore-estimates, issue 17):
# three snapshot backups of sizes 1/4, 1/2 and 1 of MiB (default 256), two real restores into a
# fresh target (they measure its rates per phase), then `brix restore full --dry-run` for the
# third and the third restore. Prints the estimate, the measurement and their difference per
# phase and in total; exits 1 when the total differs by more than 25 %.
# Usage: bench/restore_estimate.sh [MiB]. KEEP=1 keeps the work folder.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mib="${1:-256}"
BENCH_TARGETS="brix kvctl kvnode kvpd"
bench_init
pg_up src
pg_up dst
use_env src
dst="$(pd_of dst)"
i=0
for frac in 4 2 1; do
  i=$((i + 1))
  rows=$((mib * 1024 / frac))
  "$bin/kvctl" load --table "est.t$i" --rows "$rows" --value-size 1000 --threads 4 >/dev/null
  "$bin/brix" backup full -f "est.t$i" -s "local://$dir/bk$i" --output json >"$dir/bk$i.json"
  echo "backup $i: $rows rows, $(json total_bytes <"$dir/bk$i.json") logical bytes"
done
for i in 1 2; do
  "$bin/brix" restore full --pd "$dst" -s "local://$dir/bk$i" --output json >"$dir/rt$i.json"
  echo "restore $i (measures the rates): $(json seconds <"$dir/rt$i.json") s"
done
"$bin/brix" restore full --dry-run --pd "$dst" -s "local://$dir/bk3" >"$dir/plan.txt"
cat "$dir/plan.txt"
"$bin/brix" restore full --dry-run --pd "$dst" -s "local://$dir/bk3" --output json >"$dir/plan.json"
"$bin/brix" restore full --pd "$dst" -s "local://$dir/bk3" --output json >"$dir/rt3.json"
same "est.t3 checksum" "$("$bin/kvctl" checksum -f est.t3 --ts "$(json backup_ts <"$dir/bk3.json")")" \
  "$("$bin/kvctl" --pd "$dst" checksum -f est.t3)"
python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
last = lambda f: json.loads(open(f).read().strip().splitlines()[-1])
plan, run = last(f"{d}/plan.json"), last(f"{d}/rt3.json")
measured = {p["name"]: p["seconds"] for p in run["phases"]}
print("| phase | bytes | estimated s | measured s |")
print("|---|---|---|---|")
for p in plan["phases"]:
    print(f"| {p['name']} | {p['bytes']} | {p['estimatedSeconds']:.2f} | {measured.get(p['name'], 0):.2f} |")
est, got = plan["estimatedSeconds"], run["seconds"]
diff = (est - got) / got
print(f"| total ({plan['rates']}) | | {est:.2f} | {got:.2f} |")
print(f"estimate {est:.2f} s vs measured {got:.2f} s: {100 * diff:+.1f} %")
sys.exit(0 if abs(diff) <= 0.25 else 1)
PY
