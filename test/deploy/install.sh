#!/usr/bin/env bash
# Installs what test/deploy/*.spec.ts checks the Helm chart (deploy/helm/wharf) with, pinned,
# OUTSIDE the repository:
#
#   helm v3.21.4                  test/clients/install.sh helm (the same pin as the client tests)
#   helm-unittest v1.1.2          (Go module proxy) github.com/helm-unittest/helm-unittest: its go.mod
#                                 has a replace directive, so `go install pkg@version` refuses it;
#                                 built from the downloaded module with `go build ./cmd/helm-unittest`
#   kubeconform v0.7.0            (Go module proxy) `go install .../cmd/kubeconform@v0.7.0`
#   Kubernetes JSON schemas       (PyPI) the kubernetes-validate 1.37.0 wheel carries them; the
#   v1.33 (strict)                version's directory is extracted with every `$id` dropped and the
#                                 `/api/_definitions.json` references made relative, so kubeconform
#                                 reads them from disk and never from the network
# and, for component `kube`, a real Kubernetes API server to install the chart into:
#   kube-apiserver v1.33.13       (Go module proxy) built from the pinning module kube-apiserver/
#                                 (k8s.io/kubernetes with its staging modules replaced by the
#                                 published k8s.io/* v0.33.13); ~10 min on 2 cores with a cold cache
#   etcd 3.4.23                   (Debian) etcd-server, unpacked from its .deb with dpkg-deb (not
#                                 installed into the system)
#
# Usage: test/deploy/install.sh [chart|kube ...]   (default: chart); prints the cache directory
#        (bin/ and schemas/)
# Cache: ${WHARF_DEPLOY_TOOLS_CACHE:-$HOME/.cache/wharf-deploy-tools}. Idempotent (a stamp per
# component over this script and its pins); safe to run concurrently (one flock).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${WHARF_DEPLOY_TOOLS_CACHE:-$HOME/.cache/wharf-deploy-tools}
HELM_UNITTEST_VERSION=v1.1.2
KUBECONFORM_VERSION=v0.7.0
KUBERNETES_VALIDATE_VERSION=1.37.0
SCHEMA_VERSION=v1.33.0
ETCD_DEBIAN_VERSION=3.4.23-4+b4
PYTHON=${WHARF_CLIENTS_PYTHON:-python3}

mkdir -p "$CACHE"
exec 9>"$CACHE/install.lock"
flock 9

log() { echo "[wharf-deploy-tools] $*" >&2; }

go_env=(GOTOOLCHAIN=local GOFLAGS=-modcacherw)

# installed NAME PINS FILES...: whether NAME's stamp (over the PINS string and FILES) is current;
# else clears it.
installed() {
  local name=$1 pins=$2; shift 2
  key=$({ echo "$pins"; cat "$@"; } | sha256sum | cut -c1-16)
  [ -f "$CACHE/stamps/$name.$key" ] && return 0
  rm -f "$CACHE/stamps/$name."*
  return 1
}
done_installing() { touch "$CACHE/stamps/$1.$key"; }

install_chart_tools() {
  bash "$HERE/../clients/install.sh" helm
  installed chart "" "$0" && return 0
  rm -rf "$CACHE/bin/kubeconform" "$CACHE/bin/helm-unittest" "$CACHE/schemas" "$CACHE/build"
  mkdir -p "$CACHE/bin" "$CACHE/build"
  log "building kubeconform $KUBECONFORM_VERSION"
  env "${go_env[@]}" GOBIN="$CACHE/bin" go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
  log "building helm-unittest $HELM_UNITTEST_VERSION"
  module_dir=$(env "${go_env[@]}" go mod download -json "github.com/helm-unittest/helm-unittest@$HELM_UNITTEST_VERSION" |
    "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  cp -r "$module_dir" "$CACHE/build/helm-unittest" && chmod -R u+w "$CACHE/build/helm-unittest"
  (cd "$CACHE/build/helm-unittest" && env "${go_env[@]}" go build -o "$CACHE/bin/helm-unittest" ./cmd/helm-unittest)
  log "extracting the Kubernetes $SCHEMA_VERSION schemas from kubernetes-validate $KUBERNETES_VALIDATE_VERSION"
  "$PYTHON" -m pip download -q --disable-pip-version-check --no-deps -d "$CACHE/build/wheel" \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  "$PYTHON" - "$CACHE/build/wheel" "$SCHEMA_VERSION-local-strict" "$CACHE/schemas" <<'PY'
import glob, json, os, sys, zipfile
wheel_dir, version, out = sys.argv[1:]
(wheel,) = glob.glob(os.path.join(wheel_dir, "*.whl"))
prefix = f"kubernetes_validate/kubernetes-json-schema/{version}/"
os.makedirs(out)
def local(node):
    if isinstance(node, dict):
        node.pop("$id", None)
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("/api/_definitions.json"):
            node["$ref"] = ref[len("/api/"):]
        for value in node.values():
            local(value)
    elif isinstance(node, list):
        for value in node:
            local(value)
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.startswith(prefix) and n.endswith(".json")]
    if not names:
        sys.exit(f"no schemas for {version} in {wheel}")
    for name in names:
        schema = json.loads(z.read(name))
        local(schema)
        with open(os.path.join(out, name[len(prefix):]), "w") as f:
            json.dump(schema, f)
PY
  rm -rf "$CACHE/build"
  done_installing chart
}

install_kube() {
  local version minor ldflags stamp=k8s.io/component-base/version
  version=$(awk '/^require k8s.io\/kubernetes/ {print $3}' "$HERE/kube-apiserver/go.mod")
  minor=$(echo "$version" | cut -d. -f2)
  # The version Kubernetes' own build stamps in (its /version; Helm checks charts' kubeVersion against it).
  ldflags="-X $stamp.gitVersion=$version -X $stamp.gitMajor=1 -X $stamp.gitMinor=$minor -X $stamp.gitTreeState=clean"
  installed kube "etcd-server=$ETCD_DEBIAN_VERSION $ldflags" "$HERE/kube-apiserver/go.mod" "$HERE/kube-apiserver/go.sum" &&
    return 0
  log "building kube-apiserver $version"
  mkdir -p "$CACHE/bin"
  (cd "$HERE/kube-apiserver" && env "${go_env[@]}" GOFLAGS="-modcacherw -mod=readonly" \
    go build -ldflags "$ldflags" -o "$CACHE/bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
  log "unpacking etcd-server $ETCD_DEBIAN_VERSION (Debian)"
  rm -rf "$CACHE/build" && mkdir -p "$CACHE/build"
  # A fresh machine may have no package lists yet: read them once, then download again.
  (cd "$CACHE/build" && { apt-get download -q "etcd-server=$ETCD_DEBIAN_VERSION" >&2 ||
    { apt-get update -q >&2 && apt-get download -q "etcd-server=$ETCD_DEBIAN_VERSION" >&2; }; })
  dpkg-deb -x "$CACHE/build"/etcd-server_*.deb "$CACHE/build/etcd"
  cp "$CACHE/build/etcd/usr/bin/etcd" "$CACHE/bin/etcd"
  rm -rf "$CACHE/build"
  "$CACHE/bin/etcd" --version > /dev/null
  done_installing kube
}

mkdir -p "$CACHE/stamps"
components=("$@")
[ ${#components[@]} -gt 0 ] || components=(chart)
for component in "${components[@]}"; do
  case $component in
    chart) install_chart_tools ;;
    kube) install_kube ;;
    *) echo "unknown component: $component (chart, kube)" >&2; exit 2 ;;
  esac
done
echo "$CACHE"
