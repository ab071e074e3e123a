#!/usr/bin/env bash
# Issue 5's figure: the command round trip (API -> charge point -> result visible in GET /api/commands/{id}) with an
# idle charge point, on one node. A throwaway PostgreSQL cluster and a Release host (ops/lib/bench-host.sh); the charge
# point is tests/load/ocpp-load/command-rtt.mjs (ocpp-rpc, strict mode) on the same machine.
#
#   ops/command-bench.sh [--count 300] [--action ClearCache|Reset|UnlockConnector|GetConfiguration] [--cross-node]
#
#   --cross-node  two nodes in cluster mode HotCold on one database: the charge point is connected to node A and the
#                 commands are posted to (and read from) node B, so each one is relayed over LISTEN/NOTIFY (ops/cluster.md)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
count=300; action=ClearCache; cross=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --count) count=$2; shift 2 ;;
    --action) action=$2; shift 2 ;;
    --cross-node) cross=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

log() { printf '\n==> command-bench: %s\n' "$*" >&2; }

source ops/lib/bench-host.sh
if (( cross )); then export ChargeLedger__Cluster__Mode=HotCold; fi
bench_host_start chargeledger-commands
api_base=$base
if (( cross )); then
  node_b_port=$(free_port)
  api_base=http://127.0.0.1:$node_b_port
  log "node B on $api_base (cluster mode HotCold, same database)"
  ConnectionStrings__Marten=$connection ChargeLedger__ApiKeys__bench__Key=$admin_key ChargeLedger__ApiKeys__bench__Roles__0=admin \
    Logging__LogLevel__Default=Warning ChargeLedger__CodeGeneration=Static ChargeLedger__Mqtt__Port=$(free_port) \
    dotnet src/ChargeLedger.Host/bin/Release/net10.0/ChargeLedger.Host.dll --urls "$api_base" >"$work/node-b.log" 2>&1 &
  extra_pid=$!
  for _ in $(seq 1 120); do curl -sf "$api_base/health/ready" >/dev/null 2>&1 && break; sleep 0.5; done
  curl -sf "$api_base/health/ready" >/dev/null || { tail -30 "$work/node-b.log" >&2; echo "node B not ready" >&2; exit 1; }
fi
ops/provision-load.sh "$base" "$admin_key" 1 "$password" RTT-
(cd tests/load/ocpp-load && { [[ -d node_modules/ocpp-rpc ]] || npm ci --silent --no-audit --no-fund; }) >&2
log "$count sequential $action commands to one idle charge point (socket on $base, API on $api_base)"
node tests/load/ocpp-load/command-rtt.mjs "ws://127.0.0.1:$http_port/ocpp" "$api_base" "$admin_key" RTT-0001 "$password" "$count" "$action"
