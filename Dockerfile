# CanCan's production image: `docker compose up --build` (docker-compose.yml) runs it with PostgreSQL and Redis.
# Node 24 (an LTS line in `engines`); the build and runtime stages share the base, so the compiled
# better-sqlite3 binary fits the runtime.

FROM node:24-bookworm-slim AS build
WORKDIR /app
# The official images keep the Node headers under /usr/local: a source build needs no header download.
ENV npm_config_nodedir=/usr/local
# better-sqlite3 builds from source when no prebuilt binary downloads: python3, make and g++.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Scripts off: `prepare` would build before the sources are here; better-sqlite3 is built on its own below.
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    CANCAN_DATA_DIR=/data \
    CANCAN_METRICS_PORT=9464
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist/src ./dist/src
COPY LICENSE ./LICENSE
# The data dir (master key, simulator ledger, SQLite when no DATABASE_URL) belongs to the unprivileged user.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# 8080: the API, checkout and dashboard. 9464: /metrics, for a scraper on the container network (not published).
EXPOSE 8080 9464
# /healthz answers while the process runs (no database query); the slim image has no curl, node has fetch.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve"]
