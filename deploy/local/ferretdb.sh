#!/usr/bin/env bash
# Local MongoDB-wire server for Wharf: FerretDB v1 with its SQLite backend.
# install: builds the small wrapper module in deploy/local/ferretdb/ (it embeds
#          github.com/FerretDB/FerretDB/ferretdb; see main.go for why) into
#          $WHARF_BACKENDS_CACHE/bin/ (skipped when that exact build exists).
# start:   serves mongodb://127.0.0.1:$WHARF_FERRETDB_PORT/ with data under
#          $WHARF_RUN_DIR/ferretdb/data; healthy once the port accepts connections.
# stop / status: by the pid recorded in $WHARF_RUN_DIR/ferretdb/ferretdb.pid.
set -euo pipefail
ENGINE=ferretdb
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC="$LOCAL_DIR/ferretdb"
# The binary name carries the FerretDB version and a hash of the wrapper sources.
SRC_HASH="$(cat "$SRC/main.go" "$SRC/go.mod" "$SRC/go.sum" | sha256sum | cut -c1-12)"
FERRETDB_BIN="$WHARF_BACKENDS_CACHE/bin/wharf-ferretdb-$FERRETDB_VERSION-$SRC_HASH"
FERRETDB_DATA="$(engine_dir ferretdb)/data"
FERRETDB_TIMEOUT="${WHARF_FERRETDB_TIMEOUT:-60}"

cmd_install() {
  if [ -x "$FERRETDB_BIN" ]; then
    log "ferretdb $FERRETDB_VERSION already built ($FERRETDB_BIN)"
    return 0
  fi
  grep -q "github.com/FerretDB/FerretDB $FERRETDB_VERSION\$" "$SRC/go.mod" ||
    die "deploy/local/ferretdb/go.mod does not require FerretDB $FERRETDB_VERSION (versions.env); update it with go get + go mod tidy"
  command -v go >/dev/null || die "Go toolchain not found (needed to build FerretDB)"
  local t0; t0="$(now_s)"
  log "building FerretDB $FERRETDB_VERSION (SQLite backend) -> $FERRETDB_BIN; this takes a few minutes on a cold cache"
  mkdir -p "$(dirname "$FERRETDB_BIN")"
  (cd "$SRC" && go build -mod=readonly -trimpath -ldflags='-s -w' -o "$FERRETDB_BIN.tmp" .)
  mv -f "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
  log "ferretdb built in $(elapsed "$t0")s ($(du -h "$FERRETDB_BIN" | cut -f1))"
}

healthy() { port_open "$WHARF_FERRETDB_PORT"; }

launch() {
  mkdir -p "$FERRETDB_DATA"
  start_daemon ferretdb "$FERRETDB_BIN" \
    --listen-addr="$BACKENDS_HOST:$WHARF_FERRETDB_PORT" \
    --handler=sqlite --sqlite-url="file:$FERRETDB_DATA/"
}

cmd_start() {
  cmd_install
  start_engine ferretdb "$WHARF_FERRETDB_PORT" healthy "$FERRETDB_TIMEOUT" launch
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) stop_daemon ferretdb "${WHARF_STOP_GRACE:-20}" ;;
  status) print_status ferretdb "$WHARF_FERRETDB_PORT" healthy ;;
  *) usage_engine ;;
esac
