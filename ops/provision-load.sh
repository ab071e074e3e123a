#!/usr/bin/env bash
# Registers what the ocpp-load client expects on a running host: station ST-LOAD, charge points
# <prefix>0001..<prefix>N sharing one password, and the idTag TAG-0001. Idempotent (200/409 are fine).
#
#   ops/provision-load.sh <base http url> <admin api key> <count> <password> [prefix]
set -euo pipefail

base=${1:?base url}; key=${2:?api key}; count=${3:?count}; password=${4:?password}; prefix=${5:-LOAD-}

post() {
  local path=$1 body=$2 code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' -d "$body" "$base$path")
  case $code in
    200 | 201 | 409) ;;
    *) echo "provision-load: POST $path answered $code" >&2; return 1 ;;
  esac
}
export -f post
export base key

post /api/stations '{"id":"ST-LOAD","name":"Load test depot","timeZone":"Europe/Berlin"}'
post /api/idtags '{"idTag":"TAG-0001","expiresAt":null,"parentIdTag":null}'
# Each registration hashes a password (PBKDF2, deliberately slow), so register in parallel.
seq 1 "$count" | xargs -P 4 -I{} bash -c \
  'post /api/chargepoints "$(printf "{\"id\":\"%s%04d\",\"stationId\":\"ST-LOAD\",\"password\":\"%s\"}" "$0" "{}" "$1")"' \
  "$prefix" "$password"
echo "provision-load: station ST-LOAD, idTag TAG-0001, $count charge points ${prefix}0001.. registered" >&2
