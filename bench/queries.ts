/**
 * Benchmark of the searches operators run, on a database of 1,000,000 bookings (issue 14):
 *   properties list --available-from D --available-to D+7    (availability over a week)
 *   properties list --available-from D --available-to D+28   (over four weeks: almost no
 *                                                              property is free, so every one is probed)
 *   the week's availability as the public sees it (anonymous: listed properties only)
 *   bookings list --property P                               (bookings of a property)
 *   bookings list --guest G                                  (bookings of a guest)
 * each the first page of 50, timed in-process through the services, in rounds that run every
 * search and the two anchors once each (after warm-up rounds), so that all of them see the same
 * load: a `SELECT 1` round trip and a primary-key lookup. It prints the median and p95 in
 * milliseconds, the ratios of the medians to the anchors, pass or fail against 20 ms, the
 * machine's load, and the plan (EXPLAIN / EXPLAIN QUERY PLAN) of every SELECT each search runs.
 *
 * Run (no build needed):
 *   node --import tsx bench/queries.ts                       # SQLite, in a temporary file
 *   node --import tsx bench/queries.ts --database-url sqlite:/tmp/queries.sqlite   # kept: seeded once
 *   node --import tsx bench/queries.ts --database-url mysql://root@127.0.0.1:3306/stayctl_bench
 * Options: --bookings N (default 1000000; a multiple of 50), --runs N (default 30), --check
 * (exit 1 when a search's median is not under 20 ms), --fresh (drop the tables and seed again;
 * otherwise a database seeded by an earlier run of the same size is reused). The MySQL
 * database is created if missing; one holding other data is refused unless --fresh is given.
 * The seed is described in bench/queries-seed.ts.
 */
import os from 'node:os'
import {parseArgs} from 'node:util'

import {openDb, type Db} from '../src/db/index.js'
import {listBookings} from '../src/services/bookings.js'
import {anonymousActor, type ServiceContext} from '../src/services/context.js'
import {listProperties} from '../src/services/properties.js'
import {seedQueries, seedSize, type SeedSize} from './queries-seed.js'
import {benchDatabase, seedOnce} from './support.js'

const WARMUP = 5
const BUDGET_MS = 20

const {values: options} = parseArgs({
  options: {
    'database-url': {type: 'string'},
    bookings: {type: 'string', default: '1000000'},
    runs: {type: 'string', default: '30'},
    fresh: {type: 'boolean', default: false},
    check: {type: 'boolean', default: false},
  },
})
const runs = Number(options.runs)
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${options.runs}`)
const size = seedSize(Number(options.bookings))

interface Query {
  name: string
  anchor?: true
  work: () => Promise<unknown>
}

interface Timed extends Query {
  median: number
  p95: number
}

/** The value below which `share` of the sorted `values` lie (nearest rank). */
function quantile(sorted: number[], share: number): number {
  if (share === 0.5 && sorted.length % 2 === 0) return (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)]
}

/** Every query WARMUP times, then `runs` rounds in which each runs once, in turn. */
async function timeAll(queries: Query[]): Promise<Timed[]> {
  for (let i = 0; i < WARMUP; i++) for (const query of queries) await query.work()
  const samples = queries.map((): number[] => [])
  for (let round = 0; round < runs; round++) {
    for (const [i, query] of queries.entries()) {
      const started = performance.now()
      await query.work()
      samples[i].push(performance.now() - started)
    }
  }
  return queries.map((query, i) => {
    const sorted = samples[i].sort((a, b) => a - b)
    return {...query, median: quantile(sorted, 0.5), p95: quantile(sorted, 0.95)}
  })
}

/** The searches, as an operator (admin) runs them but for the public one. */
function searches(db: Db, size: SeedSize): Query[] {
  const operator: ServiceContext = {db, actor: {name: 'bench', isAdmin: true}, via: 'seed', bcryptCost: 4}
  const visitor: ServiceContext = {...operator, actor: anonymousActor()}
  const week = {availableFrom: '2026-06-01', availableTo: '2026-06-08'}
  const month = {availableFrom: '2026-06-01', availableTo: '2026-06-29'}
  const property = Math.max(1, Math.round(size.properties * 0.617))
  const guest = size.owners + Math.max(1, Math.round((size.users - size.owners) * 0.383))
  return [
    {name: `availability ${week.availableFrom} → ${week.availableTo} (a week)`, work: () => listProperties(operator, {...week, limit: 50})},
    {name: `availability ${month.availableFrom} → ${month.availableTo} (four weeks)`, work: () => listProperties(operator, {...month, limit: 50})},
    {name: `availability of the week, anonymous (listed only)`, work: () => listProperties(visitor, {...week, limit: 50})},
    {name: `bookings of property ${property}`, work: () => listBookings(operator, {property, limit: 50})},
    {name: `bookings of guest ${guest}`, work: () => listBookings(operator, {guest, limit: 50})},
  ]
}

function load(): string {
  return os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')
}

function printResults(results: Timed[]): boolean {
  const [selectOne, byKey] = results
  const width = Math.max(...results.map((r) => r.name.length))
  console.log(`${'query'.padEnd(width)}  median ms  p95 ms  ×SELECT 1  ×PK lookup  < ${BUDGET_MS} ms`)
  let pass = true
  for (const r of results) {
    const ratio = (anchor: number) => `${(r.median / anchor).toFixed(1)}×`
    const ok = r.median < BUDGET_MS
    if (!r.anchor) pass &&= ok
    console.log(
      `${r.name.padEnd(width)}  ${r.median.toFixed(2).padStart(9)}  ${r.p95.toFixed(2).padStart(6)}  ${ratio(selectOne.median).padStart(9)}  ${ratio(byKey.median).padStart(10)}  ${r.anchor ? '' : ok ? 'pass' : 'FAIL'}`,
    )
  }
  return pass
}

/** The plan of each SELECT a search runs. */
async function printPlans(db: Db, queries: Query[], capture: {selects: string[] | undefined}): Promise<void> {
  const explain = db.dialect === 'sqlite' ? 'EXPLAIN QUERY PLAN' : 'EXPLAIN'
  for (const query of queries) {
    capture.selects = []
    await query.work()
    const selects = capture.selects
    capture.selects = undefined
    console.log(`${explain} — ${query.name} (${selects.length} statement${selects.length === 1 ? '' : 's'}):`)
    for (const sql of selects) {
      const [plan] = (await db.sequelize.query(`${explain} ${sql.replace(/;$/, '')}`)) as [Record<string, unknown>[], unknown]
      console.log(`  ${sql}`)
      for (const row of plan) {
        console.log(
          db.dialect === 'sqlite'
            ? `    ${row.detail}`
            : `    ${['id', 'select_type', 'table', 'type', 'key', 'key_len', 'ref', 'rows', 'Extra'].map((k) => `${k}=${row[k] ?? ''}`).join(' ')}`,
        )
      }
    }
    console.log('')
  }
}

async function main(): Promise<boolean> {
  const bench = await benchDatabase(options['database-url'], 'stayctl-bench-')
  const {target} = bench
  const capture: {selects: string[] | undefined} = {selects: undefined}
  const db = await openDb(target, {
    logSql: (sql) => {
      const select = /^Executing \([^)]*\): (SELECT[\s\S]*)$/.exec(sql)
      if (capture.selects && select) capture.selects.push(select[1])
    },
  })
  try {
    await seedOnce(db, {
      fresh: options.fresh,
      table: 'bookings',
      expected: size.bookings,
      what: `${size.users} users, ${size.properties} properties, ${size.bookings} bookings`,
      seed: (seeded) => seedQueries(seeded, size),
    })
    const queries: Query[] = [
      {name: 'anchor: SELECT 1 round trip', anchor: true, work: () => db.sequelize.query('SELECT 1')},
      {name: 'anchor: booking by primary key', anchor: true, work: () => db.models.Booking.findByPk(Math.ceil(size.bookings * 0.54321))},
      ...searches(db, size),
    ]
    const found = await Promise.all(queries.slice(2).map(async (q) => ((await q.work()) as {items: unknown[]}).items.length))
    console.log(`Database: ${target.display} (${db.dialect}), ${size.bookings} bookings; median of ${runs} rounds after ${WARMUP} warm-up rounds`)
    console.log(`Load average before: ${load()}`)
    const results = await timeAll(queries)
    console.log(`Load average after:  ${load()}\n`)
    const pass = printResults(results)
    console.log(`(rows on the first page: ${found.join(', ')})\n`)
    await printPlans(db, queries.slice(2), capture)
    return pass
  } finally {
    await db.close()
    bench.cleanup()
  }
}

const pass = await main()
if (options.check && !pass) {
  console.error(`a search's median is not under ${BUDGET_MS} ms`)
  process.exitCode = 1
}
