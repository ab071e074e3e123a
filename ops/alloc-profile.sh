#!/usr/bin/env bash
# Where the host allocates under the OCPP load: runs the bench suite's OCPP step (ops/bench-suite.sh, its own throwaway
# cluster and Release host), takes a 10 s dotnet-trace of the runtime's allocation ticks inside the measured window, and
# writes the report (bytes by type, by frame, by type and top frames) beside the suite's output.
#
#   ops/alloc-profile.sh [--out DIR] [--cps 200] [--seconds 10]
#
# Needs dotnet-trace (`dotnet tool install -g dotnet-trace`). Allocation ticks cost the host a little CPU while the
# trace runs, so read calls/s from a run without it. Bytes per call: pair it with `dotnet-counters` (README "Performance").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=/var/tmp/alloc-profile; cps=200; seconds=10
while [[ $# -gt 0 ]]; do
  case $1 in
    --out) out=$2; shift 2 ;;
    --cps) cps=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
trace_tool=$(command -v dotnet-trace || echo "$HOME/.dotnet/tools/dotnet-trace")
[[ -x $trace_tool ]] || { echo "alloc-profile: dotnet-trace not found (dotnet tool install -g dotnet-trace)" >&2; exit 1; }
warmup=40
(( seconds + 5 <= 30 )) || { echo "alloc-profile: --seconds must leave the 30 s measured window room (at most 25)" >&2; exit 2; }

dotnet build -c Release tests/ChargeLedger.Benchmarks -v quiet -nologo >/dev/null
mkdir -p "$out"
ops/bench-suite.sh --out "$out/suite" --cps "$cps" --warmup "$warmup" --duration 30 \
  --skip "cold-start copy-baseline connections telemetry" >"$out/suite.log" 2>&1 &
suite=$!
trap 'kill $suite 2>/dev/null || true' EXIT

# The OCPP step starts after provisioning; its load runs warm-up + 30 s.
for _ in $(seq 1 600); do
  pgrep -f "bench --scenario ocpp" >/dev/null && break
  kill -0 $suite 2>/dev/null || { tail -20 "$out/suite.log" >&2; echo "alloc-profile: the suite ended before its OCPP step" >&2; exit 1; }
  sleep 1
done
host=$(pgrep -f "^dotnet .*ChargeLedger.Host.dll" | head -n 1)
[[ -n $host ]] || { echo "alloc-profile: no host process" >&2; exit 1; }
sleep $((warmup + 5))
"$trace_tool" collect -p "$host" --duration "00:00:00:$(printf '%02d' "$seconds")" -o "$out/alloc.nettrace" \
  --providers "Microsoft-Windows-DotNETRuntime:0x1:5" >"$out/trace.log" 2>&1
wait $suite || true
trap - EXIT
dotnet tests/ChargeLedger.Benchmarks/bin/Release/net10.0/ChargeLedger.Benchmarks.dll alloc-report "$out/alloc.nettrace" 5 >"$out/alloc-report.txt"
echo "alloc-profile: $out/alloc-report.txt (the run's figures: $out/suite/suite.md)"
head -n 30 "$out/alloc-report.txt"
