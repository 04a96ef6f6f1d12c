#!/usr/bin/env bash
# KAFKA_<NAME> variables become server properties (<name> lower-cased, _ as .), as in the
# official image; KAFKA_HEAP_OPTS is the heap and KAFKA_CLUSTER_ID the cluster id the log
# directory is formatted with on first start.
set -euo pipefail
props=/tmp/server.properties
: >"$props"
for var in $(compgen -e); do
  case "$var" in
    KAFKA_HEAP_OPTS | KAFKA_CLUSTER_ID) ;;
    KAFKA_*)
      key="$(printf '%s' "${var#KAFKA_}" | tr 'A-Z_' 'a-z.')"
      printf '%s=%s\n' "$key" "${!var}" >>"$props"
      ;;
  esac
done
grep -q '^log.dirs=' "$props" || echo 'log.dirs=/var/lib/kafka/data' >>"$props"
log4j="-Dlog4j2.configurationFile=/opt/kafka/log4j2.properties"
dir="$(sed -n 's/^log.dirs=//p' "$props" | cut -d, -f1)"
if [ ! -f "$dir/meta.properties" ]; then
  java -Xmx256m "$log4j" -cp '/opt/kafka/libs/*' kafka.tools.StorageTool format \
    -t "${KAFKA_CLUSTER_ID:-V2hhcmZMb2NhbEthZmthMQ}" -c "$props" --ignore-formatted
fi
read -r -a heap <<<"${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
exec java "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true "$log4j" \
  -cp '/opt/kafka/libs/*' kafka.Kafka "$props"
