# Sourced by the load scripts (ops/ocpp-load.sh, ops/projection-bench.sh): a throwaway PostgreSQL cluster and a
# Release host with static code generation on free loopback ports, removed again on exit.
#
#   bench_host_start <work-dir prefix>   sets: work, pg_port, connection, http_port, mqtt_port, base, admin_key, password,
#                                        host_pid, host_dll
#   bench_host_restart                   a new host process on the same cluster (new ports: base, http_port, mqtt_port)
#   bench_host_cleanup                   stops the host (and the pids in extra_pid and extra_pids if set) and the cluster,
#                                        removes $work
# Extra host settings pass through the environment (e.g. ChargeLedger__Security__PasswordIterations, as ops/bench-suite.sh);
# BENCH_PG_OPTIONS adds PostgreSQL settings to the host's sessions (e.g. "-c synchronous_commit=off", ops/postgresql.md).
# CHARGELEDGER_HOST_DLL runs that host build instead of building one (e.g. a build of another commit, for back-to-back runs).
# The caller defines log() and runs from the repository root.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

bench_host_cleanup() {
  [[ -n ${extra_pid:-} ]] && kill "$extra_pid" 2>/dev/null || true
  for pid in ${extra_pids[@]+"${extra_pids[@]}"}; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  [[ -n ${host_pid:-} ]] && kill "$host_pid" 2>/dev/null && wait "$host_pid" 2>/dev/null || true
  [[ -n ${work:-} ]] && CHARGELEDGER_DATA=$work/pg CHARGELEDGER_PG_PORT=$pg_port ops/local-postgres.sh stop >/dev/null 2>&1 || true
  [[ -n ${work:-} ]] && rm -rf "$work"
}

bench_host_start() {
  work=$(mktemp -d "/var/tmp/$1.XXXXXX")
  chmod 755 "$work"
  host_pid=""
  pg_port=$(free_port)
  trap bench_host_cleanup EXIT

  log "PostgreSQL (throwaway cluster on port $pg_port)"
  CHARGELEDGER_PG_BINDIR=$(ops/ensure-postgres.sh | tail -n 1)
  export CHARGELEDGER_PG_BINDIR
  export CHARGELEDGER_DATA=$work/pg CHARGELEDGER_PG_PORT=$pg_port
  ops/local-postgres.sh start >&2
  connection=$(ops/local-postgres.sh url)

  log "building the host (Release, Wolverine static code generation)"
  host_dll=${CHARGELEDGER_HOST_DLL:-$(ops/build-host.sh | tail -n 1)}
  admin_key=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
  password=$(head -c 24 /dev/urandom | base64 | tr -d '/+=' | cut -c1-24)
  bench_host_launch
}

# Starts $host_dll against the cluster of bench_host_start on new free ports; sets http_port, mqtt_port, base, host_pid.
bench_host_launch() {
  http_port=$(free_port)
  mqtt_port=$(free_port) # the embedded MQTT broker; never 1883, which a running ops/run.sh may hold
  base=http://127.0.0.1:$http_port
  log "host on $base"
  ConnectionStrings__Marten="$connection${BENCH_PG_OPTIONS:+;Options='$BENCH_PG_OPTIONS'}" \
    ChargeLedger__ApiKeys__bench__Key=$admin_key ChargeLedger__ApiKeys__bench__Roles__0=admin \
    Logging__LogLevel__Default=Warning Logging__LogLevel__ChargeLedger=Warning ChargeLedger__CodeGeneration=Static \
    ChargeLedger__Mqtt__Port=$mqtt_port \
    dotnet "$host_dll" --urls "$base" >>"$work/host.log" 2>&1 &
  host_pid=$!
  for _ in $(seq 1 120); do
    curl -sf "$base/health/ready" >/dev/null 2>&1 && break
    kill -0 "$host_pid" 2>/dev/null || { cat "$work/host.log" >&2; echo "host exited" >&2; exit 1; }
    sleep 0.5
  done
  curl -sf "$base/health/ready" >/dev/null || { tail -50 "$work/host.log" >&2; echo "host not ready after 60 s" >&2; exit 1; }
}

# A fresh host process on the same database (an idle process to measure memory against, empty caches).
bench_host_restart() {
  kill "$host_pid" 2>/dev/null && wait "$host_pid" 2>/dev/null || true
  bench_host_launch
}
