#!/usr/bin/env bash
# Wharf's service image (deploy/docker/Dockerfile), built and run on the local engine.
#
#   image.sh build        build localhost/wharf:<inputs> unless it exists; prints its name
#   image.sh name         print that name
#   image.sh run NAME     run the image (embedded profile) as container NAME on the host's
#                         network, listening on 127.0.0.1:$WHARF_PORT (default 5000), authentication
#                         open; waits for /readyz and prints the seconds it took
#   image.sh health NAME  run the image's HEALTHCHECK in container NAME once (podman: healthcheck
#                         run, as podman needs systemd for periodic checks; docker: wait for its
#                         health status); exit status 0 when healthy
#   image.sh rm NAME      remove that container
#   image.sh measure      size of the image and start time to /readyz (a throwaway container)
#
# The tag is a digest of everything the Dockerfile copies (and the base), so an unchanged
# checkout builds nothing; a changed one rebuilds from the engine's layer cache. With podman
# the base is the image made by base-image.sh (no registry to pull from here); with a real
# Docker engine the Dockerfile's default, the official node image (WHARF_IMAGE_BASE overrides).
# Builds use the host's network (the sandbox's container networks may not reach the npm registry).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

BUILD_INPUTS=(package.json package-lock.json tsconfig.json tsconfig.build.json libs services scripts bin deploy/docker/Dockerfile .dockerignore)

base() {
  if [ -n "${WHARF_IMAGE_BASE:-}" ]; then
    printf '%s' "$WHARF_IMAGE_BASE"
  elif [ "$ENGINE" = podman ]; then
    bash "$CONTAINER_DIR/base-image.sh" build
  fi
}

image_name() { # BASE
  local digest
  digest="$(
    cd "$REPO_DIR"
    {
      printf '%s\n' "$1"
      git ls-files -z -co --exclude-standard -- "${BUILD_INPUTS[@]}" | sort -z | xargs -0 sha256sum
    } | sha256sum | cut -c1-12
  )"
  printf 'localhost/wharf:%s' "$digest"
}

exists() { engine image inspect "$1" >/dev/null 2>&1; }

build() {
  local b name started ca args=()
  bash "$CONTAINER_DIR/engine.sh" setup
  b="$(base)"
  name="$(image_name "$b")"
  if exists "$name"; then
    printf '%s\n' "$name"
    return 0
  fi
  started="$(now_s)"
  [ -n "$b" ] && args+=(--build-arg "BASE=$b")
  # Egress that re-signs TLS: hand npm the host's extra CA bundle as a build secret.
  ca="${NODE_EXTRA_CA_CERTS:-}"
  if [ -n "$ca" ] && [ -s "$ca" ]; then args+=(--secret "id=npm_ca,src=$ca"); fi
  # Podman writes OCI images by default, which drop HEALTHCHECK.
  [ "$ENGINE" = podman ] && args+=(--format docker)
  log "building $name from ${b:-the official node image}"
  engine build --network host "${args[@]}" -f "$REPO_DIR/deploy/docker/Dockerfile" -t "$name" "$REPO_DIR" \
    >"$WHARF_CONTAINERS_CACHE/build.log" 2>&1 || {
    tail -40 "$WHARF_CONTAINERS_CACHE/build.log" >&2
    die "image build failed (whole log: $WHARF_CONTAINERS_CACHE/build.log)"
  }
  engine tag "$name" localhost/wharf:latest
  # Earlier builds' tags go (their layers stay as the build cache while they are shared).
  engine images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/wharf:[0-9a-f]\{12\}$' | grep -vxF "$name" |
    xargs -r "$ENGINE" rmi >/dev/null 2>&1 || true
  log "built $name in $(elapsed "$started")s"
  printf '%s\n' "$name"
}

# Podman without systemd says on every run and removal that it cannot add timers for periodic
# health checks (image.sh health runs the check itself); nothing else it says is dropped.
quiet() { grep -v 'unable to get systemd connection' || true; }

ready() { curl -fsS --max-time 2 "http://127.0.0.1:$1/readyz" >/dev/null 2>&1; }

run() { # CONTAINER_NAME: prints the seconds from start to a ready /readyz
  local cname=$1 port="${WHARF_PORT:-5000}" image started
  image="$(locked_build)"
  ready "$port" && die "something already answers on 127.0.0.1:$port"
  started="$(now_s)"
  engine run -d --name "$cname" --network host \
    -e WHARF_HOST=127.0.0.1 -e WHARF_PORT="$port" -e WHARF_AUTH_MODE=open \
    -e WHARF_PUBLIC_URL="http://127.0.0.1:$port" "$image" 2>&1 >/dev/null | quiet >&2
  for _ in $(seq 1 600); do
    ready "$port" && break
    [ "$(engine inspect -f '{{.State.Running}}' "$cname" 2>/dev/null)" = true ] || {
      engine logs "$cname" 2>&1 | tail -30 >&2
      die "container $cname stopped"
    }
    sleep 0.1
  done
  ready "$port" || die "container $cname not ready on 127.0.0.1:$port after 60s"
  elapsed "$started"
  echo
}

health() { # CONTAINER_NAME
  if [ "$ENGINE" = podman ]; then
    podman healthcheck run "$1" >/dev/null 2>&1
  else
    local status
    for _ in $(seq 1 120); do
      status="$(docker inspect -f '{{.State.Health.Status}}' "$1")"
      [ "$status" = healthy ] && return 0
      [ "$status" = unhealthy ] && return 1
      sleep 0.5
    done
    return 1
  fi
}

# One build at a time per cache (two test files, or two checkouts, may ask at once): the second
# waits and then finds the image made.
locked_build() {
  mkdir -p "$WHARF_CONTAINERS_CACHE"
  exec 9>"$WHARF_CONTAINERS_CACHE/build.lock"
  flock 9
  build
  exec 9>&-
}

case "${1:-}" in
  build) locked_build ;;
  name) image_name "$(base)" && echo ;;
  run) run "${2:?container name}" ;;
  health) health "${2:?container name}" ;;
  rm) engine rm -f "${2:?container name}" 2>&1 >/dev/null | quiet >&2 ;;
  measure)
    image="$(locked_build)"
    size="$(engine image inspect -f '{{.Size}}' "$image")"
    cname="wharf-measure-$$"
    trap 'engine rm -f "$cname" >/dev/null 2>&1 || true' EXIT
    secs="$(WHARF_PORT="${WHARF_PORT:-15999}" run "$cname")"
    printf 'image %s: %s MB, ready in %ss\n' "$image" "$((size / 1000000))" "$secs"
    ;;
  *)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 2
    ;;
esac
