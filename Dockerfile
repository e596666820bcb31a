# The bridge worker (and CLI). Node 22 LTS; runs as the unprivileged `node` user.
FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
USER node
ENTRYPOINT ["node", "src/cli/bin.js"]
CMD ["worker"]
