#!/usr/bin/env bash
# The distributed stack in containers (docker-compose.local.yml) on the local engine.
#
#   compose.sh up      build what changed (the service image, the engines' images), start the
#                      stack and wait for the gateway's /readyz on 127.0.0.1; prints the seconds
#   compose.sh down    remove the stack's containers, volumes and network; fails if any is left
#   compose.sh ps      the stack's containers
#   compose.sh left    what of the stack is left (containers, volumes, networks), one a line
#   compose.sh cli ARGS   the compose tool on the file and project (compose.sh cli logs gateway)
#
# Environment: WHARF_ADMIN_PASSWORD, WHARF_WEBHOOK_SECRET_KEY and WHARF_REGISTRY_TOKEN_KEY
# (required by the file, as by docker-compose.yml), WHARF_COMPOSE_PROJECT (default wharf-local),
# WHARF_COMPOSE_*_PORT (host ports, see the file), WHARF_COMPOSE_TIMEOUT (seconds to wait for the
# gateway, default 600), WHARF_COMPOSE_OVERRIDE (a compose file laid over the local file, e.g. the
# second, enforced gateway of test/container/compose.enforced.yml; give it to `down` too).
#
# The compose tool: with podman, podman-compose (PyPI, pinned in versions.env) in a venv under
# $WHARF_CONTAINERS_CACHE/tools: pure Python, installed in seconds, it runs podman's own CLI, so
# it needs neither the Docker-API socket nor BuildKit. (The docker CLI's compose plugin would have
# to be built from the Go module proxy, minutes of a cold build, and talks to podman through its
# Docker-API emulation.) With a real Docker engine: `docker compose`.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

FILE="$REPO_DIR/docker-compose.local.yml"
PROJECT="${WHARF_COMPOSE_PROJECT:-wharf-local}"
GATEWAY_PORT="${WHARF_COMPOSE_GATEWAY_PORT:-5000}"
TOOLS="$WHARF_CONTAINERS_CACHE/tools/podman-compose-$PODMAN_COMPOSE_VERSION"
FILES=(-f "$FILE")
[ -z "${WHARF_COMPOSE_OVERRIDE:-}" ] || FILES+=(-f "$WHARF_COMPOSE_OVERRIDE")

install_tool() {
  [ "$ENGINE" = podman ] || return 0
  [ -f "$TOOLS/.complete" ] && return 0
  log "installing podman-compose $PODMAN_COMPOSE_VERSION into $TOOLS"
  rm -rf "$TOOLS"
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/pip" install -q --disable-pip-version-check "podman-compose==$PODMAN_COMPOSE_VERSION" >&2
  touch "$TOOLS/.complete"
}

compose() {
  if [ "$ENGINE" = podman ]; then
    # No pod: containers on the project's network as docker compose runs them.
    "$TOOLS/bin/podman-compose" --in-pod=false -p "$PROJECT" "${FILES[@]}" "$@"
  else
    docker compose -p "$PROJECT" "${FILES[@]}" "$@"
  fi
}

ready() { curl -fsS --max-time 2 "http://127.0.0.1:$GATEWAY_PORT/readyz" >/dev/null 2>&1; }

left() {
  {
    engine ps -a --filter "label=io.podman.compose.project=$PROJECT" --format '{{.Names}}'
    engine ps -a --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Names}}'
  } | sort -u
  engine volume ls --format '{{.Name}}' | grep "^${PROJECT}_" || true
  engine network ls --format '{{.Name}}' | grep "^${PROJECT}_" || true
}

up() {
  local started images
  bash "$CONTAINER_DIR/engine.sh" setup
  install_tool
  # The exact images built for this checkout, not whatever :latest another checkout tagged.
  WHARF_IMAGE="$(bash "$CONTAINER_DIR/image.sh" build)"
  images="$(bash "$CONTAINER_DIR/engines.sh" build)"
  WHARF_KAFKA_IMAGE="$(grep wharf-kafka: <<<"$images")"
  WHARF_OPENSEARCH_IMAGE="$(grep wharf-opensearch: <<<"$images")"
  WHARF_FERRETDB_IMAGE="$(grep wharf-ferretdb: <<<"$images")"
  WHARF_S3_IMAGE="$(grep wharf-s3: <<<"$images")"
  export WHARF_IMAGE WHARF_KAFKA_IMAGE WHARF_OPENSEARCH_IMAGE WHARF_FERRETDB_IMAGE WHARF_S3_IMAGE
  ready && die "something already answers on 127.0.0.1:$GATEWAY_PORT"
  started="$(now_s)"
  compose up -d >"$WHARF_CONTAINERS_CACHE/compose-$PROJECT.log" 2>&1 || {
    tail -30 "$WHARF_CONTAINERS_CACHE/compose-$PROJECT.log" >&2
    die "compose up failed (whole log: $WHARF_CONTAINERS_CACHE/compose-$PROJECT.log)"
  }
  local timeout="${WHARF_COMPOSE_TIMEOUT:-600}"
  for _ in $(seq 1 $((timeout * 2))); do
    ready && break
    sleep 0.5
  done
  if ! ready; then
    compose ps >&2 || true
    for s in gateway metadata search blob webhooks; do
      printf -- '----- %s -----\n' "$s" >&2
      compose logs --tail 15 "$s" 2>&1 | grep -v 'unable to get systemd connection' >&2 || true
    done
    die "the gateway did not answer 127.0.0.1:$GATEWAY_PORT/readyz within ${timeout}s"
  fi
  log "stack $PROJECT ready on http://127.0.0.1:$GATEWAY_PORT in $(elapsed "$started")s"
  elapsed "$started"
  echo
}

down() {
  install_tool
  compose down -v -t 10 >>"$WHARF_CONTAINERS_CACHE/compose-$PROJECT.log" 2>&1 || true
  # What compose did not remove (a network, with podman-compose), removed by name.
  local rest
  rest="$(left)"
  if [ -n "$rest" ]; then
    engine rm -f $(engine ps -aq --filter "label=io.podman.compose.project=$PROJECT") >/dev/null 2>&1 || true
    engine volume ls --format '{{.Name}}' | grep "^${PROJECT}_" | xargs -r "$ENGINE" volume rm -f >/dev/null 2>&1 || true
    engine network ls --format '{{.Name}}' | grep "^${PROJECT}_" | xargs -r "$ENGINE" network rm -f >/dev/null 2>&1 || true
  fi
  rest="$(left)"
  [ -z "$rest" ] || die "left behind: $rest"
  log "stack $PROJECT removed"
}

# `down`, `ps` and `logs` read the file too: its required secrets get placeholders when unset.
placeholders() {
  export WHARF_ADMIN_PASSWORD="${WHARF_ADMIN_PASSWORD:-unused-for-down}"
  export WHARF_WEBHOOK_SECRET_KEY="${WHARF_WEBHOOK_SECRET_KEY:-unused-for-down}"
  export WHARF_REGISTRY_TOKEN_KEY="${WHARF_REGISTRY_TOKEN_KEY:-unused-for-down}"
}

case "${1:-}" in
  up) up ;;
  down) placeholders && down ;;
  ps) placeholders && install_tool && compose ps ;;
  left) left ;;
  cli)
    shift
    placeholders && install_tool && compose "$@"
    ;;
  *)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 2
    ;;
esac
