#!/usr/bin/env bash
# Cluster throughput on this machine: a 3-node playground, `kvctl load` of ROWS rows of 256 B
# over 8 tables (write rows/s and MiB/s), then `kvctl checksum` (a full MVCC scan at one ts:
# scan rows/s and MiB/s). Usage: bench/cluster.sh [ROWS] (default 1000000)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rows="${1:-1000000}"
bench_init
pg_up pg
use_env pg
per_table=$((rows / 8))
tables=$(printf 'bench.t%d,' 1 2 3 4 5 6 7 8); tables=${tables%,}
echo "== load: $rows rows x 256 B over 8 tables, 8 threads, 3 nodes"
"$bin/kvctl" load --table "$tables" --rows "$per_table" --value-size 256 --threads 8
start=$(date +%s.%N)
"$bin/kvctl" checksum | tail -n1
end=$(date +%s.%N)
python3 - "$start" "$end" "$rows" <<'PY'
import sys
s, e, rows = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
secs = e - s
print(f"== scan (checksum at one ts): {rows} rows in {secs:.2f} s = {rows/secs:.0f} rows/s, {rows*(256+19)/secs/2**20:.1f} MiB/s")
PY
