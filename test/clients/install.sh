#!/usr/bin/env bash
# Installs the third-party App Registry clients that test/clients/*.e2e.spec.ts drive against
# Wharf, pinned, OUTSIDE the repository (nothing of theirs is vendored here):
#
#   appr 0.7.4 (PyPI)          the appr CLI, run through python/appr_py3.py (docs/clients.md)
#   operator-courier 2.1.11    (PyPI)
#   schemathesis 4.32.5        (PyPI) the fuzzer run against Wharf's /openapi.json
#   go-appr f2aef88446f2       (Go module proxy) via go-appr/go.mod + go.sum, modules downloaded
#
# Usage: test/clients/install.sh [appr|operator-courier|schemathesis|go-appr ...]   (default: all)
# Cache: ${WHARF_CLIENTS_CACHE:-$HOME/.cache/wharf-clients}. Idempotent: a component whose pins
# have not changed since its last successful install is skipped (a stamp file per component).
# Safe to run concurrently (the jest workers do): one flock serialises the installs.
# Python: ${WHARF_CLIENTS_PYTHON:-python3} (3.11 here); Go: the machine's `go` (GOTOOLCHAIN=local).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${WHARF_CLIENTS_CACHE:-$HOME/.cache/wharf-clients}
PYTHON=${WHARF_CLIENTS_PYTHON:-python3}
# appr pins urllib3<1.22, whose 1.21.1 cannot be imported on Python >= 3.10 (docs/clients.md);
# this is the urllib3 the appr venv gets instead: the last 1.x, which requests 2.32 accepts.
APPR_URLLIB3=urllib3==1.26.20

mkdir -p "$CACHE/stamps" "$CACHE/venv" "$CACHE/bin"
exec 9>"$CACHE/install.lock"
flock 9

components=("$@")
[ ${#components[@]} -gt 0 ] || components=(appr operator-courier schemathesis go-appr)

log() { echo "[wharf-clients] $*" >&2; }

# stamp NAME FILES...: a key over this script and the pin files; prints it.
stamp_key() {
  cat "$0" "$@" | sha256sum | cut -c1-16
}

pip_venv() { # NAME CONSTRAINTS REQUIREMENT...
  local name=$1 constraints=$2; shift 2
  local venv=$CACHE/venv/$name
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -c "$constraints" "$@"
}

install_appr() {
  local key; key=$(stamp_key "$HERE/python/appr.constraints.txt" "$HERE/python/appr_py3.py")
  [ -f "$CACHE/stamps/appr.$key" ] && return 0
  log "installing appr 0.7.4"
  pip_venv appr "$HERE/python/appr.constraints.txt" appr==0.7.4
  # Record how the release, with the dependencies it declares, fails on this Python.
  mkdir -p "$CACHE/appr"
  { "$CACHE/venv/appr/bin/python" --version; "$CACHE/venv/appr/bin/appr" --help 2>&1 || echo "exit=$?"; } \
    > "$CACHE/appr/as-released.txt" 2>&1
  "$CACHE/venv/appr/bin/pip" install -q --disable-pip-version-check --no-deps "$APPR_URLLIB3"
  "$CACHE/venv/appr/bin/python" "$HERE/python/appr_py3.py" --help > /dev/null
  rm -f "$CACHE/stamps/appr."*; touch "$CACHE/stamps/appr.$key"
}

install_operator_courier() {
  local key; key=$(stamp_key "$HERE/python/operator-courier.constraints.txt")
  [ -f "$CACHE/stamps/operator-courier.$key" ] && return 0
  log "installing operator-courier 2.1.11"
  pip_venv operator-courier "$HERE/python/operator-courier.constraints.txt" operator-courier==2.1.11
  "$CACHE/venv/operator-courier/bin/operator-courier" --help > /dev/null
  rm -f "$CACHE/stamps/operator-courier."*; touch "$CACHE/stamps/operator-courier.$key"
}

install_schemathesis() {
  local key; key=$(stamp_key "$HERE/python/schemathesis.constraints.txt")
  [ -f "$CACHE/stamps/schemathesis.$key" ] && return 0
  log "installing schemathesis 4.32.5"
  pip_venv schemathesis "$HERE/python/schemathesis.constraints.txt" schemathesis==4.32.5
  "$CACHE/venv/schemathesis/bin/schemathesis" --version > /dev/null
  rm -f "$CACHE/stamps/schemathesis."*; touch "$CACHE/stamps/schemathesis.$key"
}

install_go_appr() {
  local key; key=$(stamp_key "$HERE/go-appr/go.mod" "$HERE/go-appr/go.sum" "$HERE/go-appr/main.go")
  [ -f "$CACHE/stamps/go-appr.$key" ] && return 0
  log "downloading go-appr and building test/clients/go-appr"
  # go.sum is verified against the checksum database; -mod=readonly: go.mod is never rewritten.
  (cd "$HERE/go-appr" && GOMODCACHE="$CACHE/gomod" GOFLAGS="-modcacherw -mod=readonly" GOTOOLCHAIN=local \
    go build -o "$CACHE/bin/wharf-go-appr" .)
  rm -f "$CACHE/stamps/go-appr."*; touch "$CACHE/stamps/go-appr.$key"
}

for c in "${components[@]}"; do
  start=$(date +%s)
  case "$c" in
    appr) install_appr ;;
    operator-courier) install_operator_courier ;;
    schemathesis) install_schemathesis ;;
    go-appr) install_go_appr ;;
    *) echo "unknown component: $c" >&2; exit 2 ;;
  esac
  log "$c ready ($(( $(date +%s) - start )) s)"
done
