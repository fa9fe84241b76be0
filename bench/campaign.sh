#!/usr/bin/env bash
# Crash-and-fault campaign ("nothing lost, nothing resurrected";
# docs/architecture.md#how-it-is-checked). Each trial, on a fresh
# 3-node playground with Azurite:
#  - log backup to azure://, a `kvctl workload` with an oracle, and meanwhile, at random moments:
#    kill -9 of a kvnode (then `playground up` restarts it), full backups (some killed with
#    kill -9 mid-way and run again, which resumes them), log truncations (to the ts of a complete
#    full backup) and log compactions (some killed and run again);
#  - every storage request of brix and of the kvnodes goes through the fault wrapper
#    (BRIX_STORAGE_FAULTS, docs/storage.md): FAULT_RATE of them refused (503-like), dropped after
#    taking effect (reset) or cut short, each delayed up to FAULT_STALL_MS;
#  - then every complete full backup is restored into a fresh cluster, and PITRs go to random
#    points; each result must equal the oracle (`kvctl oracle-checksum`) at that ts.
# Seeded and replayable: the seed is printed and SEED= replays the same schedule of actions (the
# machine's timing still varies). Prints trials, kills, faults injected, restores checked, exact.
# Exit 1 on the first trial with a difference (its folder is kept and named).
#
# Usage: bench/campaign.sh [TRIALS]   (after scripts/build; BRIX_BIN= to use other binaries)
# Env: SEED, DURATION (workload seconds, 30), FAULT_RATE (0.05), FAULT_STALL_MS (20),
#      PITR_POINTS (PITRs per complete full backup, 2), KEEP=1 keeps the work folder.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
trials="${1:-3}"
seed="${SEED:-$(( $(date +%s%N) % 1000000007 ))}"
duration="${DURATION:-30}"
fault_rate="${FAULT_RATE:-0.05}"
stall_ms="${FAULT_STALL_MS:-20}"
pitr_points="${PITR_POINTS:-2}"
bin="${BRIX_BIN:-$here/build/bin}"
brix="$bin/brix"
kvctl="$bin/kvctl"
for b in "$brix" "$kvctl" "$bin/kvnode" "$bin/kvpd"; do
  [ -x "$b" ] || { echo "campaign: $b is missing (run scripts/build, or set BRIX_BIN)"; exit 2; }
done
echo "campaign: seed $seed, $trials trials of ${duration}s (replay: SEED=$seed $0 $trials)"
RANDOM=$((seed % 32768))  # bash's generator: the schedule of actions follows the seed
rand() { echo $((RANDOM * 32768 + RANDOM)); }

work="$(mktemp -d "${TMPDIR:-/tmp}/brix-campaign-XXXXXX")"
playgrounds=()
cleanup() {
  for pg in "${playgrounds[@]}"; do "$brix" playground down --dir "$pg" >/dev/null 2>&1 || true; done
  if [ "${KEEP:-}" = 1 ] || [ -n "${failed_dir:-}" ]; then echo "campaign: work folder kept: $work"
  else rm -rf "$work"; fi
}
trap cleanup EXIT
json() { python3 -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])[sys.argv[1]])" "$1"; }
meta_ts() { python3 -c "import json,sys; j=json.load(sys.stdin); print(j.get('endVersion', j.get('end_version')))"; }
pid_of() {  # pid of a playground role
  python3 -c "import json,sys; print(next(p['pid'] for p in json.load(open(sys.argv[1]+'/playground.json'))['processes'] if p['role']==sys.argv[2]))" "$1" "$2"
}
# Logs and outputs of a trial. `|| true`: in a trial where no injected fault reached a log or an
# output grep finds nothing and fails, and under pipefail that ended the campaign unreported.
faults_in() { { grep -r "injected fault" "$1" 2>/dev/null || true; } | wc -l; }

total_kills=0 total_restores=0 total_exact=0 total_faults=0 done_trials=0
failed_dir=""

# Runs "$@" in the background; with probability 1/3 kills it with kill -9 after a random moment
# and runs it again (a job that resumes). Output of the last run in $out. Returns its status.
run_maybe_killed() {
  local out="$1"; shift
  if [ $((RANDOM % 3)) -eq 0 ]; then
    "$@" >"$out.killed" 2>&1 &
    local p=$!
    disown "$p"  # no "Killed" job notice from bash
    sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
    if kill -9 "$p" 2>/dev/null; then
      kills=$((kills + 1)); echo "  kill -9 job: $*" | cut -c1-140
    fi
    while kill -0 "$p" 2>/dev/null; do sleep 0.05; done
  fi
  "$@" >"$out" 2>&1
}

# Restores (full or PITR) into a fresh 1-node cluster and compares with the oracle at ts.
check_restore() {
  local kind="$1" ts="$2"; shift 2
  local tgt="$trial_dir/target-$((++targets))"
  playgrounds+=("$tgt")
  "$brix" playground up --dir "$tgt" --nodes 1 --tls-dir "$work/tls" >/dev/null  # trusts the source
  local tpd; tpd="$(set -a; . "$tgt/playground.env"; echo "$BRIX_PD")"
  total_restores=$((total_restores + 1))
  if ! "$brix" restore "$@" --pd "$tpd" >"$tgt/restore.out" 2>&1; then
    echo "  $kind to $ts: FAILED"; sed 's/^/    /' "$tgt/restore.out" | tail -5
    failed_dir="$trial_dir"
  else
    local want got
    want="$("$kvctl" oracle-checksum --oracle "$trial_dir/oracle" --ts "$ts" -f 'camp.*')"
    got="$("$kvctl" --pd "$tpd" checksum -f 'camp.*')"
    if [ "$want" = "$got" ]; then
      total_exact=$((total_exact + 1)); echo "  $kind to $ts: exact"
    else
      echo "  $kind to $ts: DIFFERS from the oracle"
      diff <(echo "$want") <(echo "$got") | sed 's/^/    /' || true
      failed_dir="$trial_dir"
    fi
  fi
  "$brix" playground down --dir "$tgt" >/dev/null 2>&1 || true
}

for trial in $(seq 1 "$trials"); do
  trial_dir="$work/trial-$trial"
  mkdir -p "$trial_dir"
  kills=0 targets=0
  tseed=$(rand)
  echo "== trial $trial (fault seed $tseed)"
  export BRIX_STORAGE_FAULTS="rate=$fault_rate,latency-ms=$stall_ms,seed=$tseed"
  src="$trial_dir/source"
  playgrounds+=("$src")
  "$brix" playground up --dir "$src" --nodes 3 --azurite --log-flush-interval-ms 1000 --tls-dir "$work/tls" >/dev/null
  set -a; . "$src/playground.env"; set +a
  log="azure://camp$trial/log"
  "$kvctl" load --table camp.a,camp.b --rows 2000 --value-size 64 >/dev/null
  "$brix" log start --task-name camp --storage "$log" >"$trial_dir/log-start.out" 2>&1
  "$kvctl" workload --tables camp.a,camp.b --duration "${duration}s" --rate 300 --threads 4 \
    --seed "$tseed" --oracle "$trial_dir/oracle" >"$trial_dir/workload.out" 2>&1 &
  wl=$!
  backups=()  # "ts url" of complete full backups
  trunc=0 nb=0 nc=0
  sleep 2
  first=1  # the first action is a full backup: every trial has PITRs from inside the workload
  while kill -0 "$wl" 2>/dev/null; do
    action=$((RANDOM % 5))
    [ "$first" = 1 ] && action=2 && first=0
    case $action in
      0|1)
        n=$((RANDOM % 3 + 1))
        kill -9 "$(pid_of "$src" "kvnode-$n")" 2>/dev/null && kills=$((kills + 1))
        echo "  kill -9 kvnode-$n"
        sleep "0.$((RANDOM % 10))"
        "$brix" playground up --dir "$src" >/dev/null ;;
      2)
        url="azure://camp$trial/full-$((++nb))"
        if run_maybe_killed "$trial_dir/full-$nb.out" "$brix" backup full -s "$url" --output json; then
          ts=$(json backup_ts <"$trial_dir/full-$nb.out")
          backups+=("$ts $url"); echo "  full backup $nb at $ts"
        elif grep -q "already holds a backup" "$trial_dir/full-$nb.out"; then
          # Killed after its backupmeta was written: complete; its ts is in the backupmeta.
          ts=$("$brix" debug meta -s "$url" | meta_ts)
          backups+=("$ts $url"); echo "  full backup $nb at $ts (completed before its kill)"
        else
          echo "  full backup $nb failed: $(tail -1 "$trial_dir/full-$nb.out")"
        fi ;;
      3)
        if [ ${#backups[@]} -gt 0 ]; then
          b="${backups[$((RANDOM % ${#backups[@]}))]}"; u="${b%% *}"
          if [ "$u" -gt "$trunc" ] &&
             "$brix" log truncate -s "$log" --until "$u" -y >"$trial_dir/truncate.out" 2>&1; then
            trunc=$u; echo "  log truncate --until $u"
          fi
        fi ;;
      4)
        ckpt=$("$brix" log metadata -s "$log" --output json 2>/dev/null | json global_checkpoint || echo 0)
        lo=$("$brix" log metadata -s "$log" --output json 2>/dev/null | json min_ts || echo 0)
        if [ "$ckpt" -gt "$lo" ] && [ "$lo" -gt 0 ]; then
          hi=$((lo + ($(rand) % 1000) * ((ckpt - lo) / 1000) + 1))
          if run_maybe_killed "$trial_dir/compact-$((++nc)).out" \
               "$brix" log compact -s "$log" --from "$lo" --until "$hi" --name "c$nc"; then
            echo "  log compact [$lo, $hi]"
          else
            echo "  log compact [$lo, $hi] failed: $(tail -1 "$trial_dir/compact-$nc.out")"
          fi
        fi ;;
    esac
    sleep "$((RANDOM % 2)).$((RANDOM % 10))"
  done
  wait "$wl" || true
  cat "$trial_dir/workload.out"
  grep -q " 0 failed" "$trial_dir/workload.out" || { echo "  workload had failed writes"; failed_dir="$trial_dir"; }
  end=$(sed -n 's/.*end ts \([0-9]*\).*/\1/p' "$trial_dir/workload.out")
  # One more full backup after the workload, so every trial restores at least one.
  url="azure://camp$trial/full-$((++nb))"
  if "$brix" backup full -s "$url" --output json >"$trial_dir/full-$nb.out" 2>&1; then
    backups+=("$(json backup_ts <"$trial_dir/full-$nb.out") $url")
  else
    echo "  final full backup failed: $(tail -1 "$trial_dir/full-$nb.out")"; failed_dir="$trial_dir"
  fi
  for _ in $(seq 1 240); do
    ckpt=$("$brix" log metadata -s "$log" --output json 2>/dev/null | json global_checkpoint || echo 0)
    [ "$ckpt" -ge "$end" ] && break
    sleep 0.5
  done
  for b in "${backups[@]}"; do
    ts="${b%% *}"; url="${b#* }"
    check_restore "restore full $url" "$ts" full -s "$url"
    if [ "$ts" -ge "$trunc" ] && [ "$ts" -lt "$end" ]; then
      for _ in $(seq 1 "$pitr_points"); do
        p=$((ts + ($(rand) % 1000) * ((end - ts) / 1000)))
        check_restore "restore point from $url" "$p" point -s "$log" --full-backup-storage "$url" --restored-ts "$p"
      done
    fi
  done
  "$brix" playground down --dir "$src" >/dev/null 2>&1 || true
  faults=$(faults_in "$trial_dir")
  total_faults=$((total_faults + faults)); total_kills=$((total_kills + kills))
  done_trials=$trial
  echo "  trial $trial: $kills kills, $faults storage faults injected, ${#backups[@]} complete full backups"
  [ -z "$failed_dir" ] || break
done
unset BRIX_STORAGE_FAULTS
echo "campaign: seed $seed: trials $done_trials, kills $total_kills, faults injected $total_faults, restores checked $total_restores, exact $total_exact"
if [ -n "$failed_dir" ]; then
  echo "campaign: FAILED in $failed_dir (replay: SEED=$seed $0 $trials)"
  exit 1
fi
