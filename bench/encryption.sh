#!/usr/bin/env bash
# Client-side encryption's cost (docs/encryption.md, issue 18): snapshot backup and restore of
# the same table to a local folder, without and with --crypter.method aes256-gcm, alternating
# plain/encrypted ROUNDS times in one run. Per run: wall seconds and MiB/s from brix's JSON and
# the CPU seconds (utime + stime from /proc) of the kvnodes (they encrypt SSTs on backup and
# decrypt them on restore), a figure the machine's load moves little. Every restore goes into a
# fresh playground and is checked against the source. Prints one Markdown table: the best run of
# each kind, the slowdown of the best runs, the median round's and each round's (goal: <= 10 %).
# Usage: bench/encryption.sh [MiB] (default 256). ROUNDS (default 2), KEEP=1 keeps the folder.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mib="${1:-256}"
rounds="${ROUNDS:-2}"
BENCH_TARGETS="brix kvctl kvnode kvpd"
bench_init
key="$dir/master.key"
(umask 077; openssl rand -hex 32 >"$key")
pg_up src
use_env src
rows=$((mib * 1024))
"$bin/kvctl" load --table enc.t --rows "$rows" --value-size 1000 --threads 4 >/dev/null
cpu() {  # utime + stime (s) of the kvnodes of playground $1
  local pids
  mapfile -t pids < <(pids_of "$1" kvnode)
  python3 -c "
import os, sys
t = os.sysconf('SC_CLK_TCK')
print(sum(sum(int(x) for x in open(f'/proc/{p}/stat').read().rsplit(')', 1)[1].split()[11:13]) / t for p in sys.argv[1:]))" "${pids[@]}"
}
results="$dir/results"
: >"$results"
for r in $(seq 1 "$rounds"); do
  for mode in plain aes256-gcm; do
    flags=()
    [ "$mode" = plain ] || flags=(--crypter.method aes256-gcm --crypter.key-file "$key")
    loc="local://$dir/bk-$mode-$r"
    c0=$(cpu src)
    "$bin/brix" backup full -f enc.t -s "$loc" --checksum=false --output json "${flags[@]}" >"$dir/bk.json"
    c1=$(cpu src)
    bs=$(json seconds <"$dir/bk.json")
    bytes=$(json total_bytes <"$dir/bk.json")
    pg_up dst
    c2=$(cpu dst)
    "$bin/brix" restore full --pd "$(pd_of dst)" -f enc.t -s "$loc" --checksum=false --output json "${flags[@]}" >"$dir/rt.json"
    c3=$(cpu dst)
    rs=$(json seconds <"$dir/rt.json")
    same "enc.t ($mode, round $r)" "$("$bin/kvctl" checksum -f enc.t --ts "$(json backup_ts <"$dir/bk.json")")" \
      "$("$bin/kvctl" --pd "$(pd_of dst)" checksum -f enc.t)"
    pg_down dst
    echo "$mode $bytes $bs $(python3 -c "print($c1 - $c0)") $rs $(python3 -c "print($c3 - $c2)")" | tee -a "$results"
  done
done
python3 - "$results" <<'PY'
import statistics, sys
runs = [l.split() for l in open(sys.argv[1])]
by = {"plain": [], "aes256-gcm": []}
for mode, b, bs, bc, rs, rc in runs:
    by[mode].append({"bytes": int(b), "bs": float(bs), "bc": float(bc), "rs": float(rs), "rc": float(rc)})
p, e = by["plain"], by["aes256-gcm"]
mib = p[0]["bytes"] / 2**20
rounds = len(p)
def best(rs, k): return min(r[k] for r in rs)
# A round's plain and encrypted runs follow each other, so their ratio is the least moved by the
# machine's drift across a run; the median of those ratios is the typical slowdown.
print(f"| figure ({mib:.0f} MiB logical, {rounds} rounds) | plain best | aes256-gcm best | slowdown (best) | slowdown (median round) | round by round |")
print("|---|---|---|---|---|---|")
for name, k in [("backup wall", "bs"), ("backup kvnode CPU", "bc"),
                ("restore wall", "rs"), ("restore kvnode CPU", "rc")]:
    ratios = [100 * (y[k] / x[k] - 1) for x, y in zip(p, e)]
    pairs = ", ".join(f"{r:+.1f}" for r in ratios)
    print(f"| {name} (s) | {best(p, k):.2f} | {best(e, k):.2f} | {100 * (best(e, k) / best(p, k) - 1):+.1f} % "
          f"| {statistics.median(ratios):+.1f} % | {pairs} |")
print(f"| backup MiB/s (best) | {mib / best(p, 'bs'):.1f} | {mib / best(e, 'bs'):.1f} | | | |")
print(f"| restore MiB/s (best) | {mib / best(p, 'rs'):.1f} | {mib / best(e, 'rs'):.1f} | | | |")
PY
