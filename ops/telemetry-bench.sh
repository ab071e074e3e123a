#!/usr/bin/env bash
# Issue 4's telemetry figure: values/s from N simulated Neuron gateways through the host's embedded MQTT broker into the
# event store at QoS 1, with publish->PUBACK latency (the PUBACK is sent after the commit, so it is end-to-end into the
# store) and a loss check (values acknowledged to the publishers = values stored in mt_events). A throwaway PostgreSQL
# cluster and a Release host (ops/lib/bench-host.sh); the publisher runs on the same machine.
#
#   ops/telemetry-bench.sh [--gateways 10] [--tags 50] [--meters 4] [--rate 500] [--duration 30] [--window 8]
#
#   --rate is messages/s over all gateways; values/s = rate x tags.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
gateways=10; tags=50; meters=4; rate=500; duration=30; window=8
while [[ $# -gt 0 ]]; do
  case $1 in
    --gateways) gateways=$2; shift 2 ;;
    --tags) tags=$2; shift 2 ;;
    --meters) meters=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

log() { printf '\n==> telemetry-bench: %s\n' "$*" >&2; }

source ops/lib/bench-host.sh
bench_host_start chargeledger-telemetry

log "building the simulator"
dotnet build src/ChargeLedger.Simulator -c Release -nologo -v quiet >&2
simulator=src/ChargeLedger.Simulator/bin/Release/net10.0/ChargeLedger.Simulator.dll

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$host_pid/stat"; }
ticks_per_s=$(getconf CLK_TCK)
seed=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
log "provisioning $gateways gateways, then $duration s at $rate messages/s x $tags tags"
cpu_before=$(cpu_ticks)
set +e
dotnet "$simulator" telemetry --provision --url "$base" --api-key "$admin_key" --station ST-BENCH --port "$mqtt_port" \
  --gateways "$gateways" --tags-per-message "$tags" --meters-per-gateway "$meters" --rate "$rate" --duration "$duration" \
  --window "$window" --password-seed "$seed" --seed 42 >"$work/simulator.out"
simulator_status=$?
set -e
cpu_after=$(cpu_ticks)
rss_kib=$(awk '/VmRSS/ { print $2 }' "/proc/$host_pid/status")

pg_password=$(sed -nE 's/.*Password=([^;]*).*/\1/p' <<<"$connection")
stored=$(PGPASSWORD=$pg_password psql -h 127.0.0.1 -p "$pg_port" -U postgres -d chargeledger -tA -F ' ' -c \
  "select count(*), coalesce(sum(jsonb_array_length(data->'samples')), 0) from chargeledger.mt_events where type = 'telemetry_recorded'")

python3 - "$work/simulator.out" "$cpu_before" "$cpu_after" "$ticks_per_s" "$rss_kib" $stored <<'PY'
import json, sys
text = open(sys.argv[1]).read()
start = text.index("\n{\n") + 1 if not text.startswith("{") else 0
report, _ = json.JSONDecoder().raw_decode(text[start:])
before, after, hz, rss = (float(x) for x in sys.argv[2:6])
events, stored_values = int(sys.argv[6]), int(sys.argv[7])
elapsed = report["durationSeconds"]
report["server"] = {"cpuPercentOfOneCore": round(100 * (after - before) / hz / elapsed, 1), "rssMiB": round(rss / 1024, 1)}
report["store"] = {"telemetryEvents": events, "values": stored_values, "lost": report["values"] - stored_values if stored_values < report["values"] else 0}
print(json.dumps(report, indent=2))
print(f"\nacknowledged {report['values']} values, stored {stored_values} ({events} events): "
      f"{'no loss' if stored_values >= report['values'] else 'LOSS'}; {report['valuesPerSecond']} values/s; "
      f"PUBACK p50 {report['latencyP50Ms']} ms, p99 {report['latencyP99Ms']} ms, max {report['latencyMaxMs']} ms; "
      f"failures {report['failures']}; host CPU {report['server']['cpuPercentOfOneCore']}% of one core, RSS {report['server']['rssMiB']} MiB",
      file=sys.stderr)
sys.exit(0 if stored_values >= report["values"] else 3)
PY
exit "$simulator_status"
