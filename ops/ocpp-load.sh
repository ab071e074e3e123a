#!/usr/bin/env bash
# End-to-end OCPP 1.6J run against the real host with the ocpp-load client (ocpp-rpc in strict mode: every
# CALLRESULT is checked against the official schemas). Starts its own throwaway PostgreSQL cluster and a Release
# build of the host on a free loopback port, provisions the charge points, runs the client, reports server CPU and
# memory beside the client's JSON report, and cleans up. Exit code 1 on any client error.
#
#   ops/ocpp-load.sh [--cps N] [--duration S] [--meter-values K] [--warmup] [--keep-report FILE]
#
#   --cps N           charge points (default 10)
#   --duration S      seconds of load (default 15)
#   --rate R          open-loop pacing at R calls/s over all connections (0 = each charge point as fast as answered:
#                     saturation throughput); latency at a fixed load is measured with a rate below saturation
#   --warmup          connect every charge point once before the measured run, so the measured run does not
#                     include the one-time PBKDF2 check of each password (cached per process afterwards)
#   --keep-report F   also write the combined JSON report to F
# Used by CI (a short smoke run) and for the published figures (README "Performance").
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$(pwd)
cps=10; duration=15; meter_values=10; warmup=0; report_file=""; rate=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --cps) cps=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --meter-values) meter_values=$2; shift 2 ;;
    --warmup) warmup=1; shift ;;
    --rate) rate=$2; shift 2 ;;
    --keep-report) report_file=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

log() { printf '\n==> ocpp-load: %s\n' "$*" >&2; }

# shellcheck source=ops/lib/bench-host.sh
source ops/lib/bench-host.sh
bench_host_start chargeledger-load

log "provisioning $cps charge points"
ops/provision-load.sh "$base" "$admin_key" "$cps" "$password"

log "installing the ocpp-load client"
(cd tests/load/ocpp-load && { [[ -d node_modules/ocpp-rpc ]] || npm ci --silent --no-audit --no-fund; }) >&2

client=(node tests/load/ocpp-load/ocpp-load.mjs "ws://127.0.0.1:$http_port/ocpp" -n "$cps" -k "$meter_values" --password "$password" --quiet)
if (( warmup )); then
  log "warm-up: every charge point connects and runs one transaction"
  "${client[@]}" -d 1 -t 1 --timeout 60000 >/dev/null || true
fi
if (( rate > 0 )); then
  client+=(-r "$rate")
fi

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$host_pid/stat"; }
ticks_per_s=$(getconf CLK_TCK)
cpu_before=$(cpu_ticks)
log "measured run: $cps charge points, $duration s"
set +e
"${client[@]}" -d "$duration" >"$work/client.json"
client_status=$?
set -e
cpu_after=$(cpu_ticks)
rss_kib=$(awk '/VmRSS/ { print $2 }' "/proc/$host_pid/status")
hwm_kib=$(awk '/VmHWM/ { print $2 }' "/proc/$host_pid/status")
elapsed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["elapsedS"])' "$work/client.json")

python3 - "$work/client.json" "$cpu_before" "$cpu_after" "$ticks_per_s" "$elapsed" "$rss_kib" "$hwm_kib" <<'PY' | tee "${report_file:-/dev/null}"
import json, sys, os
report = json.load(open(sys.argv[1]))
before, after, hz, elapsed, rss, hwm = (float(x) for x in sys.argv[2:8])
report["server"] = {
    "cpuPercentOfOneCore": round(100 * (after - before) / hz / elapsed, 1),
    "cores": os.cpu_count(),
    "rssMiB": round(rss / 1024, 1),
    "peakRssMiB": round(hwm / 1024, 1),
}
print(json.dumps(report, indent=2))
lat = report.get("latencyMs", {})
rows = [(k, v) for k, v in lat.items() if k != "connect"]
allp = report["calls"]
print(f"\ncalls/s {report['callsPerS']}  ok {allp['ok']}  failed {allp['failed']}  errors {report.get('errors', {}).get('total', 0)}", file=sys.stderr)
for k, v in rows:
    print(f"  {k:28s} n={v['count']:>7}  p50={v['p50']:>7} ms  p99={v['p99']:>7} ms", file=sys.stderr)
print(f"  server CPU {report['server']['cpuPercentOfOneCore']}% of one core, RSS {report['server']['rssMiB']} MiB (peak {report['server']['peakRssMiB']})", file=sys.stderr)
PY

if grep -qE '"(fail|crit)' "$work/host.log"; then
  log "host log has errors:"; grep -E 'fail|crit' -A3 "$work/host.log" | head -40 >&2
fi
exit "$client_status"
