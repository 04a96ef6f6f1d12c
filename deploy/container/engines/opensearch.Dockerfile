# OpenSearch (single node, plain HTTP) from the distribution deploy/local/opensearch.sh installs,
# on the Java image, run as the non-root user (OpenSearch refuses root). Configured like the
# official image: variables named like settings (discovery.type=single-node) become -E options,
# OPENSEARCH_JAVA_OPTS is the heap (see opensearch-entrypoint.sh).
ARG JAVA
FROM ${JAVA}
COPY --chown=node:node opensearch /usr/share/opensearch
COPY opensearch-entrypoint.sh /usr/share/opensearch/
# The distribution's 1 GB heap goes: OPENSEARCH_JAVA_OPTS sets it, as deploy/local does.
RUN sed -i '/^-Xm[sx]/d' /usr/share/opensearch/config/jvm.options && \
    printf '%s\n' 'network.host: 0.0.0.0' 'cluster.routing.allocation.disk.threshold_enabled: false' \
      'action.auto_create_index: true' >/usr/share/opensearch/config/opensearch.yml && \
    mkdir -p /usr/share/opensearch/data && chown -R node:node /usr/share/opensearch/data /usr/share/opensearch/config
USER node
WORKDIR /usr/share/opensearch
ENV OPENSEARCH_JAVA_HOME=/opt/java
EXPOSE 9200
ENTRYPOINT ["/usr/share/opensearch/opensearch-entrypoint.sh"]
