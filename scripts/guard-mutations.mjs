#!/usr/bin/env node
/**
 * Shows that each race test fails without its guard. For every mutation below: takes one guard
 * out of the source (the rule is then checked as before, from what the transaction reads, but
 * nothing that every racer also writes decides it), rebuilds, runs the race tests that must
 * catch it and expects them to FAIL; then restores the files and rebuilds. Prints a line per
 * mutation; exits 1 when a guard's removal went unnoticed.
 *
 *   node scripts/guard-mutations.mjs [booking|refund|charge|total …]
 *
 * Needs a clean src/ and migrations/, MariaDB at STAYCTL_TEST_DATABASE_URL and the cluster of STAYCTL_TEST_CLUSTER
 * (defaults: 127.0.0.1:3306, and 127.0.0.1:3311-3313 as `npm run test:cluster`). Takes minutes.
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
process.chdir(root)
process.env.STAYCTL_TEST_DATABASE_URL ??= 'mysql://root@127.0.0.1:3306/test'
process.env.STAYCTL_TEST_CLUSTER ??= 'mysql://root@127.0.0.1:3311/test,mysql://root@127.0.0.1:3312/test,mysql://root@127.0.0.1:3313/test'

const CALENDAR = 'src/services/rules/calendar.ts'
const LEDGER = 'src/services/rules/ledger.ts'
const GAPS = 'src/services/rules/gaps.ts'
const CLUSTER_GUARDS = 'migrations/2026.12.04T10.00.00.cluster-guards.ts'
/** The total a ledger row carries, computed from the rows instead (what the rules read before there was a guard); quotes escaped for the TS string it goes into. */
const quoted = (sql) => sql.replace(/'/g, "\\'")
const refundedFromRows =
  "(SELECT COALESCE(SUM(r.amount), 0) FROM payments r WHERE r.refund_of_id = payments.id AND r.kind = 'refund' AND r.status = 'completed')"
const chargedFromRows =
  "(SELECT COALESCE(SUM(p.amount), 0) FROM payments p WHERE p.booking_id = bookings.id AND p.kind = 'charge' AND p.status IN ('pending', 'completed', 'refunded'))"

const MUTATIONS = [
  {
    name: 'booking',
    guard: 'the write of properties.calendar_version before the calendar is read (and the free-gap rows, derived data that racers also write, whose keys would decide some races by chance)',
    edits: [
      [CALENDAR, 'UPDATE properties SET calendar_version = calendar_version + 1 WHERE id IN (:ids)', 'SELECT id FROM properties WHERE id IN (:ids)'],
      [GAPS, 'options: {bulk?: boolean} = {}): Promise<void> {\n', 'options: {bulk?: boolean} = {}): Promise<void> {\n  if (changes.length >= 0) return\n'],
    ],
    tests: {
      'test/cluster/rules.test.ts': 'createBooking|updateBooking|bookings create|bookings of overlapping files|bookings and blocks|blocks create',
      'test/e2e/concurrency.test.ts': 'simultaneous bookings|blocks of the same nights|bookings update racing',
      'test/integration/blocks.test.ts': 'racing bookings and syncs',
    },
  },
  {
    name: 'refund',
    guard: 'the compare-and-set of payments.refunded_amount (refunds read from the refund rows, the charge row not written)',
    edits: [
      [LEDGER, 'refunded_amount AS refunded, transaction_id', `${quoted(refundedFromRows)} AS refunded, transaction_id`],
      [LEDGER, 'for (let i = 0; i < charges.length; i += CAS_CHUNK) {', 'for (let i = charges.length; i < charges.length; i += CAS_CHUNK) {'],
    ],
    tests: {
      'test/cluster/rules.test.ts': 'refunds of 30|payments refunding one charge',
      'test/e2e/concurrency.test.ts': 'simultaneous refunds',
    },
  },
  {
    name: 'charge',
    guard: 'the compare-and-set of bookings.charged_amount (charges read from the charge rows, the booking row not written)',
    edits: [
      [LEDGER, 'charged_amount AS charged, status FROM bookings', `${quoted(chargedFromRows)} AS charged, status FROM bookings`],
      [LEDGER, 'for (let i = 0; i < bookings.length; i += CAS_CHUNK) {', 'for (let i = bookings.length; i < bookings.length; i += CAS_CHUNK) {'],
    ],
    tests: {'test/cluster/rules.test.ts': 'charges racing'},
  },
  {
    name: 'total',
    guard: 'the CHECK bookings_charged_within_total (a lowered total and a charge each pass their check, and neither writes what the other compares: the update sets total_price, the charge compares charged_amount)',
    edits: [
      [CLUSTER_GUARDS, "  await addCheck(context, 'bookings', 'bookings_charged_within_total', CHARGED_WITHIN_TOTAL)\n", ''],
      [CLUSTER_GUARDS, '` CONSTRAINT bookings_charged_within_total CHECK (${CHARGED_WITHIN_TOTAL})`', "''"],
    ],
    tests: {'test/e2e/concurrency.test.ts': 'lowering a total racing a charge', 'test/cluster/rules.test.ts': 'charge held on one node while a lower total'},
  },
]

const run = (command, args) => spawnSync(command, args, {encoding: 'utf8', env: process.env, maxBuffer: 64 * 1024 * 1024})
if (run('git', ['status', '--porcelain', '--', 'src', 'migrations']).stdout.trim()) {
  console.error('guard-mutations: src/ or migrations/ has uncommitted changes; commit or stash them first')
  process.exit(2)
}
const build = () => run('npm', ['run', 'build']).status === 0

const wanted = process.argv.slice(2)
let unnoticed = 0
for (const mutation of MUTATIONS.filter((m) => wanted.length === 0 || wanted.includes(m.name))) {
  const originals = new Map()
  try {
    for (const [file, from, to] of mutation.edits) {
      const text = originals.get(file) ?? fs.readFileSync(file, 'utf8')
      originals.set(file, text)
      const current = fs.readFileSync(file, 'utf8')
      if (!current.includes(from)) throw new Error(`the guard text is not in ${file}: ${from}`)
      fs.writeFileSync(file, current.split(from).join(to))
    }
    if (!build()) throw new Error('the build failed with the mutation')
    const log = fs.mkdtempSync('/tmp/guard-mutations-') + '/mocha.log'
    let failing = 0
    let passing = 0
    for (const [spec, grep] of Object.entries(mutation.tests)) {
      const result = run('npx', ['mocha', '--no-config', '--node-option', 'import=tsx', '--timeout', '1800000', '--exit', spec, '--grep', grep])
      fs.appendFileSync(log, result.stdout + result.stderr)
      failing += Number(/(\d+) failing/.exec(result.stdout)?.[1] ?? 0)
      passing += Number(/(\d+) passing/.exec(result.stdout)?.[1] ?? 0)
    }
    if (failing > 0) console.log(`${mutation.name}: without ${mutation.guard}: ${failing} race test(s) failed, ${passing} passed — caught (${log})`)
    else {
      console.log(`${mutation.name}: without ${mutation.guard}: no race test failed (${passing} passed) — NOT CAUGHT (${log})`)
      unnoticed += 1
    }
  } catch (error) {
    console.log(`${mutation.name}: ${error.message}`)
    unnoticed += 1
  } finally {
    for (const [file, text] of originals) fs.writeFileSync(file, text)
  }
}
build()
process.exit(unnoticed > 0 ? 1 : 0)
