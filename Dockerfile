# One image for both processes: compose picks `node dist/api/server.js` or `node dist/worker.js`.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Lockfile first so the dependency layer is reused when only sources change.
COPY package.json package-lock.json ./
# npm ci's postinstall applies these fixes to dependencies (patch-package).
COPY patches ./patches
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci's postinstall applies these fixes to dependencies (patch-package).
COPY patches ./patches
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
# dist/ only: the worker bundles the compiled dist/workflows, so no TypeScript sources are needed.
COPY --from=build /app/dist ./dist
# db/migrate.ts resolves ./migrations beside its compiled file, i.e. dist/db/migrations.
COPY db/migrations ./dist/db/migrations
# The console reads its stylesheet beside its compiled routes (htmx and Pico come from node_modules).
COPY api/console/assets ./dist/api/console/assets
USER node
EXPOSE 3000
CMD ["node", "dist/api/server.js"]
