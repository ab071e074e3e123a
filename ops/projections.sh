#!/usr/bin/env bash
# Projection and audit operations (README "Replay, time travel, audit").
#
#   ops/projections.sh status                 each projection: state, position, high-water mark, lag, last rebuild
#   ops/projections.sh rebuild NAME           rebuild NAME on the running host (HTTP), wait for it to finish; a member
#                                             of a projection group is rebuilt with its group (README "Projection groups")
#   ops/projections.sh list                   the registered daemon projections (JasperFx CLI; no host needed): the
#                                             groups Operations and Sessions, and Grid
#   ops/projections.sh rebuild-offline NAME   rebuild with the JasperFx CLI -- ONLY while no host runs (see below); NAME
#                                             as `list` shows it (Operations, Sessions, Grid)
#   ops/projections.sh audit [CP-1:42]        verify the transaction hash chains (CLI); exit 1 on any break
#
# HTTP commands talk to CHARGELEDGER_URL (default http://127.0.0.1:8080) with CHARGELEDGER_API_KEY (default: the
# admin key ops/run.sh keeps in .data/admin-api-key). CLI commands run the host's command line against
# ConnectionStrings__Marten (default: the ops/local-postgres.sh cluster), with CHARGELEDGER_HOST_DLL or a fresh
# ops/build-host.sh build.
#
# Why rebuild over HTTP on a running system: the host runs its async daemon in Solo mode, which takes no lock, so a
# CLI rebuild next to a running host would have two daemons writing the same projection. The HTTP rebuild runs on the
# host's own daemon (one rebuild per projection at a time; 409 while one runs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

url=${CHARGELEDGER_URL:-http://127.0.0.1:8080}
usage() { sed -n '2,17p' "$0" >&2; exit 2; }

api_key() {
  if [[ -n ${CHARGELEDGER_API_KEY:-} ]]; then echo "$CHARGELEDGER_API_KEY"; return; fi
  [[ -s .data/admin-api-key ]] || { echo "set CHARGELEDGER_API_KEY (developer or admin role)" >&2; exit 2; }
  cat .data/admin-api-key
}

api() { curl -sS -H "Authorization: Bearer $(api_key)" "$@"; }

status_table() {
  api -f "$url/api/admin/projections" | python3 -c "$(cat <<'PY'
import json, sys
rows = json.load(sys.stdin)
line = "{:<28} {:<11} {:>10} {:>10} {:>7} {:>7}  {}"
print(line.format("projection", "state", "position", "high water", "lag", "lag s", "last rebuild / error"))
for r in rows:
    rebuild = r.get("lastRebuild") or {}
    error = (r.get("error") or {}).get("message")
    note = error or ("%s %ss" % (rebuild.get("status"), rebuild.get("durationSeconds") or "") if rebuild else "")
    print(line.format(r["name"], r["state"], r["lastProcessedSequence"], r["highWaterMark"], r["lagEvents"], r["lagSeconds"], note))
PY
)"
}

host_cli() {
  local dll=${CHARGELEDGER_HOST_DLL:-}
  if [[ -z $dll ]]; then
    dll=$(ops/build-host.sh | tail -n 1)
    export ChargeLedger__CodeGeneration=Static # build-host.sh compiles Wolverine's generated code in
  fi
  if [[ -z ${ConnectionStrings__Marten:-} ]]; then
    ConnectionStrings__Marten=$(ops/local-postgres.sh url)
    export ConnectionStrings__Marten
  fi
  Logging__LogLevel__Default=Warning dotnet "$dll" "$@"
}

case ${1:-} in
  status) status_table ;;
  rebuild)
    name=${2:?projection name}
    code=$(api -o /tmp/chargeledger-rebuild.$$ -w '%{http_code}' -X POST "$url/api/admin/projections/$name/rebuild")
    body=$(cat /tmp/chargeledger-rebuild.$$); rm -f /tmp/chargeledger-rebuild.$$
    [[ $code == 202 ]] || { echo "rebuild refused ($code): $body" >&2; exit 1; }
    echo "rebuilding $(python3 -c 'import json, sys; print(", ".join(json.loads(sys.argv[1])["rebuilds"]))' "$body") ..." >&2
    while :; do
      state=$(api -f "$url/api/admin/projections" | python3 -c '
import json, sys
name = sys.argv[1].lower()
r = next(r for r in json.load(sys.stdin) if r["name"].lower() == name)
print((r.get("lastRebuild") or {}).get("status", "Running"))' "$name")
      [[ $state == Running ]] || break
      sleep 1
    done
    status_table
    [[ $state == Completed ]]
    ;;
  list) host_cli projections list ;;
  rebuild-offline) host_cli projections rebuild -p "${2:?projection name}" ;;
  audit) if [[ -n ${2:-} ]]; then host_cli audit verify --transaction "$2"; else host_cli audit verify; fi ;;
  *) usage ;;
esac
