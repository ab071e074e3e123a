#!/usr/bin/env bash
# Runs the platform on this machine (README "Run it"): a local PostgreSQL cluster in a data folder, the schema
# migrations, and the host on http://127.0.0.1:8080 (HTTP API, OpenAPI, OCPP WebSockets). Prints the URLs, the
# admin API key and a sample charge point credential. Ctrl+C stops the host (the database keeps running; stop it
# with `ops/local-postgres.sh stop`).
#
#   ops/run.sh [--demo] [--port 8080]
#
#   --demo   also starts src/ChargeLedger.Simulator with 5 virtual charge points running realistic sessions
#
# State lives in .data/ (or /var/tmp/chargeledger-<hash> when the repository is not readable by the postgres user):
# the cluster, the admin key (admin-api-key), the password verifier key (password-verifier-key) and the sample charge
# point's password (sample-chargepoint).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$(pwd)
demo=0; port=8080
while [[ $# -gt 0 ]]; do
  case $1 in
    --demo) demo=1; shift ;;
    --port) port=$2; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
step() { printf '\n==> %s\n' "$*" >&2; }

step "PostgreSQL"
CHARGELEDGER_PG_BINDIR=$(ops/ensure-postgres.sh | tail -n 1)
export CHARGELEDGER_PG_BINDIR
ops/local-postgres.sh start >&2
connection=$(ops/local-postgres.sh url)
state=$REPO/.data
mkdir -p "$state"
chmod 755 "$state" # the postgres user must be able to enter it; secrets inside are mode 600

if [[ ! -s $state/admin-api-key ]]; then
  head -c 32 /dev/urandom | base64 | tr -d '/+=' >"$state/admin-api-key"
  chmod 600 "$state/admin-api-key"
fi
admin_key=$(cat "$state/admin-api-key")

step "build (Release, Wolverine static code generation)"
host_dll=$(ops/build-host.sh | tail -n 1)
if (( demo )); then dotnet build src/ChargeLedger.Simulator -c Release -nologo -v quiet >&2; fi

export ConnectionStrings__Marten=$connection
export ChargeLedger__ApiKeys__admin__Key=$admin_key ChargeLedger__ApiKeys__admin__Roles__0=admin
# Chosen charge point and gateway passwords are checked with PBKDF2 once per key, not once per restart (README
# "Configuration"); the host creates the key file (mode 600) on its first start.
export ChargeLedger__Security__VerifierKeyFile=$state/password-verifier-key
export ChargeLedger__CodeGeneration=Static # README "Wolverine code generation"
export Logging__LogLevel__Marten=Warning # the async daemon logs every page it applies at Information
mqtt_port=${CHARGELEDGER_MQTT_PORT:-1883}
export ChargeLedger__Mqtt__Port=$mqtt_port

step "migrations"
dotnet "$host_dll" migrations apply 2>&1 | grep -E 'Applied|up to date|rror' >&2 || true

base=http://127.0.0.1:$port
step "host on $base"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
dotnet "$host_dll" --urls "$base" &
pids+=($!)
for _ in $(seq 1 120); do
  curl -sf "$base/health/ready" >/dev/null 2>&1 && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "the host exited" >&2; exit 1; }
  sleep 0.5
done
curl -sf "$base/health/ready" >/dev/null || { echo "the host did not become ready within 60 s" >&2; exit 1; }

# A sample charge point to connect a real or simulated charger with; its generated password is shown once by the
# API, so it is kept in the state folder.
api() { curl -s -H "Authorization: Bearer $admin_key" -H 'Content-Type: application/json' "$@"; }
api -o /dev/null -d '{"id":"ST-SAMPLE","name":"Sample station","timeZone":"Europe/Berlin"}' "$base/api/stations"
if [[ ! -s $state/sample-chargepoint ]]; then
  password=$(api -d '{"id":"CP-SAMPLE","stationId":"ST-SAMPLE"}' "$base/api/chargepoints" |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("password",""))')
  [[ -n $password ]] && { printf '%s\n' "$password" >"$state/sample-chargepoint"; chmod 600 "$state/sample-chargepoint"; }
fi
api -o /dev/null -d '{"idTag":"SAMPLE-TAG","expiresAt":null,"parentIdTag":null}' "$base/api/idtags"
sample_password=$(cat "$state/sample-chargepoint" 2>/dev/null || echo "(unknown: delete $state/sample-chargepoint and the charge point to reset)")

# A sample station gateway (Neuron layout) with a meter and a transformer mapped, for mosquitto_pub or a real gateway.
if [[ ! -s $state/sample-gateway ]]; then
  password=$(api -d '{"id":"GW-SAMPLE","stationId":"ST-SAMPLE"}' "$base/api/gateways" |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("password",""))')
  [[ -n $password ]] && { printf '%s\n' "$password" >"$state/sample-gateway"; chmod 600 "$state/sample-gateway"; }
fi
api -o /dev/null -X PUT -d '[{"node":"meter-1","tag":"import_wh","deviceId":"MTR-SAMPLE","kind":"meter","measurand":"Energy.Active.Import.Register","unit":"Wh","scale":1},
  {"node":"trafo-1","tag":"temp","deviceId":"TR-SAMPLE","kind":"transformer","measurand":"Temperature","unit":"Celsius","scale":1}]' \
  "$base/api/gateways/GW-SAMPLE/devices"
gateway_password=$(cat "$state/sample-gateway" 2>/dev/null || echo "(unknown: delete $state/sample-gateway and the gateway to reset)")

cat >&2 <<INFO

  ChargeLedger is running.
    Dashboard      $base/dashboard#key=$admin_key
    API            $base/api        (Authorization: Bearer <key>)
    OpenAPI        $base/openapi/v1.json
    Health         $base/health/ready
    OCPP 1.6J      ws://127.0.0.1:$port/ocpp/{chargePointId}   (subprotocol ocpp1.6, HTTP Basic)
    Admin API key  $admin_key
    Sample charge point  id CP-SAMPLE  password $sample_password  (idTag SAMPLE-TAG)
    MQTT (embedded) mqtt://127.0.0.1:$mqtt_port   gateway GW-SAMPLE  password $gateway_password  topics /neuron/GW-SAMPLE/#
    PostgreSQL     $connection

  Try:  curl -H "Authorization: Bearer $admin_key" $base/api/chargepoints/CP-SAMPLE
        mosquitto_pub -p $mqtt_port -i GW-SAMPLE -u GW-SAMPLE -P '$gateway_password' -q 1 -t /neuron/GW-SAMPLE/modbus/grp -m "{\"timestamp\":\$(date +%s%3N),\"node\":\"trafo-1\",\"group\":\"grp\",\"values\":{\"temp\":71}}"
INFO

if (( demo )); then
  step "demo: 5 virtual charge points (src/ChargeLedger.Simulator)"
  dotnet "$REPO/src/ChargeLedger.Simulator/bin/Release/net10.0/ChargeLedger.Simulator.dll" demo --url "$base" \
    --api-key "$admin_key" --charge-points 5 &
  pids+=($!)
  echo "  Watch it fill:  curl -H \"Authorization: Bearer $admin_key\" '$base/api/transactions?limit=10'" >&2
fi

wait "${pids[0]}"
