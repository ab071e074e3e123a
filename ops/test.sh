#!/usr/bin/env bash
# The test command (README): does all set-up a fresh Debian 12 + .NET SDK machine needs, builds the solution
# in Release and runs every test project. Exits non-zero on any failure.
#
# PostgreSQL for the integration tests: CHARGELEDGER_TEST_CONNECTION if set, else Docker (Testcontainers) if an
# engine answers, else a throwaway cluster from Debian's binaries that ops/ensure-postgres.sh installs.
# The test output names the backend in a line "[ChargeLedger tests] PostgreSQL backend: ...".
# Mosquitto for the MQTT tests: installed from Debian packages by ops/ensure-mosquitto.sh when missing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

step() { printf '\n==> %s\n' "$*"; }

if [[ -n "${CHARGELEDGER_TEST_CONNECTION:-}" ]]; then
  step "PostgreSQL: using CHARGELEDGER_TEST_CONNECTION"
else
  step "PostgreSQL server binaries"
  CHARGELEDGER_PG_BINDIR=$(ops/ensure-postgres.sh | tail -n 1)
  export CHARGELEDGER_PG_BINDIR
fi

step "Mosquitto (MQTT tests: external-broker mode, mosquitto_pub)"
ops/ensure-mosquitto.sh

step "dotnet restore"
timeout --kill-after=30 15m dotnet restore ChargeLedger.sln

step "dotnet build (Release)"
timeout --kill-after=30 20m dotnet build ChargeLedger.sln -c Release --no-restore

step "dotnet test (Release)"
log_file=$(mktemp)
trap 'rm -f "$log_file"' EXIT
test_status=0
# xunit.runner.json turns on diagnostic messages, which is how the backend line reaches the default console.
timeout --kill-after=60 45m dotnet test ChargeLedger.sln -c Release --no-build 2>&1 | tee "$log_file" ||
  test_status=$?

# One closing line over all test assemblies ("Passed!  - Failed: 0, Passed: 2, Skipped: 0, Total: 2, ...").
read -r passed failed skipped < <(
  sed -nE 's/^(Passed|Failed|Skipped)!.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+), Total.*/\3 \2 \4/p' \
    "$log_file" | awk '{ p += $1; f += $2; s += $3 } END { print p + 0, f + 0, s + 0 }'
)
printf '\n%s passed, %s failed, %s skipped\n' "$passed" "$failed" "$skipped"

if (( test_status != 0 )); then
  echo "dotnet test failed (exit $test_status)" >&2
  exit "$test_status"
fi
if (( failed > 0 )); then
  echo "dotnet test reported $failed failed test(s)" >&2
  exit 1
fi
if (( passed + failed == 0 )); then
  echo "no test ran" >&2
  exit 1
fi

# --- End-to-end hook ------------------------------------------------------------------------------------
# ops/e2e-smoke.sh boots the Release host against a throwaway PostgreSQL and drives it with ocpp-load (strict).
# It runs only when it exists and is executable; its failure fails this script.
if [[ -x ops/e2e-smoke.sh ]]; then
  step "end-to-end smoke (ops/e2e-smoke.sh)"
  ops/e2e-smoke.sh
fi
