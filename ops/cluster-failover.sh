#!/usr/bin/env bash
# Two ChargeLedger nodes on one PostgreSQL in cluster mode HotCold (ops/cluster.md), then a crash of the leader:
# starts node A and node B, writes through A, kill -9s whichever node runs the projections, writes through the
# survivor and measures how long until the survivor runs every projection and has applied the new events.
#
#   ops/cluster-failover.sh [--polling-ms 5000]
#
#   ConnectionStrings__Marten   the database (default: `ops/local-postgres.sh url`, starting that cluster)
#   CHARGELEDGER_HOST_DLL       a built ChargeLedger.Host.dll (default: ops/build-host.sh, Release + static codegen)
#
# Nodes: A on 127.0.0.1:8181 (MQTT 18831), B on 127.0.0.1:8182 (MQTT 18832); their logs go to $TMPDIR/chargeledger-node-{a,b}.log.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

polling=5000
while [[ $# -gt 0 ]]; do
  case $1 in
    --polling-ms) polling=$2; shift 2 ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

if [[ -z ${ConnectionStrings__Marten:-} ]]; then
  ops/local-postgres.sh start >&2
  ConnectionStrings__Marten=$(ops/local-postgres.sh url)
fi
dll=${CHARGELEDGER_HOST_DLL:-$(ops/build-host.sh | tail -n 1)}
[[ $dll == */Release/* ]] && export ChargeLedger__CodeGeneration=Static

key=cluster-demo-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
export ConnectionStrings__Marten ChargeLedger__Cluster__Mode=HotCold ChargeLedger__Cluster__LeadershipPollingMilliseconds=$polling
export ChargeLedger__ApiKeys__admin__Key=$key ChargeLedger__ApiKeys__admin__Roles__0=admin
export Logging__LogLevel__Default=Warning

declare -A pid url
tmp=${TMPDIR:-/tmp}
cleanup() { for n in "${!pid[@]}"; do kill -TERM "${pid[$n]}" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

start_node() { # name http-port mqtt-port
  url[$1]=http://127.0.0.1:$2
  ChargeLedger__Mqtt__Port=$3 dotnet "$dll" --urls "${url[$1]}" >"$tmp/chargeledger-node-$1.log" 2>&1 &
  pid[$1]=$!
  for _ in $(seq 1 240); do
    curl -sf "${url[$1]}/health/ready" >/dev/null 2>&1 && return 0
    kill -0 "${pid[$1]}" 2>/dev/null || { echo "node $1 exited; see $tmp/chargeledger-node-$1.log" >&2; exit 1; }
    sleep 0.25
  done
  echo "node $1 did not become ready" >&2; exit 1
}
api() { curl -sf -H "Authorization: Bearer $key" -H 'Content-Type: application/json' "$@"; }
# "running async projections/all async projections, max lag" on a node
projections() {
  local body
  if ! body=$(api "${url[$1]}/api/admin/projections"); then
    echo "GET ${url[$1]}/api/admin/projections failed: $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "${url[$1]}/api/admin/projections")" >&2
    echo "0 -1 -1"; return
  fi
  python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["lifecycle"] == "Async"]
print(sum(r["state"] == "running" for r in rows), len(rows), max(r["lagEvents"] for r in rows))' <<<"$body"
}
write_through() { # node: a station and a charge point registered through its API (events on their streams)
  local id=ST-$RANDOM$RANDOM
  api -o /dev/null -d "{\"id\":\"$id\",\"name\":\"Cluster demo\",\"timeZone\":\"Europe/Berlin\"}" "${url[$1]}/api/stations"
  api -o /dev/null -d "{\"id\":\"CP-$RANDOM$RANDOM\",\"stationId\":\"$id\"}" "${url[$1]}/api/chargepoints"
}
now_ms() { date +%s%3N; }

start_node a 8181 18831
start_node b 8182 18832
write_through a
for _ in $(seq 1 120); do
  read -r ra total lag_a <<<"$(projections a)"; read -r rb _ _ <<<"$(projections b)"
  (( (ra == total || rb == total) && lag_a == 0 )) && break
  sleep 0.25
done
echo "before: node a runs $ra/$total async projections, node b $rb/$total; lag $lag_a events"
if (( ra == total )); then leader=a; survivor=b; else leader=b; survivor=a; fi

kill -9 "${pid[$leader]}"; unset "pid[$leader]"
killed=$(now_ms)
write_through "$survivor"
for _ in $(seq 1 600); do
  read -r rs total lag <<<"$(projections "$survivor")"
  (( rs == total && lag == 0 )) && break
  sleep 0.1
done
elapsed=$(( $(now_ms) - killed ))
echo "after kill -9 of node $leader: node $survivor runs $rs/$total async projections, lag $lag events, $elapsed ms after the kill (leadership polling $polling ms)"
(( rs == total && lag == 0 ))
