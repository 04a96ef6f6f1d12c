# The MongoDB-wire server: FerretDB v1 on SQLite, the binary deploy/local/ferretdb.sh builds
# (static, with the project's patches). Data in /data/db, where the official mongo image keeps it.
ARG BASE
FROM ${BASE}
COPY ferretdb /usr/local/bin/ferretdb
RUN mkdir -p /data/db && chown node:node /data/db
USER node
EXPOSE 27017
ENTRYPOINT ["/usr/local/bin/ferretdb", "--listen-addr=:27017", "--handler=sqlite", "--sqlite-url=file:/data/db/"]
