#!/usr/bin/env bash
# Installs stayctl as a user would and smoke-tests the installed command (run by .ci/run after
# `npm run build`; usable alone: `bash scripts/smoke-installed.sh [MYSQL_URL]`):
#   npm pack → npm publish to a throwaway verdaccio on 127.0.0.1 (proxying the npm registry for
#   the dependencies) → `npm i -g stayctl` into a fresh prefix with a fresh HOME → `npm ls --all`
#   there (no invalid or missing package; --engine-strict at install, so no engine-incompatible
#   one) → scripts/shipped-tree.mjs (every installed version is npm-shrinkwrap.json's) → on
#   SQLite and on MariaDB: migrate, seed, list, import with bad rows, export, serve, login and the
#   same list over --api.
# Verdaccio is installed once into $STAYCTL_CI_CACHE (default ~/.cache/stayctl-ci).
# node-gyp builds sqlite3 against the running node's headers (npm_config_nodedir): only the npm
# registry is reachable here, so neither sqlite3's prebuilt binary nor node headers can be downloaded.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)
MYSQL_URL=${1:-${STAYCTL_SMOKE_MYSQL_URL:-mysql://root@127.0.0.1:3306/h_packaging}}
CACHE=${STAYCTL_CI_CACHE:-$HOME/.cache/stayctl-ci}
VERDACCIO_VERSION=6.8.0
work=$(mktemp -d "${TMPDIR:-/tmp}/stayctl-smoke.XXXXXX")
verdaccio_pid=''
serve_pid=''
cleanup() {
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; fi
  if [ -n "$verdaccio_pid" ]; then kill "$verdaccio_pid" 2>/dev/null || true; fi
  if [ -z "${STAYCTL_SMOKE_KEEP:-}" ]; then rm -rf "$work"; else echo "smoke: kept $work"; fi
}
trap cleanup EXIT
checks=0
check() { # check DESCRIPTION COMMAND…: runs it; stops the script on failure.
  local what=$1
  shift
  if "$@"; then checks=$((checks + 1)); echo "smoke: ok: $what"; else echo "smoke: FAILED: $what" >&2; exit 1; fi
}

# --- verdaccio, cached -------------------------------------------------------------------------
vdir="$CACHE/verdaccio-$VERDACCIO_VERSION"
if [ ! -x "$vdir/node_modules/.bin/verdaccio" ]; then
  npm install --prefix "$vdir" --no-audit --no-fund --loglevel=error "verdaccio@$VERDACCIO_VERSION" >/dev/null
fi
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
registry="http://127.0.0.1:$port/"
upstream=$(npm config get registry)
cat >"$work/verdaccio.yaml" <<YAML
storage: $work/storage
auth: {htpasswd: {file: $work/htpasswd, max_users: 10}}
uplinks: {npmjs: {url: $upstream, timeout: 60s}}
packages:
  'stayctl': {access: \$all, publish: \$authenticated}
  '**': {access: \$all, proxy: npmjs}
server: {keepAliveTimeout: 60}
log: {type: stdout, format: pretty, level: warn}
YAML
"$vdir/node_modules/.bin/verdaccio" --config "$work/verdaccio.yaml" --listen "127.0.0.1:$port" >"$work/verdaccio.log" 2>&1 &
verdaccio_pid=$!
for _ in $(seq 60); do curl -sf "${registry}-/ping" >/dev/null && break; sleep 0.5; done
token=$(curl -sf -XPUT -H 'content-type: application/json' "${registry}-/user/org.couchdb.user:ci" \
  -d '{"name":"ci","password":"ci-smoke-password"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')

# --- pack, publish, install into a fresh prefix and HOME ---------------------------------------
mkdir -p "$work/home" "$work/prefix"
printf 'registry=%s\n//127.0.0.1:%s/:_authToken=%s\nfund=false\naudit=false\nupdate-notifier=false\n' "$registry" "$port" "$token" >"$work/npmrc"
userenv=(env -i PATH="$work/prefix/bin:$PATH" HOME="$work/home" NPM_CONFIG_USERCONFIG="$work/npmrc" TMPDIR="$work"
  npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")" OCLIF_SKIP_NEW_VERSION_CHECK=true NO_COLOR=1)
version=$(node -p 'require("./package.json").version')
tarball=$(npm pack --silent --pack-destination "$work")
check "publish $tarball to the local registry" "${userenv[@]}" npm publish "$work/$tarball" --loglevel=warn
# registry.npmjs.org marks a version whose tarball holds npm-shrinkwrap.json with _hasShrinkwrap,
# which is what makes npm install that lockfile's tree; verdaccio only passes on what it was sent
# and npm publish does not send it. Do what the registry does, from the tarball's contents.
if tar tzf "$work/$tarball" | grep -x 'package/npm-shrinkwrap.json' >/dev/null; then
  kill "$verdaccio_pid"; wait "$verdaccio_pid" 2>/dev/null || true
  node -e '
    const fs = require("fs"), [file, version] = process.argv.slice(1)
    const doc = JSON.parse(fs.readFileSync(file, "utf8"))
    doc.versions[version]._hasShrinkwrap = true
    fs.writeFileSync(file, JSON.stringify(doc))' "$work/storage/stayctl/package.json" "$version"
  "$vdir/node_modules/.bin/verdaccio" --config "$work/verdaccio.yaml" --listen "127.0.0.1:$port" >>"$work/verdaccio.log" 2>&1 &
  verdaccio_pid=$!
  for _ in $(seq 60); do curl -sf "${registry}-/ping" >/dev/null && break; sleep 0.5; done
fi
packument=$(curl -sf -H 'accept: application/vnd.npm.install-v1+json' "${registry}stayctl")
check "the registry says the package has a shrinkwrap" node -e '
  if (JSON.parse(process.argv[1]).versions[process.argv[2]]._hasShrinkwrap !== true) process.exit(1)' "$packument" "$version"
cd "$work"
check "npm i -g stayctl@$version (fresh prefix, fresh HOME, --engine-strict)" \
  "${userenv[@]}" npm install -g --prefix "$work/prefix" --engine-strict --allow-scripts=sqlite3,bcrypt "stayctl@$version"
installed="$work/prefix/lib/node_modules/stayctl"
ls_rc=0
"${userenv[@]}" npm ls -g --all --json --prefix "$work/prefix" >"$work/ls.json" || ls_rc=$?
check "npm ls --all: exit 0" test "$ls_rc" = 0
check "npm ls --all: no problems (invalid, missing, extraneous)" node -e '
  const problems = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).problems || []
  for (const problem of problems) console.error(problem)
  process.exit(problems.length ? 1 : 0)' "$work/ls.json"
check "installed versions are npm-shrinkwrap.json's" node "$repo/scripts/shipped-tree.mjs" "$installed"
check "the installed stayctl is $version" bash -c "[ \"\$(cd '$work' && '$work/prefix/bin/stayctl' --version | grep -o 'stayctl/[^ ]*')\" = 'stayctl/$version' ]"
# Our command_not_found hook is loaded by oclif by path (package.json oclif.hooks): shipped, it answers.
check "a command line naming no command is a usage error (exit 2, JSON)" bash -c 'cd "$1" && { "$2" users lst --json >nf.json; [ $? = 2 ]; } && grep -q "\"USAGE\"" nf.json' _ "$work" "$work/prefix/bin/stayctl"

# --- the smoke suite against the installed command ---------------------------------------------
stayctl() { # stayctl [NAME=VALUE…] ARGS…: the installed command in the user's environment, with those variables added
  local vars=()
  while [[ ${1:-} =~ ^[A-Z_][A-Z0-9_]*= ]]; do vars+=("$1"); shift; done
  "${userenv[@]}" STAYCTL_BCRYPT_COST=4 "${vars[@]}" "$work/prefix/bin/stayctl" "$@"
}
smoke() { # smoke NAME DATABASE_URL
  local name=$1 url=$2 dir="$work/$1" out
  mkdir -p "$dir"
  export STAYCTL_DATABASE_URL=$url
  userenv+=(STAYCTL_DATABASE_URL="$url")
  check "$name: db migrate" stayctl db migrate
  # The admin password in the environment, as the docs recommend (--admin-password warns).
  check "$name: db seed" stayctl STAYCTL_ADMIN_PASSWORD=smoke-admin-pw db seed --yes
  out=$(stayctl properties list --json)
  check "$name: properties list has rows" node -e 'if(!(JSON.parse(process.argv[1]).items.length>0))process.exit(1)' "$out"
  printf 'username,email,password\nsmoke1,smoke1@example.com,long-enough-pw\nbad user,not-an-email,x\n' >"$dir/users.csv"
  local rc=0
  stayctl import users "$dir/users.csv" --errors "$dir/errors.csv" >"$dir/import.txt" 2>&1 || rc=$?
  check "$name: import with a bad row exits 8 and names its line and field" bash -c "[ $rc -eq 8 ] && grep -q '^3,username,' '$dir/errors.csv'"
  check "$name: export properties" stayctl export properties --output "$dir/properties.json"
  local port_serve
  port_serve=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  # Not through the function: `stayctl … &` would background a subshell, and killing it would
  # leave the server running. exec makes the background job the server itself.
  (exec "${userenv[@]}" STAYCTL_BCRYPT_COST=4 "$work/prefix/bin/stayctl" serve --port "$port_serve" --drain 0) >"$dir/serve.log" 2>&1 &
  serve_pid=$!
  for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port_serve/readyz" >/dev/null && break; sleep 0.5; done
  check "$name: serve answers /readyz" curl -sf "http://127.0.0.1:$port_serve/readyz" -o /dev/null
  rc=0
  printf smoke-admin-pw | stayctl login --api "127.0.0.1:$port_serve" --username admin --password-stdin >"$dir/login.txt" 2>&1 || rc=$?
  check "$name: login over the API (exit $rc)" test "$rc" -eq 0
  local remote
  remote=$(stayctl properties list --json --api "127.0.0.1:$port_serve")
  check "$name: the same list over --api" test "$remote" = "$out"
  kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=''
  rc=0
  (cd "$dir" && stayctl db migration new add-thing >"$dir/new.txt" 2>&1) || rc=$?
  check "$name: db migration new refuses to write into the installed package (exit $rc)" \
    bash -c "[ $rc -eq 2 ] && [ ! -e '$installed/migrations/'*add-thing* ] && ! ls '$installed/migrations' | grep -q add-thing"
  (cd "$dir" && stayctl db migration new add-thing --dir "$dir/migrations" >/dev/null)
  check "$name: db migration new --dir writes to the project" bash -c "ls '$dir/migrations' | grep -q add-thing"
  unset 'userenv[${#userenv[@]}-1]'
}
smoke sqlite "sqlite:$work/smoke.sqlite"
mariadb -uroot -h127.0.0.1 -e "drop database if exists \`${MYSQL_URL##*/}\`; create database \`${MYSQL_URL##*/}\`" 2>/dev/null \
  || mysql -uroot -h127.0.0.1 -e "drop database if exists \`${MYSQL_URL##*/}\`; create database \`${MYSQL_URL##*/}\`"
smoke mariadb "$MYSQL_URL"
mariadb -uroot -h127.0.0.1 -e "drop database if exists \`${MYSQL_URL##*/}\`"
echo "smoke: installed stayctl $version passed $checks checks (node $(node --version))"
