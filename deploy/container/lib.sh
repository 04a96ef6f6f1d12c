#!/usr/bin/env bash
# Shared helpers for deploy/container/*.sh (sourced, not executed): which engine, where its
# storage and configuration live, logging. Everything the engine keeps (images, layers, the
# base root filesystem) lives in $WHARF_CONTAINERS_CACHE, outside the checkout, so images
# survive between runs on one machine; the machine's global configuration is never touched.

CONTAINER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$CONTAINER_DIR/../.." && pwd)"
# shellcheck source=versions.env
. "$CONTAINER_DIR/versions.env"

WHARF_CONTAINERS_CACHE="${WHARF_CONTAINERS_CACHE:-$HOME/.cache/wharf-containers}"
CONF_DIR="$WHARF_CONTAINERS_CACHE/conf"
SOCKET="$WHARF_CONTAINERS_CACHE/run/docker.sock"

log() { printf '[container] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now_s() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }'; }

# The engine: a real Docker engine when the machine has one (docker info answers and the
# answer is not our own podman socket), else podman with the project's configuration.
# WHARF_CONTAINER_ENGINE=docker|podman forces the choice.
detect_engine() {
  if [ -n "${WHARF_CONTAINER_ENGINE:-}" ]; then
    printf '%s' "$WHARF_CONTAINER_ENGINE"
  elif command -v docker >/dev/null 2>&1 && [ "${DOCKER_HOST:-}" != "unix://$SOCKET" ] &&
    docker info --format '{{.OperatingSystem}}' >/dev/null 2>&1; then
    printf docker
  else
    printf podman
  fi
}
ENGINE="$(detect_engine)"

# The podman configuration of the project (see engine.sh setup), in every podman call.
export CONTAINERS_CONF="$CONF_DIR/containers.conf"
export CONTAINERS_STORAGE_CONF="$CONF_DIR/storage.conf"
export CONTAINERS_REGISTRIES_CONF="$CONF_DIR/registries.conf"

# `engine ARGS...`: the engine's CLI (podman and docker take the same arguments here).
engine() { "$ENGINE" "$@"; }
