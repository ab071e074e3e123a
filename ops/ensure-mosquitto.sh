#!/usr/bin/env bash
# Makes sure Eclipse Mosquitto (broker, mosquitto_passwd) and its clients (mosquitto_pub) are on this machine, for the
# MQTT tests (tests/ChargeLedger.Tests/Mqtt: MosquittoFixture, external-broker mode, mosquitto_pub against the embedded
# broker). Idempotent: installs Debian's `mosquitto` and `mosquitto-clients` only when a binary is missing. The package
# may start a system broker on 1883; the project never uses it (the fixture runs its own on a free port), so it is
# stopped and disabled when systemd/service manage it. Set CHARGELEDGER_KEEP_SYSTEM_MOSQUITTO=1 to leave it alone.
set -euo pipefail

log() { printf 'ensure-mosquitto: %s\n' "$*" >&2; }

has_tools() {
  command -v mosquitto_pub >/dev/null 2>&1 &&
    { command -v mosquitto >/dev/null 2>&1 || [[ -x /usr/sbin/mosquitto ]]; } &&
    command -v mosquitto_passwd >/dev/null 2>&1
}

source "$(dirname "${BASH_SOURCE[0]}")/lib/as-root.sh"

if ! has_tools; then
  log "installing Debian packages 'mosquitto' and 'mosquitto-clients'"
  # Bounded: a stuck mirror or dpkg lock must not eat the whole CI budget.
  as_root timeout 600 apt-get update -q >&2
  as_root env DEBIAN_FRONTEND=noninteractive timeout 900 \
    apt-get install -y -q --no-install-recommends mosquitto mosquitto-clients >&2
  has_tools || { log "installed the packages but mosquitto, mosquitto_passwd or mosquitto_pub is still missing"; exit 1; }
fi

if [[ "${CHARGELEDGER_KEEP_SYSTEM_MOSQUITTO:-0}" != "1" ]] && command -v systemctl >/dev/null 2>&1 &&
  systemctl is-active --quiet mosquitto 2>/dev/null; then
  log "stopping the system mosquitto service; the tests run their own brokers"
  as_root systemctl disable --now mosquitto >&2 || log "warning: could not stop the system mosquitto service"
fi

log "$(mosquitto_pub --help 2>&1 | head -n 1)"
