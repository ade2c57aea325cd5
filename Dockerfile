# aics daemon image: docker build -t aics . (see docs/deploy.md)
# Build stage: better-sqlite3 compiles from source (python3, make, g++), TypeScript is built, dev packages pruned.
FROM node:20-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The project's .npmrc points node-gyp at /usr (Debian's node); in this image Node's headers are under /usr/local.
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: no compilers; the same base image, so the compiled better-sqlite3 matches its Node.
FROM node:20-slim
ENV NODE_ENV=production NO_COLOR=1
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
RUN mkdir -p /app/db /app/logs /app/files && chown node:node /app/db /app/logs /app/files
USER node
VOLUME /app/db
EXPOSE 6060
# The minimal /api/health answers without the token.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
  CMD node -e "fetch('http://127.0.0.1:6060/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# 0.0.0.0 so that -p 6060:6060 reaches it: the daemon refuses to start without AICS_API_TOKEN (docker run -e).
CMD ["node", "bin/run.js", "serve", "--api-only", "--host", "0.0.0.0"]
