#!/usr/bin/env bash
# The local container engine (docs: README "Run it in containers").
#
#   engine.sh setup     install podman and runc (Debian's packages) if missing and write the
#                       project's own configuration into $WHARF_CONTAINERS_CACHE/conf; idempotent
#   engine.sh env       print the exports that point podman (and the docker CLI) at that engine
#   engine.sh service   start the Docker-API socket (podman system service) for docker CLIs and
#                       testcontainers, unless it answers already; prints DOCKER_HOST
#   engine.sh service-running   exit status 0 when that socket answers
#   engine.sh service-stop
#   engine.sh info      which engine, where its storage is
#   engine.sh cli ARGS  the engine's CLI with the project's configuration (engine.sh cli ps -a)
#
# On a machine with a real Docker engine (docker info answers), setup and service do nothing
# and the scripts use docker. The configuration is what this kind of sandbox needs:
# no default ulimits (the sandbox refuses podman's), the cgroupfs manager and runc (crun refuses
# the hybrid cgroup layout), file event logs (no journald). Nothing outside the cache is written
# but Debian's packages.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

install_packages() {
  local missing=()
  command -v podman >/dev/null 2>&1 || missing+=(podman)
  command -v runc >/dev/null 2>&1 || missing+=(runc)
  # Names of a compose project's containers resolved on its network (podman 4.3's CNI backend).
  [ -x /usr/lib/cni/dnsname ] || missing+=(golang-github-containernetworking-plugin-dnsname)
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "install ${missing[*]} (no apt-get on this machine)"
  log "installing ${missing[*]} from Debian"
  local sudo=
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  # Package lists are often absent on fresh CI images.
  if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then $sudo apt-get update -qq; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
}

write_if_changed() { # PATH: content on stdin
  local tmp
  tmp="$(mktemp)"
  cat >"$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1"; fi
}

write_config() {
  mkdir -p "$CONF_DIR" "$WHARF_CONTAINERS_CACHE"/{storage,run,tmp,volumes}
  local driver=overlay
  # overlay needs a filesystem that takes overlay mounts (ext4, xfs); vfs works everywhere.
  case "$(stat -f -c %T "$WHARF_CONTAINERS_CACHE")" in ext2/ext3 | xfs | btrfs) ;; *) driver=vfs ;; esac
  write_if_changed "$CONTAINERS_STORAGE_CONF" <<CONF
# Written by deploy/container/engine.sh: the engine's storage, outside the checkout.
[storage]
driver = "$driver"
graphroot = "$WHARF_CONTAINERS_CACHE/storage"
runroot = "$WHARF_CONTAINERS_CACHE/run/storage"
CONF
  write_if_changed "$CONTAINERS_CONF" <<CONF
# Written by deploy/container/engine.sh (read through CONTAINERS_CONF).
[containers]
# The sandbox refuses the default ulimits podman and crun set.
default_ulimits = []
log_driver = "k8s-file"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
tmp_dir = "$WHARF_CONTAINERS_CACHE/run/libpod"
volume_path = "$WHARF_CONTAINERS_CACHE/volumes"
static_dir = "$WHARF_CONTAINERS_CACHE/storage/libpod"
CONF
  # No registry is reachable here; short names resolve to Docker Hub where one is.
  write_if_changed "$CONTAINERS_REGISTRIES_CONF" <<'CONF'
unqualified-search-registries = ["docker.io"]
short-name-mode = "permissive"
CONF
}

print_env() {
  printf 'export WHARF_CONTAINER_ENGINE=%s\n' "$ENGINE"
  if [ "$ENGINE" = podman ]; then
    printf 'export CONTAINERS_CONF=%q CONTAINERS_STORAGE_CONF=%q CONTAINERS_REGISTRIES_CONF=%q\n' \
      "$CONTAINERS_CONF" "$CONTAINERS_STORAGE_CONF" "$CONTAINERS_REGISTRIES_CONF"
    [ -S "$SOCKET" ] && printf 'export DOCKER_HOST=unix://%s\n' "$SOCKET"
  fi
  return 0
}

socket_answers() { curl -fsS --max-time 2 --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; }

start_service() {
  if [ "$ENGINE" = docker ]; then return 0; fi
  if socket_answers; then
    printf 'export DOCKER_HOST=unix://%s\n' "$SOCKET"
    return 0
  fi
  rm -f "$SOCKET"
  # --time 0: serve until stopped. Its pid is kept to stop it, never a broad kill.
  nohup podman system service --time 0 "unix://$SOCKET" >"$WHARF_CONTAINERS_CACHE/run/service.log" 2>&1 &
  echo $! >"$WHARF_CONTAINERS_CACHE/run/service.pid"
  for _ in $(seq 1 100); do
    socket_answers && break
    sleep 0.1
  done
  socket_answers || die "podman system service did not answer (see $WHARF_CONTAINERS_CACHE/run/service.log)"
  log "Docker API at unix://$SOCKET"
  printf 'export DOCKER_HOST=unix://%s\n' "$SOCKET"
}

stop_service() {
  local pf="$WHARF_CONTAINERS_CACHE/run/service.pid" pid
  [ -f "$pf" ] || return 0
  pid="$(cat "$pf")"
  if kill -0 "$pid" 2>/dev/null && grep -qa 'system' "/proc/$pid/cmdline"; then kill "$pid"; fi
  rm -f "$pf" "$SOCKET"
}

case "${1:-}" in
  setup)
    if [ "$ENGINE" = docker ]; then log "using the machine's Docker engine"; exit 0; fi
    install_packages
    write_config
    ;;
  env) print_env ;;
  service) start_service ;;
  service-running) [ "$ENGINE" = docker ] || socket_answers ;;
  service-stop) stop_service ;;
  cli)
    shift
    engine "$@"
    ;;
  info)
    printf 'engine: %s\n' "$ENGINE"
    [ "$ENGINE" = podman ] && printf 'storage: %s\nconfig: %s\n' "$WHARF_CONTAINERS_CACHE/storage" "$CONTAINERS_CONF"
    engine version --format '{{.Client.Version}}' 2>/dev/null || true
    ;;
  *)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 2
    ;;
esac
