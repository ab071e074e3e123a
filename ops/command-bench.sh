#!/usr/bin/env bash
# Issue 5's figure: the command round trip (API -> charge point -> result visible in GET /api/commands/{id}) with an
# idle charge point, on one node. A throwaway PostgreSQL cluster and a Release host (ops/lib/bench-host.sh); the charge
# point is tests/load/ocpp-load/command-rtt.mjs (ocpp-rpc, strict mode) on the same machine.
#
#   ops/command-bench.sh [--count 300] [--action ClearCache|Reset|UnlockConnector|GetConfiguration]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
count=300; action=ClearCache
while [[ $# -gt 0 ]]; do
  case $1 in
    --count) count=$2; shift 2 ;;
    --action) action=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

log() { printf '\n==> command-bench: %s\n' "$*" >&2; }

source ops/lib/bench-host.sh
bench_host_start chargeledger-commands
ops/provision-load.sh "$base" "$admin_key" 1 "$password" RTT-
(cd tests/load/ocpp-load && { [[ -d node_modules/ocpp-rpc ]] || npm ci --silent --no-audit --no-fund; }) >&2
log "$count sequential $action commands to one idle charge point"
node tests/load/ocpp-load/command-rtt.mjs "ws://127.0.0.1:$http_port/ocpp" "$base" "$admin_key" RTT-0001 "$password" "$count" "$action"
