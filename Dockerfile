# One image for both services (and the operator CLI); the command picks which one runs.
#   docker build -t tokens-done-right .
#   docker run … tokens-done-right                                               # download server (default)
#   docker run … tokens-done-right node --import tsx app-server/src/main.ts     # app server
#   docker run … tokens-done-right node cli/bin.js --help                       # operator CLI
# docker-compose.yml wires them together; docs/deploy.md explains it.

# ---- build: install exactly the lock file's dependencies; better-sqlite3 compiles here ----
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# tsx is a runtime dependency (the services run their TypeScript directly), so dev tools can go.
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime: no compilers, no package manager cache, not root ----
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    HEALTHCHECK_URL=http://127.0.0.1:3001/healthz
WORKDIR /app
# Code and dependencies belong to root and are read-only to the `node` user that runs them.
COPY --from=build /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY shared ./shared
COPY download-server ./download-server
COPY app-server ./app-server
COPY cli ./cli
# Mount points exist in the image, owned by `node`, so that fresh named volumes mounted on them
# start out writable by `node` (Docker copies the directory's owner into an empty volume).
# /data/files too: compose mounts the files volume there, inside the app-data volume.
RUN mkdir -p /data/files /srv/files /run/keys/signing /run/keys/public \
 && chown node:node /data /data/files /srv/files /run/keys/signing /run/keys/public \
 && chmod 0700 /run/keys/signing
USER node
EXPOSE 3000 3001
# Both servers close their listening socket on SIGTERM and let running downloads finish.
STOPSIGNAL SIGTERM
# No curl in the slim image: Node's own fetch. Each service sets HEALTHCHECK_URL to its /healthz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch(process.env.HEALTHCHECK_URL,{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# node directly, not `npm run`: npm does not pass SIGTERM on to the server (it runs it through
# `sh -c`, which does not forward signals), so `docker stop` would end in SIGKILL mid-download.
CMD ["node", "--import", "tsx", "download-server/src/main.ts"]
