#!/usr/bin/env bash
# The base image made here, for machines that cannot pull images (no registry):
#   debootstrap --variant=minbase bookworm  →  the project's Node.js and npm from the npm
#   registry  →  a user `node` (uid 1000, as the official node image)  →  `<engine> import`.
#
#   base-image.sh build   make localhost/wharf-base:<inputs> unless it exists; prints its name
#   base-image.sh name    print that name
#
# The tag is a digest of the inputs (versions.env, the Node.js version package.json pins as
# node-linux-<arch>, the functions below that make the image), so the image is rebuilt only when one of them changes.
# Debian's packages and the npm tarballs stay in $WHARF_CONTAINERS_CACHE/downloads.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

case "$(uname -m)" in
  x86_64) NODE_ARCH=x64 ;;
  aarch64) NODE_ARCH=arm64 ;;
  *) die "no node-linux package for $(uname -m)" ;;
esac
# The project's Node.js: the version of the optional dependency that is node_modules/.bin/node.
NODE_VERSION="$(sed -n "s/.*\"node-linux-$NODE_ARCH\": *\"\([^\"]*\)\".*/\1/p" "$REPO_DIR/package.json")"
[ -n "$NODE_VERSION" ] || die "package.json names no node-linux-$NODE_ARCH version"

image_name() {
  local inputs
  inputs="$(printf '%s\n' "$BASE_SUITE" "$BASE_VARIANT" "$BASE_MIRROR" "$NODE_ARCH" "$NODE_VERSION" "$NPM_VERSION" |
    cat - <(declare -f build npm_tarball) | sha256sum | cut -c1-12)"
  printf 'localhost/wharf-base:node%s-%s' "$NODE_VERSION" "$inputs"
}

npm_tarball() { # PACKAGE@VERSION: prints the path of its tarball in the download cache
  local dir="$WHARF_CONTAINERS_CACHE/downloads/npm" spec=$1 file
  mkdir -p "$dir"
  file="$dir/$(printf '%s' "${spec%@*}" | tr / -)-${spec##*@}.tgz"
  if [ ! -s "$file" ]; then
    (cd "$dir" && npm pack --silent "$spec" >/dev/null) || die "npm pack $spec failed"
  fi
  [ -s "$file" ] || die "npm pack $spec made no $file"
  printf '%s' "$file"
}

build() {
  local name rootfs started
  name="$(image_name)"
  if engine image exists "$name" 2>/dev/null || engine image inspect "$name" >/dev/null 2>&1; then
    printf '%s\n' "$name"
    return 0
  fi
  started="$(now_s)"
  [ "$(id -u)" -eq 0 ] || die "debootstrap and chroot need root (run with sudo)"
  command -v debootstrap >/dev/null 2>&1 || {
    log "installing debootstrap from Debian"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      -o DPkg::Lock::Timeout=300 debootstrap >/dev/null
  }
  local node_tgz npm_tgz
  node_tgz="$(npm_tarball "node-linux-$NODE_ARCH@$NODE_VERSION")"
  npm_tgz="$(npm_tarball "npm@$NPM_VERSION")"

  rootfs="$WHARF_CONTAINERS_CACHE/rootfs.tmp"
  rm -rf "$rootfs"
  mkdir -p "$rootfs" "$WHARF_CONTAINERS_CACHE/downloads/debs"
  log "debootstrap --variant=$BASE_VARIANT $BASE_SUITE"
  debootstrap --variant="$BASE_VARIANT" --cache-dir="$WHARF_CONTAINERS_CACHE/downloads/debs" \
    "$BASE_SUITE" "$rootfs" "$BASE_MIRROR" >"$WHARF_CONTAINERS_CACHE/debootstrap.log" 2>&1 ||
    die "debootstrap failed (see $WHARF_CONTAINERS_CACHE/debootstrap.log)"

  log "Node.js $NODE_VERSION and npm $NPM_VERSION"
  tar -xzf "$node_tgz" -C "$rootfs/usr/local/bin" --strip-components=2 package/bin/node
  mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$npm_tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  # The official image's non-root user, so the Dockerfile's USER node means the same on both bases.
  chroot "$rootfs" groupadd --gid 1000 node
  chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  # What a container never uses: apt's lists and archives, documentation.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*

  tar -C "$rootfs" --numeric-owner -c . |
    engine import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["node"]' - "$name" >/dev/null 2>>"$WHARF_CONTAINERS_CACHE/debootstrap.log"
  rm -rf "$rootfs"
  engine images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/wharf-base:' | grep -vxF "$name" |
    xargs -r "$ENGINE" rmi >/dev/null 2>&1 || true
  log "made $name in $(elapsed "$started")s"
  printf '%s\n' "$name"
}

case "${1:-}" in
  build)
    # One at a time per cache: they share the root filesystem's scratch directory.
    mkdir -p "$WHARF_CONTAINERS_CACHE"
    exec 8>"$WHARF_CONTAINERS_CACHE/base.lock"
    flock 8
    build
    ;;
  name) image_name && echo ;;
  *)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 2
    ;;
esac
