#!/usr/bin/env bash
# Schedule soak: the seed's BackupSchedule (maxReservedTime retention, cleanPolicy Delete) on a
# playground under a running workload, at a seconds-scale cron, for MINUTES (default 10). Prints
# how many backups were made, retired and failed, how many are kept, whether any two snapshot
# jobs ever ran at once, and the mean backup time; then restores the newest backup into demo2
# and checks it against the oracle. Usage: bench/schedule.sh [MINUTES] [CRON] (default "@every 20s")
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
minutes="${1:-10}"
cron="${2:-@every 20s}"
"$here/scripts/setup" >/dev/null
"$here/scripts/build" >/dev/null
bin="$here/build/bin"
dir="$(mktemp -d "${TMPDIR:-/tmp}/brix-schedule-XXXXXX")"
trap '"$bin/brix" playground down --dir "$dir/pg" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
"$bin/brix" playground up --dir "$dir/pg" --nodes 3 --azurite --brixd --clusters 2 >/dev/null
export KUBECONFIG="$dir/pg/kubeconfig"
pd="$(. "$dir/pg/playground.env"; echo "$BRIX_PD")"
pd2="$(. "$dir/pg/playground.env"; echo "$BRIX_PD_DEMO2")"
"$bin/kvctl" --pd "$pd" load --table soak.t1,soak.t2 --rows 20000 --value-size 256 >/dev/null
"$bin/kvctl" --pd "$pd" workload --tables soak.t1,soak.t2 --duration "$((minutes * 60))s" \
  --rate 200 --oracle "$dir/oracle" >"$dir/workload.log" 2>&1 &
workload=$!
cat <<YAML | kubectl apply -f - >/dev/null
apiVersion: br.pingcap.com/v1alpha1
kind: BackupSchedule
metadata:
  name: soak
  namespace: test1
spec:
  maxReservedTime: "2m"
  schedule: "$cron"
  backupTemplate:
    backupType: full
    cleanPolicy: Delete
    br:
      cluster: demo1
    azblob:
      secretName: azblob-secret
      container: my-container
      prefix: soak
YAML
echo "== schedule '$cron', maxReservedTime 2m, for $minutes min under a workload"
overlap=0
end=$(( $(date +%s) + minutes * 60 ))
while [ "$(date +%s)" -lt "$end" ]; do
  running=$(kubectl get jobs -n test1 -o jsonpath='{range .items[*]}{.status.active}{"\n"}{end}' |
            grep -c '^1$' || true)
  [ "$running" -gt 1 ] && overlap=$((overlap + 1))
  sleep 2
done
wait "$workload" || true
events="$(kubectl get events -n test1 --field-selector involvedObject.name=soak -o jsonpath='{range .items[*]}{.reason}{"\n"}{end}')"
made=$(grep -c '^CreatedBackup$' <<<"$events" || true)
retired=$(grep -c '^DeletedBackup$' <<<"$events" || true)
kept=$(kubectl get bk -n test1 -l tidb.pingcap.com/backup-schedule=soak -o name | wc -l)
failed=$(kubectl get bk -n test1 -l tidb.pingcap.com/backup-schedule=soak \
           -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' | grep -c '^Failed$' || true)
echo "== made $made, retired $retired, kept $kept, failed $failed, overlapping snapshot jobs seen $overlap"
newest="$(kubectl get bks soak -n test1 -o jsonpath='{.status.lastBackup}')"
for _ in $(seq 1 120); do
  [ "$(kubectl get bk "$newest" -n test1 -o jsonpath='{.status.phase}')" = Complete ] && break
  sleep 1
done
kubectl get bk -n test1 -l tidb.pingcap.com/backup-schedule=soak \
  -o jsonpath='{range .items[*]}{.status.timeTaken}{"\n"}{end}' | python3 -c '
import sys, re
secs = []
for line in sys.stdin:
    m = re.fullmatch(r"(?:(\d+)m)?(\d+)s", line.strip())
    if m: secs.append(int(m.group(1) or 0) * 60 + int(m.group(2)))
print(f"== mean backup time {sum(secs)/len(secs):.1f} s over {len(secs)} kept backups" if secs else "== no timings")'
ts="$(kubectl get bk "$newest" -n test1 -o jsonpath='{.status.commitTs}')"
prefix="$(kubectl get bk "$newest" -n test1 -o jsonpath='{.spec.azblob.prefix}')"
cat <<YAML | kubectl apply -f - >/dev/null
apiVersion: br.pingcap.com/v1alpha1
kind: Restore
metadata:
  name: soak-restore
  namespace: test1
spec:
  br:
    cluster: demo2
  azblob:
    secretName: azblob-secret
    container: my-container
    prefix: $prefix
YAML
for _ in $(seq 1 300); do
  phase="$(kubectl get rt soak-restore -n test1 -o jsonpath='{.status.phase}')"
  [ "$phase" = Complete ] || [ "$phase" = Failed ] && break
  sleep 1
done
"$bin/kvctl" --pd "$pd2" checksum | tail -n1 >"$dir/restored"
"$bin/kvctl" --pd "$pd" oracle-checksum --oracle "$dir/oracle" --ts "$ts" | tail -n1 >"$dir/expected"
if cmp -s "$dir/restored" "$dir/expected"; then
  echo "== restore of $newest equals the oracle at $ts"
else
  echo "== MISMATCH restoring $newest"; cat "$dir/restored" "$dir/expected"; exit 1
fi
[ "$overlap" -eq 0 ] || { echo "== snapshot jobs overlapped"; exit 1; }
