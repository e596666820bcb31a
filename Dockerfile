# The bridge worker, CLI, codec server and sandbox: one image, the command picks the role.
# Node 22 LTS; production dependencies only; runs as the unprivileged `node` user.

FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production
# V8 semi-spaces of 2 MiB instead of up to 16 (the worker has two isolates: activities, workflows):
# the worker's RSS drops by about 50 MiB, idle and during a sync (docs/configuration.md).
ENV NODE_OPTIONS=--max-semi-space-size=2
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
RUN mkdir -p /home/node/data && chown node:node /home/node/data
ENV BRIDGE_DATA_DIR=/home/node/data
USER node
# SIGTERM reaches node directly (exec form), so the worker shuts down gracefully.
ENTRYPOINT ["node", "src/cli/bin.js"]
CMD ["worker"]
