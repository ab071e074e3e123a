#!/usr/bin/env bash
# A persistent local PostgreSQL cluster for running ChargeLedger on this machine (not used by the tests,
# which start their own throwaway cluster).
#
#   ops/local-postgres.sh start|stop|status|url
#
#   CHARGELEDGER_DATA     data folder (default: <repo>/.data/postgres; see below when run as root)
#   CHARGELEDGER_PG_PORT  TCP port (default 55432); listens on 127.0.0.1 only
#
# Security: the server listens on loopback only. TCP logins need a password (scram-sha-256) that is made
# at first start and kept in <data folder>/password (mode 600); `url` prints it. Unix-socket logins are
# trusted, but the socket lives in <data folder>/run (mode 700), so only its owner can reach it.
# As root the cluster runs as the `postgres` OS user (initdb and postgres refuse root). When the repo is
# somewhere that user cannot enter (e.g. under /root) and CHARGELEDGER_DATA is not set, the data lives in
# /var/tmp/chargeledger-<hash of repo path>/postgres instead; every command prints where.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PORT=${CHARGELEDGER_PG_PORT:-55432}
DATABASE=chargeledger
SERVICE_USER=postgres

log() { printf 'local-postgres: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  echo "usage: $0 start|stop|status|url" >&2
  exit 2
}

if [[ $EUID -eq 0 ]]; then
  RUN_AS=(runuser -u "$SERVICE_USER" --)
  OWNER=$SERVICE_USER
else
  RUN_AS=()
  OWNER=$(id -un)
fi

service_user_can_enter() {
  [[ $EUID -ne 0 ]] && return 0
  id -u "$SERVICE_USER" >/dev/null 2>&1 || return 0 # ensure-postgres.sh creates the user; judge after that
  "${RUN_AS[@]}" test -x "$1" 2>/dev/null
}

resolve_data_dir() {
  if [[ -n "${CHARGELEDGER_DATA:-}" ]]; then
    mkdir -p "$CHARGELEDGER_DATA"
    DATA=$(cd "$CHARGELEDGER_DATA" && pwd)
    service_user_can_enter "$(dirname "$DATA")" ||
      die "the '$SERVICE_USER' user cannot enter $(dirname "$DATA"); pick a CHARGELEDGER_DATA it can reach (e.g. under /var/tmp)"
    return
  fi
  DATA=$REPO_ROOT/.data/postgres
  if ! service_user_can_enter "$REPO_ROOT"; then
    local hash
    hash=$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-12)
    DATA=/var/tmp/chargeledger-$hash/postgres
  fi
}

resolve_data_dir
PGDATA_DIR=$DATA/pgdata
SOCKET_DIR=$DATA/run
LOG_FILE=$DATA/postgres.log
PASSWORD_FILE=$DATA/password
PORT_FILE=$DATA/port

# `url`, `status` and `stop` use the port of the last start unless CHARGELEDGER_PG_PORT says otherwise.
if [[ -z "${CHARGELEDGER_PG_PORT:-}" && -f "$PORT_FILE" ]]; then
  PORT=$(<"$PORT_FILE")
fi
[[ "$PORT" =~ ^[0-9]+$ ]] || die "port '$PORT' is not a number"

BIN_DIR=
# Sets BIN_DIR; installs PostgreSQL on a fresh machine (ops/ensure-postgres.sh).
ensure_bin_dir() {
  [[ -n "$BIN_DIR" ]] || BIN_DIR=$("$REPO_ROOT/ops/ensure-postgres.sh" | tail -n 1)
  [[ -x "$BIN_DIR/pg_ctl" ]] || die "ops/ensure-postgres.sh found no pg_ctl"
}

# pg SECONDS BINARY ARGS...: runs a server binary as the cluster owner, from a folder that user can enter,
# killed after SECONDS.
pg() {
  local seconds=$1 binary=$2
  shift 2
  ensure_bin_dir
  (cd "$DATA" && timeout --kill-after=10 "$seconds" "${RUN_AS[@]}" "$BIN_DIR/$binary" "$@")
}

is_initialised() { [[ -f "$PGDATA_DIR/PG_VERSION" ]]; }

is_running() {
  is_initialised && pg 15 pg_ctl status -D "$PGDATA_DIR" >/dev/null 2>&1
}

password() { cat "$PASSWORD_FILE"; }

url() {
  printf 'Host=127.0.0.1;Port=%s;Database=%s;Username=postgres;Password=%s\n' "$PORT" "$DATABASE" "$(password)"
}

port_in_use() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

initialise() {
  log "creating a cluster in $PGDATA_DIR"
  mkdir -p "$DATA"
  chmod 700 "$DATA"
  if [[ ! -s "$PASSWORD_FILE" ]]; then
    (umask 077 && od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$PASSWORD_FILE")
  fi
  chown -R "$OWNER:" "$DATA"
  local locale
  for locale in C.UTF-8 C; do
    if pg 120 initdb -D "$PGDATA_DIR" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        --pwfile="$PASSWORD_FILE" -E UTF8 --locale="$locale" >"$DATA/initdb.log" 2>&1; then
      return 0
    fi
    log "initdb with locale $locale failed; see $DATA/initdb.log"
    rm -rf "$PGDATA_DIR"
  done
  cat "$DATA/initdb.log" >&2
  die "initdb failed"
}

start() {
  ensure_bin_dir
  if is_running; then
    log "already running (data: $DATA, port: $PORT)"
    return 0
  fi
  is_initialised || initialise
  mkdir -p "$SOCKET_DIR"
  chmod 700 "$SOCKET_DIR"
  chown "$OWNER:" "$SOCKET_DIR"
  port_in_use "$PORT" && die "127.0.0.1:$PORT is already in use; set CHARGELEDGER_PG_PORT to another port"

  local socket_option="-k '$SOCKET_DIR'"
  # Unix socket paths are limited to 107 bytes; a deep data folder gets TCP only.
  if (( ${#SOCKET_DIR} + 20 > 107 )); then
    socket_option="-c unix_socket_directories=''"
  fi
  if ! pg 90 pg_ctl start -D "$PGDATA_DIR" -l "$LOG_FILE" -w -t 60 \
      -o "-p $PORT $socket_option -c listen_addresses=127.0.0.1 ${CHARGELEDGER_PG_SERVER_OPTIONS:-}" >&2; then
    log "start failed; last lines of $LOG_FILE:"
    tail -n 30 "$LOG_FILE" >&2 || true
    exit 1
  fi
  printf '%s\n' "$PORT" >"$PORT_FILE"

  export PGPASSWORD PGCONNECT_TIMEOUT=10
  PGPASSWORD=$(password)
  local psql=(timeout 30 "$BIN_DIR/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA)
  if [[ "$("${psql[@]}" -c "select 1 from pg_database where datname = '$DATABASE'")" != "1" ]]; then
    log "creating database $DATABASE"
    "${psql[@]}" -c "create database $DATABASE" >/dev/null
  fi
  log "running: data $DATA, port $PORT, database $DATABASE"
}

stop() {
  is_initialised && ensure_bin_dir
  if ! is_running; then
    log "not running (data: $DATA)"
    return 0
  fi
  if ! pg 90 pg_ctl stop -D "$PGDATA_DIR" -m fast -w -t 60 >&2; then
    log "fast shutdown did not finish; stopping immediately"
    pg 60 pg_ctl stop -D "$PGDATA_DIR" -m immediate -w -t 30 >&2
  fi
  log "stopped (data kept in $DATA)"
}

status() {
  is_initialised && ensure_bin_dir
  if is_running; then
    log "running: data $DATA, port $PORT"
    return 0
  fi
  if is_initialised; then
    log "stopped: data $DATA"
  else
    log "not created yet: data would live in $DATA"
  fi
  return 3
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  url)
    [[ -s "$PASSWORD_FILE" ]] || die "no cluster in $DATA yet; run '$0 start' first"
    url
    ;;
  *) usage ;;
esac
