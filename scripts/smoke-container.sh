#!/usr/bin/env bash
# Builds the repository's Dockerfile with podman and smoke-tests the image (run by .ci/run; usable
# alone: `bash scripts/smoke-container.sh [MYSQL_URL]`): runs as non-root, `db migrate` against
# the machine's MariaDB, `serve` (the default command), /readyz, one GraphQL query; prints the size.
# Installs podman, runc and debootstrap from Debian's packages where missing. The base image, a
# local stand-in for node:22-bookworm-slim built by ../shared/scripts/container-base from Debian's
# packages and the npm registry, is kept between runs (podman's image store). Podman flags this
# machine needs (runc, host network, rlimits, the host's CA) are those of container-base's header.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
MYSQL_URL=${1:-${STAYCTL_SMOKE_MYSQL_URL:-mysql://root@127.0.0.1:3306/h_packaging}}
NODE_MAJOR=${STAYCTL_IMAGE_NODE:-22}
BASE=localhost/node:$NODE_MAJOR-bookworm-slim
IMAGE=localhost/stayctl:smoke
CA=/etc/ssl/certs/ca-certificates.crt
container=''
cleanup() { if [ -n "$container" ]; then podman --runtime /usr/sbin/runc rm -f "$container" >/dev/null 2>&1 || true; fi; }
trap cleanup EXIT

missing=()
for tool in podman debootstrap /usr/sbin/runc; do command -v "$tool" >/dev/null || missing+=("$(basename "$tool")"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "smoke-container: installing ${missing[*]} (apt-get)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >/dev/null
fi
container_base() {
  local candidate
  for candidate in "${STAYCTL_CONTAINER_BASE:-}" "$(pwd)/../shared/scripts/container-base" /work/shared/scripts/container-base; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
  done
  return 1
}
podman=(podman --runtime /usr/sbin/runc)
run_flags=(--network=host --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 -v /etc/ssl/certs:/etc/ssl/certs:ro -e NODE_EXTRA_CA_CERTS=$CA)
if ! "${podman[@]}" image exists "$BASE"; then
  script=$(container_base) || { echo "smoke-container: no container-base script (set STAYCTL_CONTAINER_BASE)" >&2; exit 1; }
  "$script" "$NODE_MAJOR"
fi

t=$SECONDS
"${podman[@]}" build --format docker --network=host --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
  --volume /etc/ssl/certs:/etc/ssl/certs:ro --build-arg NODE_EXTRA_CA_CERTS=$CA \
  --build-arg NODE_IMAGE="$BASE" -t "$IMAGE" . >/tmp/stayctl-image-build.log 2>&1 \
  || { tail -40 /tmp/stayctl-image-build.log; exit 1; }
echo "smoke-container: built $IMAGE in $((SECONDS - t)) s"

checks=0
check() { local what=$1; shift; if "$@"; then checks=$((checks + 1)); echo "smoke-container: ok: $what"; else echo "smoke-container: FAILED: $what" >&2; exit 1; fi; }
uid=$("${podman[@]}" run --rm "${run_flags[@]}" --entrypoint id "$IMAGE" -u)
check "runs as non-root (uid $uid)" test "$uid" != 0
# The real node:22-bookworm-slim has no compilers; container-base's stand-in has them (for
# building addons), so the final stage, FROM the base as it is, may only have what the base has.
tools() { "${podman[@]}" run --rm "${run_flags[@]}" --entrypoint sh "$1" -c 'for t in g++ gcc make python3 npm; do command -v $t >/dev/null && echo $t; done; true' | tr '\n' ' '; }
base_tools=$(tools "$BASE")
image_tools=$(tools "$IMAGE")
check "the final stage adds no build tool (image: ${image_tools:-none}; base: ${base_tools:-none})" test "$image_tools" = "$base_tools"
db=${MYSQL_URL##*/}
mariadb -uroot -h127.0.0.1 -e "drop database if exists \`$db\`; create database \`$db\`"
check "db migrate against $MYSQL_URL" "${podman[@]}" run --rm "${run_flags[@]}" -e STAYCTL_DATABASE_URL="$MYSQL_URL" "$IMAGE" db migrate
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
container=$("${podman[@]}" run -d "${run_flags[@]}" -e STAYCTL_DATABASE_URL="$MYSQL_URL" "$IMAGE" serve --host 127.0.0.1 --port "$port")
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
check "serve answers /readyz" curl -sf "http://127.0.0.1:$port/readyz" -o /dev/null
answer=$(curl -sf -H 'content-type: application/json' -d '{"query":"{ __typename }"}' "http://127.0.0.1:$port/graphql")
check "a GraphQL query: $answer" test "$answer" = '{"data":{"__typename":"Query"}}'
check "HEALTHCHECK is /readyz" bash -c "${podman[*]} image inspect --format '{{json .Config.Healthcheck}}' $IMAGE | grep -q readyz"
size=$("${podman[@]}" image inspect --format '{{.Size}}' "$IMAGE")
mariadb -uroot -h127.0.0.1 -e "drop database if exists \`$db\`"
echo "smoke-container: image $IMAGE is $((size / 1000000)) MB (base $BASE: $(( $("${podman[@]}" image inspect --format '{{.Size}}' "$BASE") / 1000000 )) MB); $checks checks passed"
