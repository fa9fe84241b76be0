# The shared prelude of the bench scripts (bench/all.sh, bench/scale.sh): source it, then call
# bench_init. It builds what the benches run, makes a work folder and stops every playground it
# started when the script exits (also on failure); KEEP=1 keeps the work folder.
#
#   bench_init             here, bin, dir (work folder), cores (nproc); EXIT trap
#   pg_up NAME [ARGS...]   `brix playground up` in $dir/NAME (3 nodes, one shared TLS folder, so
#                          a restore from one into another works); pg_down NAME stops it
#   pd_of NAME             its kvpd address
#   pids_of NAME ROLE      pids of its processes whose role starts with ROLE (e.g. kvnode)
#   pid_list NAME:ROLE...  the same for several, comma-separated (for `profiled`)
#   json KEY               KEY of the last JSON line on stdin
#   wait_checkpoint URL TS waits (deadline 300 s) until the log at URL has a global checkpoint >= TS
#   same WHAT WANT GOT     exits 1, printing both, unless WANT equals GOT (checksums)
#   reset_hwm PID...       resets the peak RSS (VmHWM) of processes; hwm_mib PID... = their max;
#                          rss_mib PID... = the largest current RSS (VmRSS)
#   profiled STEP PIDS CMD...  runs CMD; with PROFILE=1 under `perf record` while PIDS (comma-
#                          separated: the servers doing the work) are recorded too, and writes
#                          where the CPU went (self time by process, thread, library, symbol)
#                          to $dir/profile-STEP.txt
# Every `brix`/`kvctl` call reads the playground's env only when the script exports it
# (use_env NAME).
set -euo pipefail

bench_init() {
  here="$(cd "$(dirname "${BASH_SOURCE[1]}")/.." && pwd)"
  "$here/scripts/setup" >/dev/null
  # BENCH_TARGETS: a script that needs fewer builds less (default: what all.sh and scale.sh need).
  "$here/scripts/build" --targets "${BENCH_TARGETS:-brix kvctl kvnode kvpd bench_baselines bench_scale_gen}" >/dev/null
  bin="$here/build/bin"
  cores=$(nproc)
  dir="$(mktemp -d "${TMPDIR:-/tmp}/brix-bench-XXXXXX")"
  _playgrounds=()
  trap _bench_cleanup EXIT
}

_bench_cleanup() {
  local rc=$?
  for pg in "${_playgrounds[@]}"; do
    "$bin/brix" playground down --dir "$dir/$pg" >/dev/null 2>&1 || true
  done
  if [ "${PROFILE:-0}" = 1 ] && compgen -G "$dir/profile-*.txt" >/dev/null; then
    local profiles
    profiles="$(mktemp -d "${TMPDIR:-/tmp}/brix-profiles-XXXXXX")"
    cp "$dir"/profile-*.txt "$profiles/"
    echo "profiles: $profiles" >&2
  fi
  if [ "${KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
    echo "work folder kept: $dir" >&2
  else
    rm -rf "$dir"
  fi
}

pg_up() {
  local name="$1"
  shift
  _playgrounds+=("$name")
  "$bin/brix" playground up --dir "$dir/$name" --nodes 3 --tls-dir "$dir/tls" "$@" >/dev/null
}

pg_down() {
  "$bin/brix" playground down --dir "$dir/$1" >/dev/null
  rm -rf "${dir:?}/$1"
}

pd_of() { (set -a; . "$dir/$1/playground.env"; echo "$BRIX_PD"); }

use_env() { set -a; . "$dir/$1/playground.env"; set +a; }

pids_of() {
  python3 -c "
import json, sys
for p in json.load(open(sys.argv[1]))['processes']:
    if p['role'].startswith(sys.argv[2]): print(p['pid'])" "$dir/$1/playground.json" "$2"
}

pid_list() {
  local spec all=()
  for spec in "$@"; do mapfile -t -O "${#all[@]}" all < <(pids_of "${spec%%:*}" "${spec#*:}"); done
  (IFS=,; echo "${all[*]}")
}

json() {
  python3 -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])[sys.argv[1]])" "$1"
}

wait_checkpoint() {
  local c deadline=$((SECONDS + 300))
  while [ "$SECONDS" -lt "$deadline" ]; do
    c=$("$bin/brix" log metadata --storage "$1" --output json | json global_checkpoint)
    [ "$c" -ge "$2" ] && return 0
    sleep 0.5
  done
  echo "the log at $1 did not reach $2 in 300 s (checkpoint $c)" >&2
  return 1
}

same() {
  if [[ "$2" != "$3" ]]; then
    printf 'MISMATCH %s:\n--- source\n%s\n--- restored\n%s\n' "$1" "$2" "$3" >&2
    exit 1
  fi
  echo "   checked: $1 = source ($(echo "$3" | tail -n1))"
}

reset_hwm() { for p in "$@"; do echo 5 >"/proc/$p/clear_refs"; done; }

_status_max_mib() {  # FIELD PID...: the largest /proc/PID/status FIELD (kB) among PIDs, in MiB
  local field="$1" max=0 kib p
  shift
  for p in "$@"; do
    kib=$(sed -n "s/^$field:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$p/status")
    [ "$kib" -gt "$max" ] && max=$kib
  done
  echo $((max / 1024))
}
rss_mib() { _status_max_mib VmRSS "$@"; }
hwm_mib() { _status_max_mib VmHWM "$@"; }

profiled() {
  local step="$1" pids="$2"
  shift 2
  if [ "${PROFILE:-0}" != 1 ]; then
    "$@"
    return
  fi
  perf record -q -F 499 -o "$dir/perf-$step-servers.data" -p "$pids" >/dev/null 2>&1 &
  local rec=$! rc=0
  perf record -q -F 499 -o "$dir/perf-$step-command.data" -- "$@" || rc=$?
  kill -INT "$rec" 2>/dev/null || true
  wait "$rec" || true
  for part in command servers; do
    echo "## $step: $part — samples at 499 Hz per thread, then self time by thread and library"
    perf report -i "$dir/perf-$step-$part.data" --stdio 2>/dev/null | sed -n 's/^# Samples: //p' || true
    perf report -i "$dir/perf-$step-$part.data" --no-children --sort comm,dso --stdio \
      --percent-limit 2 2>/dev/null | grep -v '^#' | grep -v '^$' | sed -n 1,12p || true
    echo "## $step: $part — self time by symbol (entries above 1 %)"
    perf report -i "$dir/perf-$step-$part.data" --no-children --sort comm,dso,sym --stdio \
      --percent-limit 1 2>/dev/null | grep -v '^#' | grep -v '^$' | sed -n 1,30p || true
  done >>"$dir/profile-$step.txt"
  rm -f "$dir/perf-$step-"*.data
  return "$rc"
}
