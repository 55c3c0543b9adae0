# One Dockerfile for every app: `--target auth|order|cart` (skaffold.yaml builds each).
# The three apps share every stage but the last, so one dependency install and one build serve
# all three images, and the images differ only in the `dist/` folder they copy.

# Pinned to an exact Node release (24 is the image line; the code also runs on Node 20.19+).
# Pin the digest as well (`node:24.21.0-bookworm-slim@sha256:...`) where a registry is at hand,
# and let Renovate/Dependabot bump both together.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app

# ---- build: every dependency (the Nest CLI and TypeScript are devDependencies), then compile ----
FROM base AS build
# Only a path, never a secret: where TLS to the registry is intercepted, pass the host CA bundle
# with `--build-arg NODE_EXTRA_CA_CERTS=/ca/ca.pem -v /etc/ssl/certs:/ca:ro`. It stays in this stage.
ARG NODE_EXTRA_CA_CERTS
# Manifests first: the install layer is reused until package-lock.json changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY libs ./libs
COPY apps ./apps
RUN npm run build

# ---- production dependencies only: what package.json "dependencies" lists, nothing else ----
FROM base AS production-dependencies
ARG NODE_EXTRA_CA_CERTS
COPY package.json package-lock.json ./
# No production dependency needs an install script; refusing them all shrinks the supply chain.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

# ---- runtime: shared by the three app targets ----
FROM base AS runtime
ENV NODE_ENV=production \
    PORT=3000
COPY package.json ./
COPY --from=production-dependencies /app/node_modules ./node_modules
# Numeric uid/gid, not a name: the kubelet can only enforce `runAsNonRoot` on a numeric USER.
# No passwd entry is needed (Node never looks the user up). Files stay owned by root, so the
# process cannot rewrite its own code; the pod mounts the root filesystem read-only anyway.
USER 10001:10001
EXPOSE 3000

# Exec-form CMD: node is PID 1 and receives SIGTERM itself (no shell in between to swallow it),
# which starts the graceful shutdown (readiness 503 → drain → close → exit 0).
FROM runtime AS auth
COPY --from=build /app/dist/apps/auth ./dist/apps/auth
CMD ["node", "dist/apps/auth/apps/auth/src/main.js"]

FROM runtime AS order
COPY --from=build /app/dist/apps/order ./dist/apps/order
CMD ["node", "dist/apps/order/apps/order/src/main.js"]

FROM runtime AS cart
COPY --from=build /app/dist/apps/cart ./dist/apps/cart
CMD ["node", "dist/apps/cart/apps/cart/src/main.js"]
