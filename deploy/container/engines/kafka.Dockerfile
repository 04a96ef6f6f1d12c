# Apache Kafka (KRaft, one combined broker and controller) from the jars deploy/local/kafka.sh
# installs, on the Java image. Configured like the official apache/kafka image: every KAFKA_*
# variable is a server property (KAFKA_ADVERTISED_LISTENERS = advertised.listeners), so the
# compose files give both images the same environment (see kafka-entrypoint.sh).
ARG JAVA
FROM ${JAVA}
COPY libs /opt/kafka/libs
COPY log4j2.properties kafka-entrypoint.sh /opt/kafka/
RUN mkdir -p /var/lib/kafka/data && chown node:node /var/lib/kafka/data
USER node
EXPOSE 9092
ENTRYPOINT ["/opt/kafka/kafka-entrypoint.sh"]
