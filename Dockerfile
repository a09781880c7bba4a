# syntax=docker/dockerfile:1
# stayctl's container image: `stayctl serve` on port 4000, as a non-root user.
#   docker build -t stayctl .            (podman here: see scripts/smoke-container.sh)
#   docker run -p 4000:4000 -e STAYCTL_DATABASE_URL=mysql://… stayctl
#   docker run --rm -e STAYCTL_DATABASE_URL=… stayctl db migrate
# Stages: `build` compiles and packs the package (npm ci, npm run build, npm pack); `install`
# installs that tarball globally into /opt/stayctl exactly as users install it (its
# npm-shrinkwrap.json pins every dependency; sqlite3 is compiled there); the final image is the
# slim node image with /opt/stayctl and no compilers, npm caches or sources.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
# Only where the registry is reached through a TLS proxy: its CA (the file mounted into the build).
ARG NODE_EXTRA_CA_CERTS
# Compilers for sqlite3 (node-gyp), only in the build stages. The node image's headers are used
# (nodedir), and sqlite3 is built from source: no download from GitHub or nodejs.org.
RUN if ! command -v g++ >/dev/null || ! command -v make >/dev/null || ! command -v python3 >/dev/null; then \
      apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*; \
    fi
ENV npm_config_nodedir=/usr/local \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false \
    OCLIF_SKIP_NEW_VERSION_CHECK=true
WORKDIR /src
COPY package.json npm-shrinkwrap.json .npmrc .prebuild-installrc ./
RUN npm ci
COPY . .
RUN npm run build && npm pack --pack-destination /tmp && mv /tmp/stayctl-*.tgz /tmp/stayctl.tgz

FROM build AS install
ARG NODE_EXTRA_CA_CERTS
RUN printf 'buildFromSource=true\n' > /root/.prebuild-installrc \
    && npm install -g --prefix /opt/stayctl --engine-strict --allow-scripts=sqlite3,bcrypt /tmp/stayctl.tgz \
    && rm -rf /opt/stayctl/lib/node_modules/stayctl/node_modules/sqlite3/build/Release/obj \
              /opt/stayctl/lib/node_modules/stayctl/node_modules/sqlite3/build/Release/.deps

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    PATH=/opt/stayctl/bin:$PATH \
    OCLIF_SKIP_NEW_VERSION_CHECK=true \
    NO_UPDATE_NOTIFIER=1
COPY --from=install /opt/stayctl /opt/stayctl
# The node image's unprivileged user (uid 1000); its home holds the config and the default SQLite file.
USER node
WORKDIR /home/node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:4000/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["stayctl"]
CMD ["serve", "--host", "0.0.0.0", "--port", "4000"]
