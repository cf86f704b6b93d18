# syntax=docker/dockerfile:1
# One image for every role. Embedded mode (all roles, in-process bus, chDB) in one container:
#   docker run -p 8080:8080 -p 8081:8081 -e TOKUMEI_API_TOKEN=<long random string> -v tokumei-data:/app/data tokumei
# (the API refuses to listen beyond loopback without a token). docker-compose.yml runs the same image once per role,
# with Kafka and a ClickHouse server.
# There is no build step: the `tokumei` bin runs the TypeScript sources through tsx.

# Stage 1: only the package manifests, so the `npm ci` layer below is rebuilt when dependencies change and not on
# every source edit. The globs match the root package.json's "workspaces". (npm therefore finds no bin file to link
# into node_modules/.bin; the ENTRYPOINT runs the bin by its path instead.)
FROM node:20-bookworm-slim AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p /out \
 && cp package.json package-lock.json /out/ \
 && for f in packages/*/package.json apps/*/package.json; do \
      mkdir -p "/out/$(dirname "$f")" && cp "$f" "/out/$f"; \
    done

FROM node:20-bookworm-slim
WORKDIR /app

# Everything in the lockfile, chDB included (~570 MB, a prebuilt library: no compiler needed). Only embedded mode
# loads it; the distributed roles talk to a ClickHouse server, but one simple image serves both modes.
COPY --from=manifests /out/ ./
RUN npm ci --no-audit --no-fund \
 && npm cache clean --force

COPY . .

# Containers reach each other over the network, so the HTTP services bind every interface (the default,
# 127.0.0.1, would be unreachable from outside the container). Embedded chDB data and the salt file live in
# /app/data; mount a volume there to keep them.
ENV TOKUMEI_HOST=0.0.0.0
ENV TOKUMEI_DATA_DIR=/app/data
RUN mkdir -p /app/data && chown node:node /app/data

USER node
# INGEST_PORT and API_PORT defaults.
EXPOSE 8080 8081

# Exec form: node is the process that receives SIGTERM, and the CLI drains the bus and the worker on it.
ENTRYPOINT ["node", "apps/tokumei/bin/tokumei.js"]
CMD ["start"]
