#!/usr/bin/env bash
# CI's end-to-end step (called by ops/test.sh): the real host, a real PostgreSQL and the ocpp-rpc strict-mode
# client for a short run. Any schema violation or error fails the build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec ops/ocpp-load.sh --cps 10 --duration 15
