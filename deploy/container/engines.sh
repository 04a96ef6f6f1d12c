#!/usr/bin/env bash
# Images of the engines Wharf's distributed profile runs on, for the local compose variant
# (docker-compose.local.yml): Kafka, OpenSearch, FerretDB and the S3 server (Versity Gateway).
#
#   engines.sh build [ENGINE...]   build localhost/wharf-<engine>:<inputs> for each ENGINE
#                                  (kafka opensearch ferretdb s3; all when none is named) unless
#                                  it exists, also tagged :latest; prints the names
#   engines.sh name ENGINE         print that image's name (installs the artifact if missing)
#   engines.sh artifact ENGINE     print the path of the artifact deploy/local installed for it
#   engines.sh measure             each image's size
#
# No second set of versions: each image holds the very artifact `deploy/local/<engine>.sh
# install` puts in $WHARF_BACKENDS_CACHE (versions pinned in deploy/local/versions.env), copied
# into a build context under $WHARF_CONTAINERS_CACHE/context. All are built on the local base
# (base-image.sh); Kafka and OpenSearch on a Java image made from it (engines/java.Dockerfile says
# why Debian's JRE). The tag is a digest of the inputs (the base, the Dockerfile and entrypoint,
# the artifact's path, which names its version, and its files), so an unchanged input builds
# nothing. With a real Docker engine the base is the official node image (WHARF_IMAGE_BASE
# overrides), as for the service image.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ENGINES=(kafka opensearch ferretdb s3)
ENGINES_DIR="$CONTAINER_DIR/engines"
LOCAL_DIR="$REPO_DIR/deploy/local"

base() {
  if [ -n "${WHARF_IMAGE_BASE:-}" ]; then
    printf '%s' "$WHARF_IMAGE_BASE"
  elif [ "$ENGINE" = podman ]; then
    bash "$CONTAINER_DIR/base-image.sh" build
  else
    printf 'docker.io/library/node:24-bookworm-slim'
  fi
}

artifact() { # ENGINE: installs it with deploy/local if missing; prints its path
  bash "$LOCAL_DIR/$1.sh" install >&2
  bash "$LOCAL_DIR/$1.sh" path
}

# Files of the build context besides the artifact: the Dockerfile and the engine's entrypoint
# (and for Kafka deploy/local's logging configuration of the jars).
extras() {
  local f
  for f in "$ENGINES_DIR/$1".Dockerfile "$ENGINES_DIR/$1"-*.sh; do [ ! -f "$f" ] || echo "$f"; done
  [ "$1" != kafka ] || echo "$LOCAL_DIR/kafka/log4j2.properties"
}

digest() { # FROM-IMAGE ENGINE [ARTIFACT]
  {
    printf '%s\n%s\n' "$1" "${3:-}"
    extras "$2" | xargs sha256sum | sed "s#$REPO_DIR/##"
    if [ -d "${3:-}" ]; then
      (cd "$3" && find . -type f -printf '%P %s\n' | sort)
    elif [ -n "${3:-}" ]; then
      sha256sum <"$3"
    fi
  } | sha256sum | cut -c1-12
}

exists() { engine image inspect "$1" >/dev/null 2>&1; }

# build_image NAME ENGINE ARTIFACT-NAME ARTIFACT BUILD-ARGS...: the context is the Dockerfile,
# the entrypoint and the artifact (hard links into the backends cache where the filesystem allows).
build_image() {
  local name=$1 e=$2 aname=$3 art=$4 ctx started
  shift 4
  if exists "$name"; then return 0; fi
  started="$(now_s)"
  ctx="$WHARF_CONTAINERS_CACHE/context/$e"
  rm -rf "$ctx" && mkdir -p "$ctx"
  extras "$e" | xargs -I{} cp {} "$ctx/"
  if [ -n "$art" ]; then cp -al "$art" "$ctx/$aname" 2>/dev/null || cp -a "$art" "$ctx/$aname"; fi
  local args=("$@")
  [ "$ENGINE" = podman ] && args+=(--format docker)
  log "building $name"
  engine build --network host "${args[@]}" -f "$ctx/$e.Dockerfile" -t "$name" "$ctx" \
    >"$WHARF_CONTAINERS_CACHE/build-$e.log" 2>&1 || {
    tail -30 "$WHARF_CONTAINERS_CACHE/build-$e.log" >&2
    die "$e image build failed (whole log: $WHARF_CONTAINERS_CACHE/build-$e.log)"
  }
  rm -rf "$ctx"
  local repo=${name%:*}
  engine tag "$name" "$repo:latest"
  # Earlier builds' tags go; their layers stay while shared.
  engine images --format '{{.Repository}}:{{.Tag}}' | grep "^$repo:[0-9a-f]\{12\}\$" | grep -vxF "$name" |
    xargs -r "$ENGINE" rmi >/dev/null 2>&1 || true
  log "built $name in $(elapsed "$started")s"
}

java_image() { # BASE: builds the Java image if missing; prints its name
  local name
  name="localhost/wharf-java:$(digest "$1" java)"
  build_image "$name" java '' '' --build-arg "BASE=$1" >&2
  printf '%s' "$name"
}

# image ENGINE BUILD(0|1): prints the engine's image name; builds it (and the Java image) when BUILD=1.
image() {
  local e=$1 b from art aname name
  b="$(base)"
  art="$(artifact "$e")"
  case "$e" in
    kafka | opensearch)
      # The Java image's name is its digest; it is built only when the engine's image is.
      from="localhost/wharf-java:$(digest "$b" java)"
      aname=$([ "$e" = kafka ] && echo libs || echo opensearch)
      ;;
    ferretdb | s3)
      from="$b"
      aname=$([ "$e" = s3 ] && echo versitygw || echo ferretdb)
      ;;
    *) die "no engine image $e (one of ${ENGINES[*]})" ;;
  esac
  name="localhost/wharf-$e:$(digest "$from" "$e" "$art")"
  if [ "$2" = 1 ] && ! exists "$name"; then
    case "$e" in
      kafka | opensearch) build_image "$name" "$e" "$aname" "$art" --build-arg "JAVA=$(java_image "$b")" >&2 ;;
      *) build_image "$name" "$e" "$aname" "$art" --build-arg "BASE=$from" >&2 ;;
    esac
  fi
  printf '%s\n' "$name"
}

case "${1:-}" in
  build)
    shift
    [ $# -gt 0 ] || set -- "${ENGINES[@]}"
    bash "$CONTAINER_DIR/engine.sh" setup
    mkdir -p "$WHARF_CONTAINERS_CACHE"
    # One build at a time per cache (the service image's lock: they share the layer store).
    exec 9>"$WHARF_CONTAINERS_CACHE/build.lock"
    flock 9
    for e in "$@"; do image "$e" 1; done
    ;;
  name) image "${2:?engine}" 0 ;;
  artifact) artifact "${2:?engine}" ;;
  measure)
    for e in "${ENGINES[@]}"; do
      n="$(image "$e" 0)"
      printf '%-24s %s MB\n' "${n%:*}" "$(($(engine image inspect -f '{{.Size}}' "$n") / 1000000))"
    done
    ;;
  *)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 2
    ;;
esac
