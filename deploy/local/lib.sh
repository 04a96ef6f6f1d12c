#!/usr/bin/env bash
# Shared helpers for deploy/local/*.sh (sourced, not executed): pinned versions,
# cache/run directories, ports, and daemon start/stop/health-wait by pid file.
# Every server binds to 127.0.0.1 only.

LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
. "$LOCAL_DIR/versions.env"

WHARF_BACKENDS_CACHE="${WHARF_BACKENDS_CACHE:-$HOME/.cache/wharf-backends}"
WHARF_RUN_DIR="${WHARF_RUN_DIR:-$HOME/.cache/wharf-run}"
BACKENDS_HOST=127.0.0.1

# Fixed, non-default ports (override with the environment).
WHARF_KAFKA_PORT="${WHARF_KAFKA_PORT:-19092}"
WHARF_KAFKA_CONTROLLER_PORT="${WHARF_KAFKA_CONTROLLER_PORT:-19093}"
WHARF_FERRETDB_PORT="${WHARF_FERRETDB_PORT:-27018}"
WHARF_S3_PORT="${WHARF_S3_PORT:-7070}"
WHARF_OPENSEARCH_PORT="${WHARF_OPENSEARCH_PORT:-19200}"
WHARF_OPENSEARCH_TRANSPORT_PORT="${WHARF_OPENSEARCH_TRANSPORT_PORT:-19300}"
WHARF_JAEGER_OTLP_PORT="${WHARF_JAEGER_OTLP_PORT:-14318}"
WHARF_JAEGER_QUERY_PORT="${WHARF_JAEGER_QUERY_PORT:-16687}"
WHARF_JAEGER_QUERY_GRPC_PORT="${WHARF_JAEGER_QUERY_GRPC_PORT:-16688}"

# Static credentials of the local S3 server (test-only).
WHARF_S3_REGION="${WHARF_S3_REGION:-us-east-1}"
WHARF_S3_ACCESS_KEY_ID="${WHARF_S3_ACCESS_KEY_ID:-wharf-local}"
WHARF_S3_SECRET_ACCESS_KEY="${WHARF_S3_SECRET_ACCESS_KEY:-wharf-local-secret}"

# Java 17 for Kafka and OpenSearch 2.19.
if [ -z "${WHARF_JAVA_HOME:-}" ]; then
  if [ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ]; then
    WHARF_JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
  else
    WHARF_JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
  fi
fi

# Go builds keep their module and build caches inside the backends cache.
export GOMODCACHE="${GOMODCACHE:-$WHARF_BACKENDS_CACHE/go/mod}"
export GOCACHE="${GOCACHE:-$WHARF_BACKENDS_CACHE/go/build}"
export GOFLAGS="-buildvcs=false -modcacherw"
export CGO_ENABLED=0

log() { printf '[%s] %s\n' "${ENGINE:-backends}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

now_s() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }'; }

engine_dir() { printf '%s/%s' "$WHARF_RUN_DIR" "$1"; }
pid_file() { printf '%s/%s.pid' "$(engine_dir "$1")" "$1"; }
log_file() { printf '%s/%s.log' "$(engine_dir "$1")" "$1"; }

# Prints the recorded pid of ENGINE if that process is alive and is one of
# ours (every server runs from the cache, so its command line names it; this
# guards against a stale pid file whose pid was reused).
running_pid() {
  local pf pid
  pf="$(pid_file "$1")"
  [ -f "$pf" ] || return 1
  pid="$(cat "$pf" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  grep -qaF "$WHARF_BACKENDS_CACHE" "/proc/$pid/cmdline" 2>/dev/null || return 1
  printf '%s' "$pid"
}

# True if something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/$BACKENDS_HOST/$1") 2>/dev/null; }

rss_mb() { awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo '?'; }

# Prints the last lines of ENGINE's log (stderr) for diagnosis.
log_tail() {
  local lf n="${2:-60}"
  lf="$(log_file "$1")"
  if [ -f "$lf" ]; then
    # The first error lines often name the cause that a long stack trace pushes out of the tail.
    if grep -qE 'Exception|Error|ERROR|FATAL|panic' "$lf"; then
      printf '\n----- first error lines of %s -----\n' "$lf" >&2
      grep -nE 'Exception|Error|ERROR|FATAL|panic' "$lf" | grep -v '^[0-9]*:[[:space:]]*at ' | head -n 8 >&2 || true
    fi
    printf '\n----- last %s lines of %s -----\n' "$n" "$lf" >&2
    tail -n "$n" "$lf" >&2
    printf -- '----- end of %s -----\n\n' "$lf" >&2
  else
    log "no log file at $lf"
  fi
}

# start_daemon ENGINE CMD [ARGS...]: runs CMD detached (own session, stdio to
# the log file, stdin from /dev/null) and records its pid. CMD is exec'd, so
# the pid is the server's own.
start_daemon() {
  local engine="$1"; shift
  local dir lf pf
  dir="$(engine_dir "$engine")"; lf="$(log_file "$engine")"; pf="$(pid_file "$engine")"
  mkdir -p "$dir"
  [ -f "$lf" ] && mv -f "$lf" "$lf.1"
  rm -f "$pf"
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$pf" "$@" </dev/null >"$lf" 2>&1 &
  for _ in $(seq 1 50); do [ -s "$pf" ] && break; sleep 0.1; done
  [ -s "$pf" ] || die "could not start $engine (no pid file)"
}

# wait_healthy ENGINE TIMEOUT_S CHECK_FN: polls CHECK_FN until it succeeds;
# fails (log tail, exit 1) on timeout or if the process dies.
wait_healthy() {
  local engine="$1" timeout="$2" check="$3" start pid
  start="$(date +%s)"
  while :; do
    if ! pid="$(running_pid "$engine")"; then
      log "$engine exited during startup"
      log_tail "$engine"
      exit 1
    fi
    if "$check"; then return 0; fi
    if [ $(( $(date +%s) - start )) -ge "$timeout" ]; then
      log "$engine not healthy after ${timeout}s (pid $pid)"
      log_tail "$engine"
      exit 1
    fi
    sleep 0.5
  done
}

# stop_daemon ENGINE [GRACE_S]: SIGTERM to the recorded pid, SIGKILL after the grace period.
stop_daemon() {
  local engine="$1" grace="${2:-20}" pid
  if ! pid="$(running_pid "$engine")"; then
    rm -f "$(pid_file "$engine")"
    log "$engine not running"
    return 0
  fi
  log "stopping $engine (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $(( grace * 10 ))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$engine did not stop within ${grace}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$(pid_file "$engine")"
  log "$engine stopped"
}

# start_engine ENGINE PORT CHECK_FN TIMEOUT_S LAUNCH_FN: idempotent start.
# Already running and healthy -> ok; running but not healthy yet -> wait;
# port taken by a foreign process -> fail; else LAUNCH_FN, then wait for health.
start_engine() {
  local engine="$1" port="$2" check="$3" timeout="$4" launch="$5" pid t0
  t0="$(now_s)"
  if pid="$(running_pid "$engine")"; then
    local recorded
    recorded="$(cat "$(engine_dir "$engine")/$engine.port" 2>/dev/null || echo "$port")"
    if [ "$recorded" != "$port" ]; then
      die "$engine is already running (pid $pid) on port $recorded, not $port; stop it first"
    fi
    if "$check"; then
      log "$engine already running (pid $pid, $BACKENDS_HOST:$port)"
      return 0
    fi
    log "$engine (pid $pid) is up but not healthy yet; waiting"
  else
    if port_open "$port"; then
      die "port $BACKENDS_HOST:$port is in use by a process these scripts did not start; stop it or override the port"
    fi
    "$launch"
    echo "$port" >"$(engine_dir "$engine")/$engine.port"
    pid="$(running_pid "$engine" || true)"
    log "$engine launched (pid $pid), waiting up to ${timeout}s for health"
  fi
  wait_healthy "$engine" "$timeout" "$check"
  pid="$(running_pid "$engine")"
  log "$engine healthy on $BACKENDS_HOST:$port after $(elapsed "$t0")s (pid $pid, rss $(rss_mb "$pid")MB)"
}

# status ENGINE PORT CHECK_FN: prints one line; exit 0 if running and healthy.
print_status() {
  local engine="$1" port="$2" check="$3" pid
  if pid="$(running_pid "$engine")"; then
    if "$check"; then
      printf '%-10s running  pid=%-7s port=%-6s rss=%sMB\n' "$engine" "$pid" "$port" "$(rss_mb "$pid")"
      return 0
    fi
    printf '%-10s starting pid=%-7s port=%-6s (not healthy yet)\n' "$engine" "$pid" "$port"
    return 1
  fi
  printf '%-10s stopped\n' "$engine"
  return 1
}

# Maven, quiet, with its repository inside the backends cache. Runs under a
# lock: installs run in parallel and Maven 3.8's local repository is not safe
# for concurrent writers. Debian's mvn prints bare ANSI resets even in batch
# mode; they are filtered out.
mvn_local() {
  mkdir -p "$WHARF_BACKENDS_CACHE"
  JAVA_HOME="$WHARF_JAVA_HOME" flock "$WHARF_BACKENDS_CACHE/.maven.lock" mvn -B -q -ntp -Dstyle.color=never \
    -Dmaven.repo.local="$WHARF_BACKENDS_CACHE/m2" "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2
}

usage_engine() {
  echo "usage: $(basename "$0") install|path|start|stop|status" >&2
  exit 2
}
