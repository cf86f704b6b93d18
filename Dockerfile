# syntax=docker/dockerfile:1
# One image for every role. Embedded mode (all roles, in-process bus, chDB) in one container:
#   docker run -p 8080:8080 -p 8081:8081 -e TOKUMEI_API_TOKEN=<long random string> -v tokumei-data:/app/data tokumei
# (the API refuses to listen beyond loopback without a token). docker-compose.yml runs the same image once per role,
# with Kafka and a ClickHouse server.
# Three stages: the manifests alone (so dependency layers are rebuilt only when dependencies change), a build stage
# with every dependency that compiles the TypeScript and minifies the tracker, and the runtime stage with production
# dependencies and the compiled JavaScript only: no tsx, TypeScript, vitest, eslint or playwright in the image.

# Stage 1: only the package manifests. The globs match the root package.json's "workspaces".
FROM node:20-bookworm-slim AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p /out \
 && cp package.json package-lock.json /out/ \
 && for f in packages/*/package.json apps/*/package.json; do \
      mkdir -p "/out/$(dirname "$f")" && cp "$f" "/out/$f"; \
    done

# Stage 2: compile. --ignore-scripts: the root `prepare` (the build) needs the sources, copied after this layer.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY --from=manifests /out/ ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
# The build stage's own nested node_modules (development versions) must not reach the runtime stage's.
RUN npm run build && find packages apps -name node_modules -prune -exec rm -rf {} +

# Stage 3: what runs. chDB (~570 MB, a prebuilt library: no compiler needed) is a production dependency; only embedded
# mode loads it, but one simple image serves both modes. Its install script is empty, so --ignore-scripts loses nothing.
FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=manifests /out/ ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
 && npm cache clean --force
# The compiled packages and what they read at run time next to their code: migrations, the dashboard, the tracker.
COPY --from=build /src/packages/ ./packages/
COPY --from=build /src/apps/ ./apps/

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
