#!/usr/bin/env bash
# Makes sure PostgreSQL server binaries (initdb, pg_ctl, postgres) are on this machine and prints their
# directory as the last line of stdout. Idempotent: installs Debian's `postgresql` package only when no
# binaries are found. Debian's package auto-creates and starts a "main" cluster on port 5432; the project
# never uses it (tests and ops/local-postgres.sh run their own clusters), so it is stopped and set to manual.
# Set CHARGELEDGER_KEEP_MAIN_CLUSTER=1 to leave a "main" cluster alone.
set -euo pipefail

log() { printf 'ensure-postgres: %s\n' "$*" >&2; }

has_server_binaries() {
  [[ -x "$1/initdb" && -x "$1/pg_ctl" && -x "$1/postgres" ]]
}

find_bin_dir() {
  local initdb dir
  if [[ -n "${CHARGELEDGER_PG_BINDIR:-}" ]] && has_server_binaries "$CHARGELEDGER_PG_BINDIR"; then
    printf '%s\n' "$CHARGELEDGER_PG_BINDIR"
    return 0
  fi
  if initdb=$(command -v initdb 2>/dev/null); then
    # /usr/local/bin/initdb may be a symlink into /usr/lib/postgresql/NN/bin.
    dir=$(dirname "$(readlink -f "$initdb")")
    if has_server_binaries "$dir"; then
      printf '%s\n' "$dir"
      return 0
    fi
  fi
  # Highest major version first.
  while IFS= read -r dir; do
    if has_server_binaries "$dir"; then
      printf '%s\n' "$dir"
      return 0
    fi
  done < <(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -t/ -k5,5 -V -r)
  return 1
}

source "$(dirname "${BASH_SOURCE[0]}")/lib/as-root.sh"

install_postgres() {
  log "no PostgreSQL server binaries found; installing Debian package 'postgresql'"
  export DEBIAN_FRONTEND=noninteractive
  # Bounded: a stuck mirror or dpkg lock must not eat the whole CI budget.
  as_root timeout 600 apt-get update -q >&2
  as_root env DEBIAN_FRONTEND=noninteractive timeout 900 \
    apt-get install -y -q --no-install-recommends postgresql >&2
}

stop_main_clusters() {
  [[ "${CHARGELEDGER_KEEP_MAIN_CLUSTER:-0}" == "1" ]] && return 0
  command -v pg_lsclusters >/dev/null 2>&1 || return 0
  local version cluster port status
  while read -r version cluster port status _; do
    [[ "$cluster" == "main" ]] || continue
    if [[ "$status" == online* ]]; then
      log "stopping Debian's auto-started cluster $version/main (port $port); the project does not use it"
      as_root timeout 60 pg_ctlcluster "$version" main stop --mode fast >&2 ||
        as_root timeout 30 pg_ctlcluster "$version" main stop --mode immediate >&2 ||
        log "warning: could not stop cluster $version/main"
    fi
    local start_conf="/etc/postgresql/$version/main/start.conf"
    if [[ -f "$start_conf" ]] && grep -qx 'auto' "$start_conf"; then
      # Keeps it from coming back on the next boot or `service postgresql start`.
      as_root sed -i 's/^auto$/manual/' "$start_conf" || log "warning: could not set $start_conf to manual"
    fi
  done < <(pg_lsclusters --no-header 2>/dev/null || true)
}

main() {
  local bin_dir
  if ! bin_dir=$(find_bin_dir); then
    install_postgres
    bin_dir=$(find_bin_dir) || {
      log "installed 'postgresql' but still found no initdb/pg_ctl/postgres under PATH or /usr/lib/postgresql/*/bin"
      exit 1
    }
  fi
  stop_main_clusters
  # initdb/postgres refuse to run as root; the postgres user owns the clusters then.
  if [[ $EUID -eq 0 ]] && ! id -u postgres >/dev/null 2>&1; then
    log "creating system user 'postgres'"
    useradd --system --user-group --no-create-home --home-dir /var/lib/postgresql \
      --shell /usr/sbin/nologin postgres
  fi
  log "server binaries: $bin_dir ($("$bin_dir/postgres" --version))"
  printf '%s\n' "$bin_dir"
}

main "$@"
