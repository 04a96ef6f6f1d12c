# Java 17 for the Kafka and OpenSearch images (deploy/container/engines.sh): Debian's
# openjdk-17-jre-headless, installed into the local base. The same package deploy/local runs the
# engines on (/usr/lib/jvm/java-17-openjdk-<arch>), built for the base's Debian release, so its
# libraries match the image's; copying the machine's JDK in would tie the image to the machine's
# distribution and to a JDK the machine may not have (or have as Temurin, laid out differently).
ARG BASE
FROM ${BASE}
# man1 must exist for the JRE's postinst (alternatives for its man pages); the base drops docs.
RUN mkdir -p /usr/share/man/man1 && apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null && \
    ln -s "$(dirname "$(dirname "$(readlink -f /usr/bin/java)")")" /opt/java && \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/share/doc/* /usr/share/man/*
ENV JAVA_HOME=/opt/java
