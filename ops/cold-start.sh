#!/usr/bin/env bash
# Cold start to ready, as a charge point sees it: from launching the Release host to the first BootNotification.conf
# (which needs PostgreSQL, the migrations check, Wolverine's handler chain and the ledger load), and separately to
# /health/ready. Runs each mode several times against a throwaway PostgreSQL cluster.
#
#   ops/cold-start.sh [runs=5]
#
# Modes: Dynamic (Wolverine compiles its handler chains with Roslyn at start-up) and Static (pre-generated with
# `codegen write`, compiled into the host by ops/build-host.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$(pwd)
runs=${1:-5}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
now_ms() { date +%s%3N; }

work=$(mktemp -d /var/tmp/chargeledger-coldstart.XXXXXX); chmod 755 "$work"
pg_port=$(free_port)
export CHARGELEDGER_DATA=$work/pg CHARGELEDGER_PG_PORT=$pg_port
cleanup() { ops/local-postgres.sh stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
CHARGELEDGER_PG_BINDIR=$(ops/ensure-postgres.sh | tail -n 1); export CHARGELEDGER_PG_BINDIR
ops/local-postgres.sh start >/dev/null 2>&1
export ConnectionStrings__Marten=$(ops/local-postgres.sh url)
export ChargeLedger__ApiKeys__cs__Key=coldstart ChargeLedger__ApiKeys__cs__Roles__0=admin Logging__LogLevel__Default=Warning
export ChargeLedger__Mqtt__Port=0 # the embedded broker on a free port (1883 may be taken by ops/run.sh)
(cd tests/load/ocpp-load && { [[ -d node_modules/ocpp-rpc ]] || npm ci --silent --no-audit --no-fund; })

# One Release build with the pre-generated code compiled in; Dynamic mode ignores it and compiles with Roslyn.
dll=$(ops/build-host.sh | tail -n 1)
dynamic_dll=$dll
static_dll=$dll

# One registered charge point; the first run also applies the migrations, and is not counted.
port=$(free_port)
dotnet "$dynamic_dll" --urls "http://127.0.0.1:$port" >/dev/null 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; do sleep 0.2; done
curl -s -o /dev/null -H 'Authorization: Bearer coldstart' -H 'Content-Type: application/json' \
  -d '{"id":"ST-CS","name":"Cold start","timeZone":"UTC"}' "http://127.0.0.1:$port/api/stations"
curl -s -o /dev/null -H 'Authorization: Bearer coldstart' -H 'Content-Type: application/json' \
  -d '{"id":"CP-COLD","stationId":"ST-CS","password":"coldstartpassword1"}' "http://127.0.0.1:$port/api/chargepoints"
kill "$pid"; wait "$pid" 2>/dev/null || true

measure() {
  local mode=$1 dll=$2 port start pid boot ready
  port=$(free_port)
  start=$(now_ms)
  ChargeLedger__CodeGeneration=$mode dotnet "$dll" --urls "http://127.0.0.1:$port" >"$work/$mode.log" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; do sleep 0.01; done
  ready=$(( $(now_ms) - start ))
  boot=$(node tests/load/ocpp-load/first-boot.mjs "ws://127.0.0.1:$port/ocpp" CP-COLD coldstartpassword1 "$start")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  printf '%s\t%s\t%s\n' "$mode" "$ready" "$boot"
}

printf 'mode\tready_ms\tfirst_boot_ms\n'
for _ in $(seq 1 "$runs"); do
  measure Dynamic "$dynamic_dll"
  measure Static "$static_dll"
done
