#!/usr/bin/env bash
# Snapshot backup and restore throughput against raw baselines measured in
# the same run, on this machine:
#   baseline A: one core doing a plain RocksDB scan + SstFileWriter over the nodes' own data
#               (bench/sst_baseline.cc) — the per-core limit of a node's backup;
#   baseline B: a plain upload of the same SST bytes to the same Azurite with curl Put Blob,
#               3 at a time (bench/curl_upload.cc).
# Then brix backup to local storage and to Azurite (3-node playground) and restore of each
# into a fresh 3-node cluster, checksums compared with the source at the backup ts.
# Usage: bench/snapshot.sh [GiB] (default 2)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
gib="${1:-2}"
"$here/scripts/setup" >/dev/null
"$here/scripts/build" >/dev/null
bin="$here/build/bin"
dir="$(mktemp -d "${TMPDIR:-/tmp}/brix-bench-XXXXXX")"
cleanup() {
  for pg in src dst1 dst2; do "$bin/brix" playground down --dir "$dir/$pg" >/dev/null 2>&1 || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
"$bin/brix" playground up --dir "$dir/src" --nodes 3 --azurite >/dev/null
"$bin/brix" playground up --dir "$dir/dst1" --nodes 3 >/dev/null
"$bin/brix" playground up --dir "$dir/dst2" --nodes 3 >/dev/null
pd_of() { (set -a; . "$dir/$1/playground.env"; echo "$BRIX_PD"); }
set -a; . "$dir/src/playground.env"; set +a
src_pd=$(pd_of src)
value=1000
rows=$(python3 -c "print(int($gib * 2**30 / ($value + 19) / 8))")
tables=$(printf 'bench.t%d,' 1 2 3 4 5 6 7 8); tables=${tables%,}
echo "== load: 8 tables x $rows rows x $value B (~$gib GiB) into a 3-node playground"
"$bin/kvctl" --pd "$src_pd" load --table "$tables" --rows "$rows" --value-size "$value" --threads 8
json() { python3 -c "import json,sys; d=json.loads(sys.stdin.read().strip().splitlines()[-1]); print(d[sys.argv[1]])" "$1"; }

echo "== baseline A: plain RocksDB scan + SstFileWriter (zstd), one core, all three nodes' data"
base_a=$("$bin/sst_baseline" --out "$dir/baseline-sst" "$dir"/src/kvnode-*/db)
echo "$base_a"
rm -rf "$dir/baseline-sst"

echo "== brix backup to local storage"
bl=$("$bin/brix" backup full --pd "$src_pd" -s "local://$dir/bk-local" --checksum=false --output json)
echo "$bl"
echo "== baseline B: curl Put Blob of the same SST files to the same Azurite (3 at a time)"
endpoint=$(echo "$AZURE_STORAGE_CONNECTION_STRING" | tr ';' '\n' | sed -n 's/^BlobEndpoint=//p')
base_b=$("$bin/curl_upload" --endpoint "$endpoint" \
  --container baseline --parallel 3 "$dir/bk-local")
echo "$base_b"
echo "== brix backup to Azurite"
ba=$("$bin/brix" backup full --pd "$src_pd" -s "azure://bench/snap" --checksum=false --output json)
echo "$ba"
echo "== brix restore from local storage into a fresh 3-node cluster"
rl=$("$bin/brix" restore full --pd "$(pd_of dst1)" -s "local://$dir/bk-local" --checksum=false --output json)
echo "$rl"
echo "== brix restore from Azurite into a fresh 3-node cluster"
ra=$("$bin/brix" restore full --pd "$(pd_of dst2)" -s "azure://bench/snap" --checksum=false --output json)
echo "$ra"

ts=$(echo "$bl" | json backup_ts)
ts_a=$(echo "$ba" | json backup_ts)
want=$("$bin/kvctl" --pd "$src_pd" checksum --ts "$ts" | tail -n1)
want_a=$("$bin/kvctl" --pd "$src_pd" checksum --ts "$ts_a" | tail -n1)
got1=$("$bin/kvctl" --pd "$(pd_of dst1)" checksum | tail -n1)
got2=$("$bin/kvctl" --pd "$(pd_of dst2)" checksum | tail -n1)
[[ "$want" == "$got1" ]] || { echo "MISMATCH local restore: $want vs $got1"; exit 1; }
[[ "$want_a" == "$got2" ]] || { echo "MISMATCH azure restore: $want_a vs $got2"; exit 1; }
echo "checksums equal: $want"

python3 - "$base_a" "$base_b" "$bl" "$ba" "$rl" "$ra" <<'PY'
import json, sys
a, b, bl, ba, rl, ra = (json.loads(x.strip().splitlines()[-1]) for x in sys.argv[1:])
M = 2**20
base_a = a["logical_bytes"] / M / a["seconds"]
base_b = b["bytes"] / M / b["seconds"]
def row(name, mibs, ratio_a=None, ratio_b=None):
    r = f"{name:<48} {mibs:8.1f} MiB/s"
    if ratio_a is not None: r += f"   {ratio_a:5.2f}x baseline A"
    if ratio_b is not None: r += f"   {ratio_b:5.2f}x baseline B"
    print(r)
print()
print(f"data: {bl['total_kvs']} kvs, {bl['total_bytes']/M:.0f} MiB logical, {bl['backup_size']/M:.0f} MiB as zstd SSTs")
row("baseline A: RocksDB scan + SstFileWriter (1 core)", base_a)
row("baseline B: curl Put Blob to Azurite (stored bytes)", base_b)
lb = bl["total_bytes"] / M / bl["seconds"]
row("brix backup -> local (logical)", lb, lb / base_a)
ab = ba["total_bytes"] / M / ba["seconds"]
ab_stored = ba["backup_size"] / M / ba["seconds"]
row("brix backup -> Azurite (logical)", ab, ab / base_a)
row("brix backup -> Azurite (stored bytes)", ab_stored, None, ab_stored / base_b)
lr = rl["total_bytes"] / M / rl["seconds"]
row("brix restore <- local (logical)", lr, lr / base_a)
ar = ra["total_bytes"] / M / ra["seconds"]
row("brix restore <- Azurite (logical)", ar, ar / base_a)
PY
