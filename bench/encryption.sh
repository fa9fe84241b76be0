#!/usr/bin/env bash
# Client-side encryption's cost (docs/encryption.md, issue 18): snapshot backup and restore of
# the same table to a local folder, without and with --crypter.method aes256-gcm, alternating
# plain/encrypted ROUNDS times in one run. Per run: wall seconds and MiB/s from brix's JSON and
# the CPU seconds (utime + stime from /proc) of the kvnodes (they encrypt SSTs on backup and
# decrypt them on restore), a figure the machine's load moves little. Every restore goes into a
# fresh playground and is checked against the source. Prints one Markdown table with the best
# run of each kind and the slowdown (goal: <= 10 %).
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
import sys
runs = [l.split() for l in open(sys.argv[1])]
best = {}
for mode, b, bs, bc, rs, rc in runs:
    b, bs, bc, rs, rc = int(b), float(bs), float(bc), float(rs), float(rc)
    o = best.setdefault(mode, {"bytes": b, "bs": bs, "bc": bc, "rs": rs, "rc": rc})
    o.update(bs=min(o["bs"], bs), bc=min(o["bc"], bc), rs=min(o["rs"], rs), rc=min(o["rc"], rc))
p, e = best["plain"], best["aes256-gcm"]
mib = p["bytes"] / 2**20
print(f"| figure ({mib:.0f} MiB logical, best of {len(runs)//2}) | plain | aes256-gcm | slowdown |")
print("|---|---|---|---|")
for name, k, unit in [("backup wall", "bs", "s"), ("backup kvnode CPU", "bc", "s"),
                      ("restore wall", "rs", "s"), ("restore kvnode CPU", "rc", "s")]:
    print(f"| {name} | {p[k]:.2f} {unit} | {e[k]:.2f} {unit} | {100 * (e[k] / p[k] - 1):+.1f} % |")
print(f"| backup MiB/s | {mib / p['bs']:.1f} | {mib / e['bs']:.1f} | |")
print(f"| restore MiB/s | {mib / p['rs']:.1f} | {mib / e['rs']:.1f} | |")
PY
