#!/usr/bin/env bash
# The distributed profile on this machine: the local backing servers (backends.sh) plus
# Wharf's five services, each its own process on 127.0.0.1, logs and pids under
# $WHARF_RUN_DIR/stack/. `npm run stack` / `npm run stack:down`.
#
#   stack.sh up [--replicas N]  build, start backends and services, wait for /healthz; prints
#                               the gateway URL (and WHARF_URL_2... of the other gateways)
#   stack.sh down    stop the services, every replica (not the backends: `npm run backends:down`)
#   stack.sh status  one line per instance
#   stack.sh env     export lines for the gateway URLs (WHARF_URL, WHARF_URL_2, ...)
#
# Replicas (`--replicas N` or WHARF_STACK_REPLICAS=N, default 1): N instances of each service.
# Instance r (from 1) of a service listens on its port + 10*(r-1) (gateways 5100, 5110, ...),
# logs to <service>-r.log (the first keeps <service>.log) and has a data directory of its own;
# every gateway is given every instance of the other services (WHARF_*_URL lists). The number of
# replicas of the last `up` is kept in $STACK_DIR/replicas for `env`, `status` and `down`.
#
# Webhooks: the gateways and the webhook service share the key that seals webhook secrets
# (WHARF_WEBHOOK_SECRET_KEY, else one made once in $STACK_DIR/webhook-secret.key); the webhook
# service names the first gateway in its CloudEvents (WHARF_PUBLIC_URL unless set) and each of its
# replicas sends its own share of the lanes (WHARF_WEBHOOK_SHARD=r-1/N).
#
# Registry tokens (/v2/token): the gateways, and no other service, share the key signing them
# (WHARF_REGISTRY_TOKEN_KEY, else one made once in $STACK_DIR/registry-token.key); a gateway
# with WHARF_AUTH_MODE=enforced refuses to start without it.
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
WEBHOOKS_PORT="${WHARF_STACK_WEBHOOKS_PORT:-5104}"
SERVICES="metadata search blob webhooks gateway"
# A development stack: open mode (no accounts, anyone may push, as the reference server) unless
# WHARF_AUTH_MODE=enforced is set; a hosted deployment sets enforced (the services' default).
AUTH_MODE="${WHARF_AUTH_MODE:-open}"

REPLICAS="${WHARF_STACK_REPLICAS:-}"
if [ "${1:-}" = up ] && [ "${2:-}" = --replicas ]; then REPLICAS="${3:-}"; fi
# `up` starts 1 unless told; the other commands act on what the last `up` started.
if [ -z "$REPLICAS" ]; then
  if [ "${1:-}" = up ]; then REPLICAS=1; else REPLICAS="$(cat "$STACK_DIR/replicas" 2>/dev/null || echo 1)"; fi
fi
case "$REPLICAS" in [1-9]) ;; *) echo "replicas must be 1..9, not '$REPLICAS'" >&2; exit 2 ;; esac

# An instance is a service name, "-r" appended for replica r > 1 (metadata-2).
svc_of() { printf '%s' "${1%-[0-9]}"; }
replica_of() { case "$1" in *-[0-9]) printf '%s' "${1##*-}" ;; *) printf 1 ;; esac; }
instances_of() { local r; printf '%s' "$1"; for r in $(seq 2 "$REPLICAS"); do printf ' %s-%s' "$1" "$r"; done; }
base_port_of() { case "$1" in gateway) echo "$GATEWAY_PORT" ;; metadata) echo "$METADATA_PORT" ;; search) echo "$SEARCH_PORT" ;; blob) echo "$BLOB_PORT" ;; webhooks) echo "$WEBHOOKS_PORT" ;; esac; }
port_of() { echo $(( $(base_port_of "$(svc_of "$1")") + 10 * ($(replica_of "$1") - 1) )); }
urls_of() { local i out=""; for i in $(instances_of "$1"); do out="$out${out:+,}http://127.0.0.1:$(port_of "$i")"; done; printf '%s' "$out"; }
svc_pid_file() { printf '%s/%s.pid' "$STACK_DIR" "$1"; }
svc_log_file() { printf '%s/%s.log' "$STACK_DIR" "$1"; }

# The recorded pid, if alive and running this checkout's compiled service.
svc_pid() {
  local pf pid
  pf="$(svc_pid_file "$1")"
  [ -f "$pf" ] || return 1
  pid="$(cat "$pf")"
  kill -0 "$pid" 2>/dev/null || return 1
  grep -qaF "$ROOT/dist/services/$(svc_of "$1")/" "/proc/$pid/cmdline" 2>/dev/null || return 1
  printf '%s' "$pid"
}

healthy() { curl -sf -o /dev/null "http://127.0.0.1:$(port_of "$1")/healthz"; }

start_service() {
  local svc="$1" pid
  if pid="$(svc_pid "$svc")" && healthy "$svc"; then log "$svc already running (pid $pid)"; return 0; fi
  port_open "$(port_of "$svc")" && die "port $(port_of "$svc") is taken by another process"
  mkdir -p "$STACK_DIR"
  # A pid file left by an instance that was killed would pass for the new one's below.
  rm -f "$(svc_pid_file "$svc")"
  [ -f "$(svc_log_file "$svc")" ] && mv -f "$(svc_log_file "$svc")" "$(svc_log_file "$svc").1"
  local extra=()
  if [ "$(svc_of "$svc")" = gateway ]; then
    extra=(WHARF_REGISTRY_TOKEN_KEY="$(registry_key)")
  elif [ "$(svc_of "$svc")" = webhooks ]; then
    extra=(WHARF_PUBLIC_URL="${WHARF_PUBLIC_URL:-http://127.0.0.1:$GATEWAY_PORT}" WHARF_WEBHOOK_SHARD="$(( $(replica_of "$svc") - 1 ))/$REPLICAS")
  fi
  # shellcheck disable=SC2016
  env -u WHARF_REGISTRY_TOKEN_KEY "${extra[@]}" WHARF_WEBHOOK_SECRET_KEY="$(webhook_key)" WHARF_PROFILE=distributed WHARF_AUTH_MODE="$AUTH_MODE" WHARF_PORT="$(port_of "$svc")" WHARF_HOST=127.0.0.1 WHARF_DATA_DIR="$STACK_DIR/$svc-data" \
    WHARF_SEARCH_URL="$(urls_of search)" \
    setsid bash -c 'echo $$ > "$0"; exec "$@"' "$(svc_pid_file "$svc")" \
    node -r "$ROOT/scripts/dist-paths.js" "$ROOT/dist/services/$(svc_of "$svc")/src/main.js" </dev/null >"$(svc_log_file "$svc")" 2>&1 &
  for _ in $(seq 1 50); do [ -s "$(svc_pid_file "$svc")" ] && break; sleep 0.1; done
  local t0; t0="$(date +%s)"
  until healthy "$svc"; do
    if ! svc_pid "$svc" >/dev/null; then log "$svc exited during startup"; tail -n 40 "$(svc_log_file "$svc")" >&2; exit 1; fi
    if [ $(( $(date +%s) - t0 )) -ge 120 ]; then log "$svc not healthy after 120s"; tail -n 40 "$(svc_log_file "$svc")" >&2; exit 1; fi
    sleep 0.3
  done
  log "$svc healthy on 127.0.0.1:$(port_of "$svc") after $(( $(date +%s) - t0 ))s (pid $(svc_pid "$svc"))"
}

# The key sealing webhook secrets: the operator's, or one made for this stack and kept.
webhook_key() {
  if [ -n "${WHARF_WEBHOOK_SECRET_KEY:-}" ]; then printf '%s' "$WHARF_WEBHOOK_SECRET_KEY"; return; fi
  local f="$STACK_DIR/webhook-secret.key"
  [ -s "$f" ] || (umask 077 && head -c 32 /dev/urandom | base64 > "$f")
  cat "$f"
}

# The key signing registry tokens, the gateways' alone: the operator's, or one made for this stack and kept.
registry_key() {
  if [ -n "${WHARF_REGISTRY_TOKEN_KEY:-}" ]; then printf '%s' "$WHARF_REGISTRY_TOKEN_KEY"; return; fi
  local f="$STACK_DIR/registry-token.key"
  [ -s "$f" ] || (umask 077 && head -c 32 /dev/urandom | base64 > "$f")
  cat "$f"
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
    mkdir -p "$STACK_DIR" && echo "$REPLICAS" > "$STACK_DIR/replicas"
    for svc in $SERVICES; do for instance in $(instances_of "$svc"); do start_service "$instance"; done; done
    echo "WHARF_URL=http://127.0.0.1:$GATEWAY_PORT"
    for r in $(seq 2 "$REPLICAS"); do echo "WHARF_URL_$r=http://127.0.0.1:$(port_of "gateway-$r")"; done
    ;;
  down)
    # Every replica a pid file names, whatever the number of replicas now.
    for svc in gateway webhooks blob search metadata; do
      for pf in "$STACK_DIR/$svc".pid "$STACK_DIR/$svc"-[0-9].pid; do [ -f "$pf" ] && stop_service "$(basename "$pf" .pid)"; done
    done
    ;;
  status)
    for svc in $SERVICES; do
      for instance in $(instances_of "$svc"); do
        if pid="$(svc_pid "$instance")"; then printf '%-11s running pid=%-7s port=%s rss=%sMB\n' "$instance" "$pid" "$(port_of "$instance")" "$(rss_mb "$pid")"; else printf '%-11s stopped\n' "$instance"; fi
      done
    done
    ;;
  env)
    echo "export WHARF_URL=http://127.0.0.1:$GATEWAY_PORT"
    for r in $(seq 2 "$REPLICAS"); do echo "export WHARF_URL_$r=http://127.0.0.1:$(port_of "gateway-$r")"; done
    echo "export WHARF_SEARCH_URL=$(urls_of search)"
    ;;
  *) echo "usage: $0 up [--replicas N]|down|status|env" >&2; exit 2 ;;
esac
