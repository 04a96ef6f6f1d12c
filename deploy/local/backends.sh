#!/usr/bin/env bash
# Entry point for Wharf's local backing servers (no Docker needed):
# Kafka (KRaft), FerretDB (MongoDB wire), Versity S3 Gateway and OpenSearch, and Jaeger for traces,
# installed from package registries into $WHARF_BACKENDS_CACHE and run on
# 127.0.0.1 with logs/data/pids under $WHARF_RUN_DIR.
#
#   backends.sh up       install what is missing, start all, wait until healthy (idempotent)
#   backends.sh down     stop all (SIGTERM, SIGKILL after a grace period)
#   backends.sh status   one line per engine; exit 0 only if all are running and healthy
#   backends.sh env      print `export WHARF_...=...` lines with the endpoints
#   backends.sh install  only install (e.g. to warm a cache)
#
# WHARF_BACKENDS="kafka ferretdb s3 opensearch jaeger" selects engines (default: all).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ENGINES="${WHARF_BACKENDS:-kafka ferretdb s3 opensearch jaeger}"

# run_all ACTION: runs `<engine>.sh ACTION` for all engines in parallel, every
# output line prefixed with its engine; fails if any failed.
run_all() {
  local action="$1" engine failed=() pids=() names=() i
  for engine in $ENGINES; do
    [ -f "$LOCAL_DIR/$engine.sh" ] || die "unknown engine '$engine'"
    (
      set -o pipefail
      bash "$LOCAL_DIR/$engine.sh" "$action" 2>&1 | sed -u "s/^\[$engine\] //; s/^/[$engine] /" >&2
    ) &
    pids+=("$!"); names+=("$engine")
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed+=("${names[$i]}")
  done
  if [ "${#failed[@]}" -gt 0 ]; then
    log "$action FAILED for: ${failed[*]} (logs under $WHARF_RUN_DIR/<engine>/)"
    return 1
  fi
}

cmd_install() {
  local t0; t0="$(now_s)"
  mkdir -p "$WHARF_BACKENDS_CACHE"
  run_all install
  log "all installed in $(elapsed "$t0")s (cache: $WHARF_BACKENDS_CACHE)"
}

cmd_up() {
  local t0; t0="$(now_s)"
  mkdir -p "$WHARF_RUN_DIR"
  # Installs first (parallel downloads/builds), then parallel starts.
  cmd_install
  local t1; t1="$(now_s)"
  run_all start
  log "all started in $(elapsed "$t1")s (up total $(elapsed "$t0")s)"
  cmd_status
}

cmd_down() {
  local engine rc=0
  for engine in $ENGINES; do
    bash "$LOCAL_DIR/$engine.sh" stop || rc=1
  done
  return "$rc"
}

cmd_status() {
  local engine rc=0
  for engine in $ENGINES; do
    bash "$LOCAL_DIR/$engine.sh" status || rc=3
  done
  return "$rc"
}

# Values are shell-quoted (printf %q) only where needed.
cmd_env() {
  local kv
  for kv in \
    "WHARF_KAFKA_BROKERS=$BACKENDS_HOST:$WHARF_KAFKA_PORT" \
    "WHARF_MONGO_URL=mongodb://$BACKENDS_HOST:$WHARF_FERRETDB_PORT/" \
    "WHARF_S3_ENDPOINT=http://$BACKENDS_HOST:$WHARF_S3_PORT" \
    "WHARF_S3_REGION=$WHARF_S3_REGION" \
    "WHARF_S3_ACCESS_KEY_ID=$WHARF_S3_ACCESS_KEY_ID" \
    "WHARF_S3_SECRET_ACCESS_KEY=$WHARF_S3_SECRET_ACCESS_KEY" \
    "WHARF_OPENSEARCH_URL=http://$BACKENDS_HOST:$WHARF_OPENSEARCH_PORT" \
    "WHARF_JAEGER_OTLP_URL=http://$BACKENDS_HOST:$WHARF_JAEGER_OTLP_PORT/v1/traces" \
    "WHARF_JAEGER_URL=http://$BACKENDS_HOST:$WHARF_JAEGER_QUERY_PORT"; do
    printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
  done
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  install) cmd_install ;;
  *) echo "usage: $(basename "$0") up|down|status|env|install" >&2; exit 2 ;;
esac
