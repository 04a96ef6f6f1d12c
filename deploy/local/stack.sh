#!/usr/bin/env bash
# The distributed profile on this machine: the local backing servers (backends.sh) plus
# Wharf's four services, each its own process on 127.0.0.1, logs and pids under
# $WHARF_RUN_DIR/stack/. `npm run stack` / `npm run stack:down`.
#
#   stack.sh up      build, start backends and services, wait for /healthz; prints the gateway URL
#   stack.sh down    stop the services (not the backends: `npm run backends:down`)
#   stack.sh status  one line per service
#   stack.sh env     export lines for the gateway URL (WHARF_URL)
set -euo pipefail
ENGINE=stack
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
ROOT="$(cd "$LOCAL_DIR/../.." && pwd)"
# The project's Node.js (node_modules/.bin/node, package.json engines), also when this script is
# run directly rather than through npm.
export PATH="$ROOT/node_modules/.bin:$PATH"
STACK_DIR="${WHARF_STACK_DIR:-$WHARF_RUN_DIR/stack}"

GATEWAY_PORT="${WHARF_STACK_GATEWAY_PORT:-5100}"
METADATA_PORT="${WHARF_STACK_METADATA_PORT:-5101}"
SEARCH_PORT="${WHARF_STACK_SEARCH_PORT:-5102}"
BLOB_PORT="${WHARF_STACK_BLOB_PORT:-5103}"
SERVICES="metadata search blob gateway"
# A development stack: open mode (no accounts, anyone may push, as the reference server) unless
# WHARF_AUTH_MODE=enforced is set; a hosted deployment sets enforced (the services' default).
AUTH_MODE="${WHARF_AUTH_MODE:-open}"

port_of() { case "$1" in gateway) echo "$GATEWAY_PORT" ;; metadata) echo "$METADATA_PORT" ;; search) echo "$SEARCH_PORT" ;; blob) echo "$BLOB_PORT" ;; esac; }
svc_pid_file() { printf '%s/%s.pid' "$STACK_DIR" "$1"; }
svc_log_file() { printf '%s/%s.log' "$STACK_DIR" "$1"; }

# The recorded pid, if alive and running this checkout's compiled service.
svc_pid() {
  local pf pid
  pf="$(svc_pid_file "$1")"
  [ -f "$pf" ] || return 1
  pid="$(cat "$pf")"
  kill -0 "$pid" 2>/dev/null || return 1
  grep -qaF "$ROOT/dist/services/$1/" "/proc/$pid/cmdline" 2>/dev/null || return 1
  printf '%s' "$pid"
}

healthy() { curl -sf -o /dev/null "http://127.0.0.1:$(port_of "$1")/healthz"; }

start_service() {
  local svc="$1" pid
  if pid="$(svc_pid "$svc")" && healthy "$svc"; then log "$svc already running (pid $pid)"; return 0; fi
  port_open "$(port_of "$svc")" && die "port $(port_of "$svc") is taken by another process"
  mkdir -p "$STACK_DIR"
  [ -f "$(svc_log_file "$svc")" ] && mv -f "$(svc_log_file "$svc")" "$(svc_log_file "$svc").1"
  # shellcheck disable=SC2016
  env WHARF_PROFILE=distributed WHARF_AUTH_MODE="$AUTH_MODE" WHARF_PORT="$(port_of "$svc")" WHARF_HOST=127.0.0.1 WHARF_DATA_DIR="$STACK_DIR/$svc-data" \
    WHARF_METADATA_URL="http://127.0.0.1:$METADATA_PORT" WHARF_SEARCH_URL="http://127.0.0.1:$SEARCH_PORT" WHARF_BLOB_URL="http://127.0.0.1:$BLOB_PORT" \
    setsid bash -c 'echo $$ > "$0"; exec "$@"' "$(svc_pid_file "$svc")" \
    node -r "$ROOT/scripts/dist-paths.js" "$ROOT/dist/services/$svc/src/main.js" </dev/null >"$(svc_log_file "$svc")" 2>&1 &
  for _ in $(seq 1 50); do [ -s "$(svc_pid_file "$svc")" ] && break; sleep 0.1; done
  local t0; t0="$(date +%s)"
  until healthy "$svc"; do
    if ! svc_pid "$svc" >/dev/null; then log "$svc exited during startup"; tail -n 40 "$(svc_log_file "$svc")" >&2; exit 1; fi
    if [ $(( $(date +%s) - t0 )) -ge 120 ]; then log "$svc not healthy after 120s"; tail -n 40 "$(svc_log_file "$svc")" >&2; exit 1; fi
    sleep 0.3
  done
  log "$svc healthy on 127.0.0.1:$(port_of "$svc") after $(( $(date +%s) - t0 ))s (pid $(svc_pid "$svc"))"
}

stop_service() {
  local svc="$1" pid
  pid="$(svc_pid "$svc")" || { rm -f "$(svc_pid_file "$svc")"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$(svc_pid_file "$svc")"
  log "$svc stopped"
}

case "${1:-}" in
  up)
    bash "$LOCAL_DIR/backends.sh" up
    eval "$(bash "$LOCAL_DIR/backends.sh" env)"
    export WHARF_KAFKA_BROKERS WHARF_MONGO_URL WHARF_S3_ENDPOINT WHARF_S3_REGION WHARF_S3_ACCESS_KEY_ID WHARF_S3_SECRET_ACCESS_KEY WHARF_OPENSEARCH_URL
    (cd "$ROOT" && npx tsc -p tsconfig.build.json)
    for svc in $SERVICES; do start_service "$svc"; done
    echo "WHARF_URL=http://127.0.0.1:$GATEWAY_PORT"
    ;;
  down) for svc in gateway blob search metadata; do stop_service "$svc"; done ;;
  status)
    for svc in $SERVICES; do
      if pid="$(svc_pid "$svc")"; then printf '%-9s running pid=%-7s port=%s rss=%sMB\n' "$svc" "$pid" "$(port_of "$svc")" "$(rss_mb "$pid")"; else printf '%-9s stopped\n' "$svc"; fi
    done
    ;;
  env)
    echo "export WHARF_URL=http://127.0.0.1:$GATEWAY_PORT"
    echo "export WHARF_METADATA_URL=http://127.0.0.1:$METADATA_PORT WHARF_SEARCH_URL=http://127.0.0.1:$SEARCH_PORT WHARF_BLOB_URL=http://127.0.0.1:$BLOB_PORT"
    ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
