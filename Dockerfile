# syntax=docker/dockerfile:1
# The image runs the TypeScript sources the way `npm start` does (tsx is a production
# dependency), so the set-up commands work in it too: `npm run zalo:authorize`,
# `npm run telegram:webhook -- https://…`, `npm run messenger:setup`, `npm run check`.

# Dependencies: production ones only (no compiler, test runner, linter or browser driver).
# This stage has the full toolchain in case better-sqlite3 must build its native binding.
FROM node:20-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Run: those dependencies, the sources, content and config; not root.
FROM node:20-bookworm-slim AS run
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 DATA_DIR=/data CONFIG_DIR=/app/config FLOWS_DIR=/app/flows
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY adapters ./adapters
# Defaults baked in; docker-compose.yml mounts ./config and ./flows over them, so content
# changes need a restart, not a rebuild.
COPY config ./config
COPY flows ./flows
# /media: where compose mounts the volume every app process shares for files (MEDIA_DIR);
# a new named volume takes this directory's owner, so the non-root user can write there.
RUN mkdir -p /data /media && chown node:node /data /media
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# What `npm start` runs (tsx src/cli/server.ts), as one process: SIGTERM reaches the server
# itself, which finishes acknowledged work and exits within 10 s.
CMD ["node", "--import", "tsx", "src/cli/server.ts"]
