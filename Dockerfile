# One Dockerfile for every app: `--target auth|order|cart` (skaffold.yaml builds each).
# The three apps share every stage but the last, so one dependency install and one build serve
# all three images, and the images differ only in the one-file bundle they copy.

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
# The last build step bundles each app into dist/apps/<app>/main.cjs (tools/build/bundle.ts).
COPY tools/build ./tools/build
RUN npm run build

# ---- runtime: shared by the three app targets ----
FROM base AS runtime
# HOST: every interface of the container's own network namespace (the kubelet probes and the
# entry point connect to the pod IP); the local stack binds its processes to 127.0.0.1 instead.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
# No node_modules: each app is one bundle (dist/apps/<app>/main.cjs) holding its production
# dependencies; the optional peers left out of it are never installed anyway (tools/build/bundle.ts).
COPY package.json ./
# Numeric uid/gid, not a name: the kubelet can only enforce `runAsNonRoot` on a numeric USER.
# No passwd entry is needed (Node never looks the user up). Files stay owned by root, so the
# process cannot rewrite its own code; the pod mounts the root filesystem read-only anyway.
USER 10001:10001
EXPOSE 3000

# Exec-form CMD: node is PID 1 and receives SIGTERM itself (no shell in between to swallow it),
# which starts the graceful shutdown (readiness 503 → drain → close → exit 0).
FROM runtime AS auth
COPY --from=build /app/dist/apps/auth/main.cjs ./dist/apps/auth/main.cjs
CMD ["node", "dist/apps/auth/main.cjs"]

FROM runtime AS order
COPY --from=build /app/dist/apps/order/main.cjs ./dist/apps/order/main.cjs
CMD ["node", "dist/apps/order/main.cjs"]

FROM runtime AS cart
COPY --from=build /app/dist/apps/cart/main.cjs ./dist/apps/cart/main.cjs
CMD ["node", "dist/apps/cart/main.cjs"]
