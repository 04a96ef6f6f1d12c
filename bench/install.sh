#!/usr/bin/env bash
# Installs everything the benchmark needs OUTSIDE the repo, pinned, under
# ${WHARF_BENCH_CACHE:-$HOME/.cache/wharf-bench}. Idempotent: a stamp file per component.
#   node/      autocannon (load generator)            npm, pinned
#   cnr/venv   cnr-server + gunicorn (reference)      PyPI, pinned, patched in place (see below)
#   nginx/     nginx binary from Debian (static base)  apt-get download + dpkg -x, no system install
#   wrk/       wrk + libluajit from Debian (GET loads) apt-get download + dpkg -x, no system install
#   distribution/ CNCF Distribution's registry (the oci scenario's anchor)  Go module proxy, pinned
set -euo pipefail

CACHE="${WHARF_BENCH_CACHE:-$HOME/.cache/wharf-bench}"
AUTOCANNON_VERSION=8.0.0
CNR_SERVER_VERSION=0.2.7.post2
GUNICORN_VERSION=23.0.0
FLASK_VERSION=3.0.3
WERKZEUG_VERSION=3.0.6
FLASK_CORS_VERSION=5.0.0
SEMANTIC_VERSION_VERSION=2.10.0
NGINX_VERSION=1.22.1-9+deb12u11        # Debian bookworm(-security); see fallback below
WRK_VERSION=4.1.0-3+b2                 # Debian bookworm
LUAJIT_VERSION=2.1.0~beta3+git20220320+dfsg-4.1+deb12u1  # wrk's libluajit-5.1-2 (not on the machine)
PYTHON="${WHARF_BENCH_PYTHON:-python3.11}" # cnr-server needs lib2to3 (Python <= 3.12)
DISTRIBUTION_VERSION=v3.1.2             # bench/lib/targets.ts names the same version

mkdir -p "$CACHE"
log() { printf '[bench/install] %s\n' "$*" >&2; }

# --- autocannon -------------------------------------------------------------------------
if [ ! -f "$CACHE/node/.stamp-$AUTOCANNON_VERSION" ]; then
  log "autocannon@$AUTOCANNON_VERSION -> $CACHE/node"
  rm -rf "$CACHE/node" && mkdir -p "$CACHE/node"
  (cd "$CACHE/node" && echo '{"private":true}' > package.json &&
    npm install --no-audit --no-fund --silent --save-exact "autocannon@$AUTOCANNON_VERSION")
  touch "$CACHE/node/.stamp-$AUTOCANNON_VERSION"
fi

# --- reference server: cnr-server in a venv, patched for Python 3.11 / Flask 3 -----------------
CNR_STAMP="$CACHE/cnr/.stamp-$CNR_SERVER_VERSION-$GUNICORN_VERSION-$FLASK_VERSION-p3"
if [ ! -f "$CNR_STAMP" ]; then
  log "cnr-server==$CNR_SERVER_VERSION + gunicorn==$GUNICORN_VERSION -> $CACHE/cnr/venv"
  rm -rf "$CACHE/cnr" && mkdir -p "$CACHE/cnr"
  "$PYTHON" -m venv "$CACHE/cnr/venv"
  VPY="$CACHE/cnr/venv/bin/python"
  "$VPY" -m pip install -q --disable-pip-version-check \
    "cnr-server==$CNR_SERVER_VERSION" "gunicorn==$GUNICORN_VERSION" \
    "flask==$FLASK_VERSION" "werkzeug==$WERKZEUG_VERSION" "flask-cors==$FLASK_CORS_VERSION" \
    "semantic-version==$SEMANTIC_VERSION_VERSION"
  PKG="$("$VPY" -c 'import importlib.util,os;print(os.path.dirname(importlib.util.find_spec("cnr").origin))')"
  log "patching the installed copy at $PKG (never vendored)"
  # 1. the package is Python 2 code: convert it in place.
  "$VPY" -W ignore -m lib2to3 -w -n "$PKG" >/dev/null 2>&1
  # 2. Python 3 exceptions have no .message.
  grep -rl 'e\.message\|excp\.message' "$PKG" | xargs sed -i -e 's/\bexcp\.message\b/str(excp)/g' -e 's/\be\.message\b/str(e)/g'
  # 3. Flask/Werkzeug 3: Headers has no to_list().
  sed -i 's/dict(request\.headers\.to_list())/dict(request.headers)/' "$PKG/api/info.py" "$PKG/api/registry.py"
  # 4. filesystem store: files are opened in binary mode but given/returned str.
  "$VPY" - "$PKG/models/kv/filesystem/__init__.py" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("""        with open(path, 'wb') as f:
            f.write(data)""", """        if isinstance(data, str):
            data = data.encode('utf-8')
        with open(path, 'wb') as f:
            f.write(data)""")
s = s.replace("""        with open(path, 'rb') as f:
            return f.read()""", """        with open(path, 'rb') as f:
            return f.read().decode('utf-8')""")
open(p, "w").write(s)
PY
  find "$PKG" -name '__pycache__' -prune -exec rm -rf {} +
  "$VPY" -c 'import cnr.api.wsgi' >/dev/null
  touch "$CNR_STAMP"
fi

# --- nginx (Debian), extracted, not installed system-wide --------------------------------------
if [ ! -x "$CACHE/nginx/root/usr/sbin/nginx" ]; then
  log "nginx=$NGINX_VERSION -> $CACHE/nginx"
  rm -rf "$CACHE/nginx" && mkdir -p "$CACHE/nginx/deb"
  if ! apt-cache policy nginx 2>/dev/null | grep -q 'Candidate: [0-9]'; then apt-get update -qq; fi
  (cd "$CACHE/nginx/deb" && { apt-get download -qq "nginx=$NGINX_VERSION" 2>/dev/null ||
     { log "nginx=$NGINX_VERSION no longer served; taking the candidate version"; apt-get download -qq nginx; }; })
  dpkg -x "$CACHE"/nginx/deb/nginx_*.deb "$CACHE/nginx/root"
  "$CACHE/nginx/root/usr/sbin/nginx" -v
fi

# --- wrk (Debian), extracted with its libluajit, not installed system-wide ---------------------
# Run as LD_LIBRARY_PATH=$CACHE/wrk/root/usr/lib/x86_64-linux-gnu $CACHE/wrk/root/usr/bin/wrk
# (bench/lib/wrk.ts does). WHARF_BENCH_NO_WRK=1 skips it (the GET loads then use autocannon).
WRK_STAMP="$CACHE/wrk/.stamp-$WRK_VERSION"
if [ "${WHARF_BENCH_NO_WRK:-0}" != 1 ] && [ ! -f "$WRK_STAMP" ]; then
  log "wrk=$WRK_VERSION + libluajit-5.1-2=$LUAJIT_VERSION -> $CACHE/wrk"
  rm -rf "$CACHE/wrk" && mkdir -p "$CACHE/wrk/deb"
  if ! apt-cache policy wrk 2>/dev/null | grep -q 'Candidate: [0-9]'; then apt-get update -qq; fi
  if (cd "$CACHE/wrk/deb" && for p in "wrk=$WRK_VERSION" "libluajit-5.1-2=$LUAJIT_VERSION" "libluajit-5.1-common=$LUAJIT_VERSION"; do
        apt-get download -qq "$p" 2>/dev/null || { log "$p no longer served; taking the candidate version"; apt-get download -qq "${p%%=*}"; } || exit 1
      done); then
    for d in "$CACHE"/wrk/deb/*.deb; do dpkg -x "$d" "$CACHE/wrk/root"; done
    if { LD_LIBRARY_PATH="$CACHE/wrk/root/usr/lib/x86_64-linux-gnu" "$CACHE/wrk/root/usr/bin/wrk" -v 2>&1 || true; } | grep -q "^wrk "; then
      touch "$WRK_STAMP"
    else
      log "wrk does not run here; GET loads fall back to autocannon"; rm -rf "$CACHE/wrk"
    fi
  else
    log "wrk could not be downloaded; GET loads fall back to autocannon"; rm -rf "$CACHE/wrk"
  fi
fi

# --- CNCF Distribution (the oci scenario's anchor), built from the Go module proxy -------------
# Only for `npm run bench -- oci`; WHARF_BENCH_NO_DISTRIBUTION=1 skips it (the scenario then runs
# the Wharf targets alone). A cold Go cache takes a few minutes.
DISTRIBUTION_BIN="$CACHE/distribution/registry-$DISTRIBUTION_VERSION"
if [ "${WHARF_BENCH_NO_DISTRIBUTION:-0}" != 1 ] && [ ! -x "$DISTRIBUTION_BIN" ]; then
  log "distribution/v3 registry@$DISTRIBUTION_VERSION -> $DISTRIBUTION_BIN"
  mkdir -p "$CACHE/distribution"
  gobin="$(mktemp -d "$CACHE/distribution/.gobin.XXXXXX")"
  (cd "$gobin" && GOTOOLCHAIN=local GOBIN="$gobin" GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" \
    GOFLAGS="-buildvcs=false -modcacherw" CGO_ENABLED=0 \
    go install -trimpath -ldflags='-s -w' "github.com/distribution/distribution/v3/cmd/registry@$DISTRIBUTION_VERSION")
  mv -f "$gobin/registry" "$DISTRIBUTION_BIN"
  rm -rf "$gobin"
fi

log "ready: $CACHE"
