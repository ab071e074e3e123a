# Sourced by the install scripts (ops/ensure-postgres.sh, ops/ensure-mosquitto.sh): run a command as root, directly
# when we are root, else through non-interactive sudo. The caller defines log().
as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    log "need root to run: $*  (no sudo available)"
    return 1
  fi
}
