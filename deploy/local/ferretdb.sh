#!/usr/bin/env bash
# Local MongoDB-wire server for Wharf: FerretDB v1 with its SQLite backend.
# install: builds the small wrapper module in deploy/local/ferretdb/ (it embeds
#          github.com/FerretDB/FerretDB/ferretdb; see main.go for why) into
#          $WHARF_BACKENDS_CACHE/bin/ (skipped when that exact build exists), against
#          a copy of FerretDB's module source with deploy/local/ferretdb/*.patch applied:
#          sqlite-id-index.patch makes the SQLite backend find documents by _id through
#          its _id index (v1.24 queries a path SQLite does not match to the index, so
#          every lookup, update and delete by _id scanned the whole collection).
# start:   serves mongodb://127.0.0.1:$WHARF_FERRETDB_PORT/ with data under
#          $WHARF_RUN_DIR/ferretdb/data; healthy once the port accepts connections.
# stop / status: by the pid recorded in $WHARF_RUN_DIR/ferretdb/ferretdb.pid.
set -euo pipefail
ENGINE=ferretdb
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC="$LOCAL_DIR/ferretdb"
# The binary name carries the FerretDB version and a hash of the wrapper sources.
SRC_HASH="$(cat "$SRC/main.go" "$SRC/go.mod" "$SRC/go.sum" "$SRC"/*.patch | sha256sum | cut -c1-12)"
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
  # FerretDB's module source (go's module cache), copied and patched under the cache.
  local module patched build
  module="$(cd "$SRC" && go mod download -json github.com/FerretDB/FerretDB | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$module" ] || die "go mod download did not give FerretDB's module directory"
  patched="$WHARF_BACKENDS_CACHE/src/ferretdb-$FERRETDB_VERSION-$SRC_HASH"
  rm -rf "$patched" && mkdir -p "$(dirname "$patched")" && cp -R "$module" "$patched" && chmod -R u+w "$patched"
  for p in "$SRC"/*.patch; do
    (cd "$patched" && git apply -p1 "$p") || die "could not apply $p to FerretDB $FERRETDB_VERSION"
  done
  build="$(mktemp -d)"
  cp "$SRC/main.go" "$SRC/go.mod" "$SRC/go.sum" "$build/"
  (cd "$build" && go mod edit -replace "github.com/FerretDB/FerretDB=$patched" &&
    go build -mod=readonly -trimpath -ldflags='-s -w' -o "$FERRETDB_BIN.tmp" .)
  rm -rf "$build"
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
  # The built binary, for deploy/container/engines.sh.
  path) echo "$FERRETDB_BIN" ;;
  start) cmd_start ;;
  stop) stop_daemon ferretdb "${WHARF_STOP_GRACE:-20}" ;;
  status) print_status ferretdb "$WHARF_FERRETDB_PORT" healthy ;;
  *) usage_engine ;;
esac
