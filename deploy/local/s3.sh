#!/usr/bin/env bash
# Local S3-compatible server for Wharf: Versity S3 Gateway, posix backend.
# install: `go install github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION`
#          into $WHARF_BACKENDS_CACHE/bin/versitygw-<version> (skipped when present).
# start:   serves http://127.0.0.1:$WHARF_S3_PORT with the static credentials
#          WHARF_S3_ACCESS_KEY_ID / WHARF_S3_SECRET_ACCESS_KEY (SigV4 is checked),
#          buckets under $WHARF_RUN_DIR/s3/data; healthy when GET /health answers 200.
# stop / status: by the pid recorded in $WHARF_RUN_DIR/s3/s3.pid.
set -euo pipefail
ENGINE=s3
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VERSITYGW_BIN="$WHARF_BACKENDS_CACHE/bin/versitygw-$VERSITYGW_VERSION"
S3_DATA="$(engine_dir s3)/data"
S3_TIMEOUT="${WHARF_S3_TIMEOUT:-60}"

cmd_install() {
  if [ -x "$VERSITYGW_BIN" ]; then
    log "versitygw $VERSITYGW_VERSION already built ($VERSITYGW_BIN)"
    return 0
  fi
  command -v go >/dev/null || die "Go toolchain not found (needed to build versitygw)"
  local t0 gobin; t0="$(now_s)"
  gobin="$(mktemp -d "$WHARF_BACKENDS_CACHE/.gobin.XXXXXX")"
  log "building versitygw $VERSITYGW_VERSION -> $VERSITYGW_BIN; this takes a few minutes on a cold cache"
  mkdir -p "$(dirname "$VERSITYGW_BIN")"
  (cd "$gobin" && GOBIN="$gobin" go install -trimpath -ldflags='-s -w' \
    "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION")
  mv -f "$gobin/versitygw" "$VERSITYGW_BIN"
  rm -rf "$gobin"
  log "versitygw built in $(elapsed "$t0")s ($(du -h "$VERSITYGW_BIN" | cut -f1))"
}

healthy() {
  curl -fsS -o /dev/null --max-time 2 "http://$BACKENDS_HOST:$WHARF_S3_PORT/health" 2>/dev/null
}

launch() {
  mkdir -p "$S3_DATA"
  start_daemon s3 "$VERSITYGW_BIN" \
    --access "$WHARF_S3_ACCESS_KEY_ID" --secret "$WHARF_S3_SECRET_ACCESS_KEY" \
    --region "$WHARF_S3_REGION" --port "$BACKENDS_HOST:$WHARF_S3_PORT" --health /health \
    --quiet posix "$S3_DATA"
}

cmd_start() {
  cmd_install
  start_engine s3 "$WHARF_S3_PORT" healthy "$S3_TIMEOUT" launch
}

case "${1:-}" in
  install) cmd_install ;;
  # The built binary, for deploy/container/engines.sh.
  path) echo "$VERSITYGW_BIN" ;;
  start) cmd_start ;;
  stop) stop_daemon s3 "${WHARF_STOP_GRACE:-20}" ;;
  status) print_status s3 "$WHARF_S3_PORT" healthy ;;
  *) usage_engine ;;
esac
