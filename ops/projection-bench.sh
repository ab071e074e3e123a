#!/usr/bin/env bash
# Read-model figures of issue 3, end to end on this machine (not part of the default test run):
#   1. lag: ocpp-load at --rate calls/s for --lag-duration s while GET /api/admin/projections is sampled 4×/s (only
#      samples taken while the client runs count); the
#      sampled lagSeconds (age of the oldest event a projection has not applied yet, so an upper bound for every
#      event's lag) gives p50/p99/max per projection;
#   2. rebuild: the store is then filled through the same real OCPP path (ocpp-load at saturation) until it holds at
#      least --events events, and the billing, uptime and energy projections are rebuilt together over HTTP;
#      events/s = events in the store / wall time until all three have finished.
# Starts its own throwaway PostgreSQL cluster (durable defaults) and a Release build of the host; cleans up.
#
#   ops/projection-bench.sh [--cps N] [--rate R] [--lag-duration S] [--events N] [--projections "A B C"] [--keep-report FILE]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
cps=200; rate=1500; lag_duration=60; events=500000; report_file=""; projections="Cdrs Uptime Energy"
while [[ $# -gt 0 ]]; do
  case $1 in
    --cps) cps=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --lag-duration) lag_duration=$2; shift 2 ;;
    --events) events=$2; shift 2 ;;
    --projections) projections=$2; shift 2 ;;
    --keep-report) report_file=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

log() { printf '\n==> projection-bench: %s\n' "$*" >&2; }

# shellcheck source=ops/lib/bench-host.sh
source ops/lib/bench-host.sh
bench_host_start chargeledger-pbench
sampler_pid=""

log "provisioning $cps charge points and a tariff for their station"
ops/provision-load.sh "$base" "$admin_key" "$cps" "$password"
api() { curl -sS --max-time 60 -H "Authorization: Bearer $admin_key" -H 'Content-Type: application/json' "$@"; }
api -o /dev/null -w '%{http_code}\n' -d '{"id":"T-LOAD","currency":"EUR","elements":[
  {"priceComponents":[{"type":"ENERGY","price":0.30,"vatPercent":19,"stepSize":1}],"restrictions":{"startTime":"08:00","endTime":"20:00"}},
  {"priceComponents":[{"type":"ENERGY","price":0.20,"vatPercent":19,"stepSize":1}]},
  {"priceComponents":[{"type":"FLAT","price":0.50,"vatPercent":19},{"type":"TIME","price":1.20,"vatPercent":19,"stepSize":60},
                      {"type":"PARKING_TIME","price":6.00,"vatPercent":19,"stepSize":60}]}]}' "$base/api/tariffs" >&2
api -o /dev/null -w '%{http_code}\n' -X PUT -d '{"tariffId":"T-LOAD","validFrom":"2020-01-01T00:00:00Z"}' "$base/api/stations/ST-LOAD/tariff" >&2

(cd tests/load/ocpp-load && { [[ -d node_modules/ocpp-rpc ]] || npm ci --silent --no-audit --no-fund; }) >&2
client=(node tests/load/ocpp-load/ocpp-load.mjs "ws://127.0.0.1:$http_port/ocpp" -n "$cps" -k 10 --password "$password" --quiet)
log "warm-up: every charge point connects once (the PBKDF2 check is cached per process afterwards)"
"${client[@]}" -d 1 -t 1 --timeout 60000 >/dev/null || true

# ---- 1. lag under sustained load -----------------------------------------------------------------------------
sample_lag() {
  python3 -u - "$base/api/admin/projections" "$admin_key" <<'PY'
import json, sys, time, urllib.request
url, key = sys.argv[1], sys.argv[2]
while True:
    t = time.time()
    try:
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
        rows = json.load(urllib.request.urlopen(req, timeout=5))
        print(json.dumps({"t": t, "rows": [{k: r[k] for k in ("name", "lagSeconds", "lagEvents", "state")} for r in rows]}))
    except Exception as e:
        print(json.dumps({"t": t, "error": str(e)}))
    time.sleep(max(0, 0.25 - (time.time() - t)))
PY
}
log "lag: $cps charge points at $rate calls/s for $lag_duration s, sampling the projections 4x/s"
sample_lag >"$work/lag.jsonl" &
sampler_pid=$!
extra_pid=$sampler_pid
set +e
"${client[@]}" -r "$rate" -d "$lag_duration" >"$work/lag-client.json"
lag_client_status=$?
set -e
kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true; sampler_pid=""; extra_pid=""

# ---- 2. fill to N events, then rebuild --------------------------------------------------------------------------
psql_count() {
  PGPASSWORD=$(cat "$work/pg/password") "$CHARGELEDGER_PG_BINDIR/psql" -h 127.0.0.1 -p "$pg_port" -U postgres \
    -d "$(sed -E 's/.*Database=([^;]*).*/\1/' <<<"$connection")" -Atc "select count(*) from chargeledger.mt_events"
}
have=$(psql_count)
while (( have < events )); do
  log "filling: $have of $events events; 60 s more at saturation"
  "${client[@]}" -d 60 >/dev/null || true
  have=$(psql_count)
done
log "waiting for the daemon to catch up before the rebuild"
for _ in $(seq 1 600); do
  behind=$(api "$base/api/admin/projections" | python3 -c 'import json,sys; print(sum(r["lagEvents"] for r in json.load(sys.stdin)))')
  (( behind == 0 )) && break
  sleep 1
done

log "rebuilding [$projections] together over $have events"
started=$(date +%s.%N)
covered=" "   # a member of a projection group is rebuilt with its group: one request per group (README "Projection groups")
for p in $projections; do
  [[ $covered == *" ${p,,} "* ]] && continue
  body=$(api -f -X POST "$base/api/admin/projections/$p/rebuild") || { echo "rebuild of $p refused" >&2; exit 1; }
  covered+="$(python3 -c 'import json, sys; print(" ".join(n.lower() for n in json.loads(sys.argv[1])["rebuilds"]))' "$body") "
done
for _ in $(seq 1 3600); do
  api "$base/api/admin/projections" >"$work/status.json"
  done_count=$(python3 - "$work/status.json" "$projections" <<'PY'
import json, sys
rows = {r["name"].lower(): r for r in json.load(open(sys.argv[1]))}
names = sys.argv[2].lower().split()
finished = 0
for n in names:
    rb = (rows.get(n) or {}).get("lastRebuild") or {}
    if rb.get("status") == "Failed":
        print(f"rebuild of {n} failed: {rb.get('error')}", file=sys.stderr); sys.exit(3)
    finished += rb.get("status") == "Completed"
print(finished)
PY
)
  (( done_count == $(wc -w <<<"$projections") )) && break
  sleep 0.2
done
finished=$(date +%s.%N)

python3 - "$work/lag.jsonl" "$work/lag-client.json" "$work/status.json" "$have" "$started" "$finished" "$projections" <<'PY' | tee "${report_file:-/dev/null}"
import json, sys, os
lag_file, client_file, status_file, total, started, finished, names = sys.argv[1:8]
total = int(total); wall = float(finished) - float(started)
samples = [s for s in (json.loads(l) for l in open(lag_file) if l.strip()) if "rows" in s]
client = json.load(open(client_file))
# "Under sustained load": the samples taken while the client ran (the sampler starts just before it).
samples = [s for s in samples if s["t"] - samples[0]["t"] <= float(client["elapsedS"])] if samples else samples
per = {}
for s in samples:
    for r in s["rows"]:
        per.setdefault(r["name"], []).append(r["lagSeconds"])
def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v) + 0.5)) - 1))] if v else None
status = {r["name"]: r for r in json.load(open(status_file))}
report = {
    "machine": {"cores": os.cpu_count()},
    "lag": {"rate": client.get("config", {}).get("rate"), "callsPerS": client.get("callsPerS"), "errors": client.get("errors", {}).get("total", 0),
            "samples": len(samples),
            "projections": {n: {"p50": pct(v, 50), "p99": pct(v, 99), "max": max(v)} for n, v in sorted(per.items())},
            "over1s": [{"atS": round(s["t"] - samples[0]["t"], 2), "lags": {r["name"]: r["lagSeconds"] for r in s["rows"] if r["lagSeconds"] > 1}}
                       for s in samples if any(r["lagSeconds"] > 1 for r in s["rows"])][:40]},
    "rebuild": {"events": total, "wallSeconds": round(wall, 2), "eventsPerSecond": round(total / wall),
                "projections": {n: status[n]["lastRebuild"] for n in status if n.lower() in names.lower().split()}},
}
print(json.dumps(report, indent=2))
print(f"\nlag at {report['lag']['callsPerS']} calls/s ({report['lag']['samples']} samples):", file=sys.stderr)
for n, v in report["lag"]["projections"].items():
    print(f"  {n:20s} p50 {v['p50']:.3f} s  p99 {v['p99']:.3f} s  max {v['max']:.3f} s", file=sys.stderr)
print(f"rebuild of {names}: {total} events in {wall:.1f} s = {report['rebuild']['eventsPerSecond']} events/s", file=sys.stderr)
PY
exit "$lag_client_status"
