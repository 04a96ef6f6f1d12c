# The S3 server: Versity S3 Gateway, the binary deploy/local/s3.sh builds (static). The command
# gives the credentials, port and backend (compose: --access … posix /data).
ARG BASE
FROM ${BASE}
COPY versitygw /usr/local/bin/versitygw
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 7070
ENTRYPOINT ["/usr/local/bin/versitygw"]
