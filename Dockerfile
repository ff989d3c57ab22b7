# syntax=docker/dockerfile:1

# Build stage: dev dependencies are needed for tsc and for bundling the workflow code.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Emits dist/ and dist/workflow-bundle.js, so workers start without webpack.
RUN npm run build

# Runtime stage: production dependencies, compiled code and the SQL migrations only.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
# dist/db/migrate.js resolves ../../migrations, i.e. /app/migrations.
COPY migrations ./migrations
# The live attendance page is plain static files, served from where they live in the source tree.
COPY src/api/live/static ./src/api/live/static

# Files stay root-owned: the app never writes to /app (DATABASE_URL is set, so no embedded PostgreSQL).
USER node
EXPOSE 3000

# Liveness only; slim images have no curl, so use node's fetch. The worker has no HTTP port: compose disables this for it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "dist/api/main.js"]
