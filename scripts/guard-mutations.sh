#!/usr/bin/env bash
# Proves that each race test fails without its guard: for every mutation below, removes one guard
# from the source, rebuilds, runs the race tests that must catch it, and expects them to FAIL;
# then restores the file. Prints one line per mutation and exits non-zero when a guard's removal
# went unnoticed. Needs a clean work tree, the MariaDB of STAYCTL_TEST_DATABASE_URL and the
# cluster of STAYCTL_TEST_CLUSTER (see test/support/cluster.ts). Takes several minutes.
#   bash scripts/guard-mutations.sh [name…]   (names: booking refund charge; default all)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export STAYCTL_TEST_DATABASE_URL=${STAYCTL_TEST_DATABASE_URL:-mysql://root@127.0.0.1:3306/test}
export STAYCTL_TEST_CLUSTER=${STAYCTL_TEST_CLUSTER:-mysql://root@127.0.0.1:3311/test,mysql://root@127.0.0.1:3312/test,mysql://root@127.0.0.1:3313/test}

if [ -n "$(git status --porcelain -- src)" ]; then
  echo "guard-mutations: src/ has uncommitted changes; commit or stash them first" >&2
  exit 2
fi

# name | file | text to replace (a fixed string) | replacement | test file | --grep
MUTATIONS=(
  "booking|src/services/rules/calendar.ts|UPDATE properties SET calendar_version = calendar_version + 1 WHERE id IN (:ids)|SELECT id FROM properties WHERE id IN (:ids)|test/cluster/rules.test.ts test/e2e/concurrency.test.ts|createBooking|bookings create|bookings of overlapping files|simultaneous bookings"
  "refund|src/services/rules/ledger.ts|\` AND (id, \${update.expectColumns.join(', ')}) IN (\${ids.map(() => tuple).join(', ')})\`|(update.table === 'payments' ? '' : \` AND (id, \${update.expectColumns.join(', ')}) IN (\${ids.map(() => tuple).join(', ')})\`)|test/cluster/rules.test.ts test/e2e/concurrency.test.ts|refunds of 30|payments refunding one charge|refunds exactly three times"
  "charge|src/services/rules/ledger.ts|\` AND (id, \${update.expectColumns.join(', ')}) IN (\${ids.map(() => tuple).join(', ')})\`|(update.table === 'bookings' ? '' : \` AND (id, \${update.expectColumns.join(', ')}) IN (\${ids.map(() => tuple).join(', ')})\`)|test/cluster/rules.test.ts|charges racing"
)

wanted=("$@")
escaped=0
for entry in "${MUTATIONS[@]}"; do
  IFS='|' read -r name file from to tests greps <<<"$entry"
  if [ ${#wanted[@]} -gt 0 ] && [[ ! " ${wanted[*]} " =~ " $name " ]]; then continue; fi
  FROM="$from" TO="$to" node -e '
    const fs = require("fs"); const f = process.argv[1]; const s = fs.readFileSync(f, "utf8")
    if (!s.includes(process.env.FROM)) { console.error("guard-mutations: the guard text is not in " + f); process.exit(3) }
    fs.writeFileSync(f, s.split(process.env.FROM).join(process.env.TO))' "$file" || { escaped=1; continue; }
  npm run build >/dev/null 2>&1 || { echo "$name: build failed with the mutation"; git checkout -- "$file"; escaped=1; continue; }
  log=$(mktemp)
  for spec in $tests; do
    npx mocha --no-config --node-option import=tsx --timeout 1800000 --exit "$spec" --grep "$greps" >>"$log" 2>&1
  done
  failing=$(grep -Eo '^ +[0-9]+ failing' "$log" | grep -Eo '[0-9]+' | paste -sd+ | bc)
  passing=$(grep -Eo '^ +[0-9]+ passing' "$log" | grep -Eo '[0-9]+' | paste -sd+ | bc)
  if [ "${failing:-0}" -gt 0 ]; then
    echo "$name: guard removed -> ${failing} race test(s) failed, ${passing:-0} passed (caught) [log $log]"
  else
    echo "$name: guard removed -> no race test failed (${passing:-0} passed): NOT CAUGHT [log $log]"
    escaped=1
  fi
  git checkout -- "$file"
done
npm run build >/dev/null 2>&1
exit $escaped
