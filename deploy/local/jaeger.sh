#!/usr/bin/env bash
# Local trace store for Wharf: Jaeger v2 (an OpenTelemetry Collector distribution) with its
# in-memory storage, receiving OTLP over HTTP and answering Jaeger's query API.
# install: the module github.com/jaegertracing/jaeger@$JAEGER_VERSION from the Go module proxy,
#          built with `go build ./cmd/jaeger` in a copy of it (its go.mod has a replace directive,
#          so `go install pkg@version` refuses it) into $WHARF_BACKENDS_CACHE/bin/jaeger-<version>.
# start:   OTLP/HTTP on http://127.0.0.1:$WHARF_JAEGER_OTLP_PORT/v1/traces (WHARF_OTLP_TRACES_URL
#          of the services that should trace), /api/traces on
#          http://127.0.0.1:$WHARF_JAEGER_QUERY_PORT (the module carries no UI assets: the API only);
#          healthy when the query API answers.
#          Traces live in memory (the last 10,000): a restart forgets them.
# stop / status: by the pid recorded in $WHARF_RUN_DIR/jaeger/jaeger.pid.
set -euo pipefail
ENGINE=jaeger
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

JAEGER_BIN="$WHARF_BACKENDS_CACHE/bin/jaeger-$JAEGER_VERSION"
JAEGER_TIMEOUT="${WHARF_JAEGER_TIMEOUT:-60}"

cmd_install() {
  if [ -x "$JAEGER_BIN" ]; then
    log "jaeger $JAEGER_VERSION already built ($JAEGER_BIN)"
    return 0
  fi
  command -v go >/dev/null || die "Go toolchain not found (needed to build jaeger)"
  local t0 src module; t0="$(now_s)"
  log "building jaeger $JAEGER_VERSION -> $JAEGER_BIN; this takes several minutes on a cold cache"
  module="$(GOTOOLCHAIN=local go mod download -json "github.com/jaegertracing/jaeger@$JAEGER_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$module" ] || die "could not download github.com/jaegertracing/jaeger@$JAEGER_VERSION"
  src="$(mktemp -d "$WHARF_BACKENDS_CACHE/.jaeger-src.XXXXXX")"
  cp -r "$module/." "$src" && chmod -R u+w "$src"
  mkdir -p "$(dirname "$JAEGER_BIN")"
  (cd "$src" && GOTOOLCHAIN=local go build -trimpath -ldflags='-s -w' -o "$JAEGER_BIN.tmp" ./cmd/jaeger)
  mv -f "$JAEGER_BIN.tmp" "$JAEGER_BIN"
  rm -rf "$src"
  log "jaeger built in $(elapsed "$t0")s ($(du -h "$JAEGER_BIN" | cut -f1))"
}

healthy() {
  curl -fsS -o /dev/null --max-time 2 "http://$BACKENDS_HOST:$WHARF_JAEGER_QUERY_PORT/api/services" 2>/dev/null
}

launch() {
  local dir config; dir="$(engine_dir jaeger)"
  mkdir -p "$dir"
  config="$dir/config.yaml"
  cat >"$config" <<YAML
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics: { level: none }
    logs: { level: warn }
extensions:
  jaeger_storage:
    backends:
      memstore: { memory: { max_traces: 10000 } }
  jaeger_query:
    storage: { traces: memstore }
    http: { endpoint: "$BACKENDS_HOST:$WHARF_JAEGER_QUERY_PORT" }
    grpc: { endpoint: "$BACKENDS_HOST:$WHARF_JAEGER_QUERY_GRPC_PORT" }
receivers:
  otlp:
    protocols:
      http: { endpoint: "$BACKENDS_HOST:$WHARF_JAEGER_OTLP_PORT" }
processors:
  batch: { timeout: 200ms }
exporters:
  jaeger_storage_exporter: { trace_storage: memstore }
YAML
  start_daemon jaeger "$JAEGER_BIN" --config "$config"
}

cmd_start() {
  cmd_install
  start_engine jaeger "$WHARF_JAEGER_QUERY_PORT" healthy "$JAEGER_TIMEOUT" launch
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) stop_daemon jaeger "${WHARF_STOP_GRACE:-20}" ;;
  status) print_status jaeger "$WHARF_JAEGER_QUERY_PORT" healthy ;;
  *) usage_engine ;;
esac
