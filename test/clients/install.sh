#!/usr/bin/env bash
# Installs the third-party App Registry clients that test/clients/*.e2e.spec.ts drive against
# Wharf, pinned, OUTSIDE the repository (nothing of theirs is vendored here):
#
#   appr 0.7.4 (PyPI)          the appr CLI, run through python/appr_py3.py (docs/clients.md)
#   operator-courier 2.1.11    (PyPI)
#   schemathesis 4.32.5        (PyPI) the fuzzer run against Wharf's /openapi.json
#   go-appr f2aef88446f2       (Go module proxy) via go-appr/go.mod + go.sum, modules downloaded
#   helm v3.21.4               (Go module proxy) helm.sh/helm/v3/cmd/helm, `go install pkg@version`
#   helm v4.3.2                (Go module proxy) helm.sh/helm/v4/cmd/helm, `go install pkg@version`, as
#                              $CACHE/helm4/bin/helm beside v3 (test/clients/helm-oci.e2e.spec.ts runs with both)
#   helm-push v0.10.4          (Go module proxy) the cm-push plugin, via helm-push/go.mod + go.sum
#                              (the module proxy refuses helm-push's version list, so `go install
#                              ...@v0.10.4` fails on its deprecation check; a pinning module builds it)
#   chartmuseum v0.16.3        (Go module proxy) helm.sh/chartmuseum/cmd/chartmuseum, via chartmuseum/go.mod
#                              + go.sum (the proxy serves it as github.com/helm/chartmuseum, whose go.mod
#                              declares helm.sh/chartmuseum, and refuses its version list: a pinning
#                              module with a replace builds it); the source the import suite reads
#   OCI conformance suite      (Go module proxy) github.com/opencontainers/distribution-spec/conformance
#     v0.0.0-20260831232431-97274622c111, the rewritten suite, `go install pkg@version` (~15 s)
#   OCI conformance, Ginkgo   (Go module proxy) the same module at v0.0.0-20231101194043-f2182352d4cc, the
#                              older Ginkgo suite (v1.1.0's, before its tag: the proxy holds no build of
#                              the module at the v1.1.x tags), `go test -c` in a copy of it (~20 s)
#   oras v1.3.6                (Go module proxy) oras.land/oras/cmd/oras, `go install pkg@version` (~40 s)
#
# Usage: test/clients/install.sh [appr|operator-courier|schemathesis|go-appr|helm|helm4|chartmuseum|oci-conformance|oci-conformance-ginkgo|oras ...]   (default: all)
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
[ ${#components[@]} -gt 0 ] || components=(appr operator-courier schemathesis go-appr helm helm4 chartmuseum oci-conformance oci-conformance-ginkgo oras)

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

HELM_VERSION=v3.21.4
HELM_PUSH_VERSION=v0.10.4

# $CACHE/helm/bin/helm and the plugin directory $CACHE/helm/plugins/cm-push (HELM_PLUGINS), so no
# `helm plugin install` (which would fetch from GitHub) is needed.
install_helm() {
  local key; key=$(stamp_key "$HERE/helm-push/go.mod" "$HERE/helm-push/go.sum" "$HERE/helm-push/tools.go")
  [ -f "$CACHE/stamps/helm.$key" ] && return 0
  log "building helm $HELM_VERSION and helm-push $HELM_PUSH_VERSION (cm-push) from the Go module proxy"
  local go_env=(GOMODCACHE="$CACHE/gomod" GOTOOLCHAIN=local)
  rm -rf "$CACHE/helm" && mkdir -p "$CACHE/helm/bin" "$CACHE/helm/plugins/cm-push/bin"
  env "${go_env[@]}" GOFLAGS=-modcacherw GOBIN="$CACHE/helm/bin" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  (cd "$HERE/helm-push" && env "${go_env[@]}" GOFLAGS="-modcacherw -mod=readonly" \
    go build -o "$CACHE/helm/plugins/cm-push/bin/helm-cm-push" github.com/chartmuseum/helm-push/cmd/helm-cm-push)
  # The plugin's own plugin.yaml, without its install hooks (they download release binaries).
  sed '/^hooks:/,$d' "$CACHE/gomod/github.com/chartmuseum/helm-push@$HELM_PUSH_VERSION/plugin.yaml" > "$CACHE/helm/plugins/cm-push/plugin.yaml"
  HELM_PLUGINS="$CACHE/helm/plugins" "$CACHE/helm/bin/helm" cm-push --help > /dev/null
  rm -f "$CACHE/stamps/helm."*; touch "$CACHE/stamps/helm.$key"
}

HELM4_VERSION=v4.3.2

# $CACHE/helm4/bin/helm: Helm 4, for the OCI client suite (no plugin: cm-push is a v3 plugin).
# Cold (empty module and build caches) it builds in about as long as v3; warm, in seconds.
install_helm4() {
  [ -f "$CACHE/stamps/helm4.$HELM4_VERSION" ] && return 0
  log "building helm $HELM4_VERSION from the Go module proxy"
  rm -rf "$CACHE/helm4" && mkdir -p "$CACHE/helm4/bin"
  GOMODCACHE="$CACHE/gomod" GOFLAGS=-modcacherw GOTOOLCHAIN=local GOBIN="$CACHE/helm4/bin" \
    go install "helm.sh/helm/v4/cmd/helm@$HELM4_VERSION"
  # go install stamps no patch version (`helm version` says v4.3): the major is what is checked.
  "$CACHE/helm4/bin/helm" version --template '{{.Version}}' | grep -q '^v4\.'
  rm -f "$CACHE/stamps/helm4."*; touch "$CACHE/stamps/helm4.$HELM4_VERSION"
}

# $CACHE/bin/chartmuseum: the chart server test/clients/chartmuseum-import.e2e.spec.ts imports from.
install_chartmuseum() {
  local key; key=$(stamp_key "$HERE/chartmuseum/go.mod" "$HERE/chartmuseum/go.sum" "$HERE/chartmuseum/tools.go")
  [ -f "$CACHE/stamps/chartmuseum.$key" ] && return 0
  log "building chartmuseum v0.16.3 from the Go module proxy"
  (cd "$HERE/chartmuseum" && GOMODCACHE="$CACHE/gomod" GOFLAGS="-modcacherw -mod=readonly" GOTOOLCHAIN=local \
    go build -o "$CACHE/bin/chartmuseum" helm.sh/chartmuseum/cmd/chartmuseum)
  "$CACHE/bin/chartmuseum" --version > /dev/null
  rm -f "$CACHE/stamps/chartmuseum."*; touch "$CACHE/stamps/chartmuseum.$key"
}

OCI_CONFORMANCE_VERSION=v0.0.0-20260831232431-97274622c111

# $CACHE/bin/oci-conformance: the distribution spec's conformance suite (test/clients/oci-conformance.e2e.spec.ts).
install_oci_conformance() {
  local key; key=$(stamp_key)
  [ -f "$CACHE/stamps/oci-conformance.$key" ] && return 0
  log "building the OCI conformance suite $OCI_CONFORMANCE_VERSION from the Go module proxy"
  local out; out=$(mktemp -d)
  GOMODCACHE="$CACHE/gomod" GOFLAGS=-modcacherw GOTOOLCHAIN=local GOBIN="$out" \
    go install "github.com/opencontainers/distribution-spec/conformance@$OCI_CONFORMANCE_VERSION"
  mv "$out/conformance" "$CACHE/bin/oci-conformance" && rmdir "$out"
  rm -f "$CACHE/stamps/oci-conformance."*; touch "$CACHE/stamps/oci-conformance.$key"
}

OCI_CONFORMANCE_GINKGO_VERSION=v0.0.0-20231101194043-f2182352d4cc

# $CACHE/bin/oci-conformance-ginkgo: the older, Ginkgo conformance suite (test/clients/oci-conformance-ginkgo.e2e.spec.ts),
# a test binary: `go test -c` in a writable copy of the module as the proxy serves it (go.sum included).
install_oci_conformance_ginkgo() {
  local key; key=$(stamp_key)
  [ -f "$CACHE/stamps/oci-conformance-ginkgo.$key" ] && return 0
  log "building the Ginkgo OCI conformance suite $OCI_CONFORMANCE_GINKGO_VERSION from the Go module proxy"
  local src dir; src=$(mktemp -d)
  export GOMODCACHE="$CACHE/gomod" GOFLAGS=-modcacherw GOTOOLCHAIN=local
  dir=$(cd "$src" && go mod download -json "github.com/opencontainers/distribution-spec/conformance@$OCI_CONFORMANCE_GINKGO_VERSION" |
    sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  cp -r "$dir/." "$src/" && chmod -R u+w "$src"
  (cd "$src" && go test -c -o "$CACHE/bin/oci-conformance-ginkgo" .)
  rm -rf "$src"
  rm -f "$CACHE/stamps/oci-conformance-ginkgo."*; touch "$CACHE/stamps/oci-conformance-ginkgo.$key"
}

ORAS_VERSION=v1.3.6

# $CACHE/bin/oras: the ORAS CLI (test/clients/oras.e2e.spec.ts), built from the Go module proxy (~40 s cold).
install_oras() {
  local key; key=$(stamp_key)
  [ -f "$CACHE/stamps/oras.$ORAS_VERSION.$key" ] && return 0
  log "building oras $ORAS_VERSION from the Go module proxy"
  local out; out=$(mktemp -d)
  GOMODCACHE="$CACHE/gomod" GOFLAGS=-modcacherw GOTOOLCHAIN=local GOBIN="$out" \
    go install "oras.land/oras/cmd/oras@$ORAS_VERSION"
  mkdir -p "$CACHE/bin" && mv "$out/oras" "$CACHE/bin/oras" && rmdir "$out"
  rm -f "$CACHE/stamps/oras."*; touch "$CACHE/stamps/oras.$ORAS_VERSION.$key"
}

for c in "${components[@]}"; do
  start=$(date +%s)
  case "$c" in
    appr) install_appr ;;
    operator-courier) install_operator_courier ;;
    schemathesis) install_schemathesis ;;
    go-appr) install_go_appr ;;
    helm) install_helm ;;
    helm4) install_helm4 ;;
    chartmuseum) install_chartmuseum ;;
    oci-conformance) install_oci_conformance ;;
    oci-conformance-ginkgo) install_oci_conformance_ginkgo ;;
    oras) install_oras ;;
    *) echo "unknown component: $c" >&2; exit 2 ;;
  esac
  log "$c ready ($(( $(date +%s) - start )) s)"
done
