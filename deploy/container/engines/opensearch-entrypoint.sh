#!/usr/bin/env bash
# Variables whose names look like settings (lower case with a dot: discovery.type) are passed as
# -E options, as the official image does; everything else is OpenSearch's own environment.
set -euo pipefail
settings=()
while IFS= read -r -d '' kv; do
  case "${kv%%=*}" in *.*) [[ "${kv%%=*}" =~ ^[a-z0-9_.]+$ ]] && settings+=("-E$kv") ;; esac
done < <(env -0)
exec /usr/share/opensearch/bin/opensearch "${settings[@]}" "$@"
