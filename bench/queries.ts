/**
 * Benchmark of the two searches acceptance 7 names, on a database of 100,000 bookings:
 *   properties list --available-from D --available-to D+7   (listProperties, first page of 50)
 *   bookings list --property P                              (listBookings, first page of 50)
 * Each is timed in-process through the services (median of --runs, after warm-up), next to
 * two anchors measured in the same run on the same connection: a `SELECT 1` round trip and
 * a primary-key lookup. It prints milliseconds, ratios to the anchors, whether each is under
 * 50 ms, and the plan (EXPLAIN / EXPLAIN QUERY PLAN) of both queries.
 *
 * Run (no build needed):
 *   node --import tsx bench/queries.ts                       # SQLite, in a temporary file
 *   node --import tsx bench/queries.ts --database-url mysql://root@127.0.0.1:3306/stayctl_bench
 *   STAYCTL_BENCH_DATABASE_URL=sqlite:/tmp/bench.sqlite node --import tsx bench/queries.ts
 * Options: --runs N (default 20), --fresh (drop the tables and seed again; otherwise a
 * database seeded by an earlier run is reused). The MySQL database is created if missing;
 * a database holding other data is refused unless --fresh is given.
 *
 * Seed (deterministic): 20,000 users, 2,000 properties owned by the first 2,000 users,
 * 100,000 bookings (50 per property, back to back with gaps, never overlapping; about 10 %
 * cancelled) by the other users, inserted with multi-row INSERTs through queryInterface.
 */
import {parseArgs} from 'node:util'

import {openDb, type Db} from '../src/db/index.js'
import {listBookings} from '../src/services/bookings.js'
import type {ServiceContext} from '../src/services/context.js'
import {addDays} from '../src/services/dates.js'
import {listProperties} from '../src/services/properties.js'
import {benchDatabase, insertTables, random, seedOnce, userRow} from './support.js'

const USERS = 20_000
const OWNERS = 2_000
const PROPERTIES = 2_000
const BOOKINGS_PER_PROPERTY = 50
const BOOKINGS = PROPERTIES * BOOKINGS_PER_PROPERTY
const FIRST_DAY = '2026-01-05'
const WARMUP = 5
const BUDGET_MS = 50

const {values: options} = parseArgs({
  options: {
    'database-url': {type: 'string'},
    runs: {type: 'string', default: '20'},
    fresh: {type: 'boolean', default: false},
  },
})
const runs = Number(options.runs)
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${options.runs}`)

async function seed(db: Db): Promise<void> {
  const next = random(20261121)
  const now = new Date()
  const users = Array.from({length: USERS}, (_, i) => userRow(i + 1, `bench${String(i + 1).padStart(5, '0')}`, `bench${i + 1}@bench.invalid`, now))
  const policies = ['flexible', 'moderate', 'strict']
  const properties = Array.from({length: PROPERTIES}, (_, i) => ({
    id: i + 1,
    owner_id: (i % OWNERS) + 1,
    name: `Bench property ${i + 1}`,
    description: null,
    address: `${i + 1} Bench Street`,
    price_per_night: `${40 + Math.floor(next() * 260)}.00`,
    cancellation_policy: policies[i % 3],
    is_listed: true,
    created_at: now,
    updated_at: now,
  }))
  const bookings: Record<string, unknown>[] = []
  for (const property of properties) {
    // Stays of 1–7 nights, 0–9 days apart: about 45 % of the nights are booked.
    let day = addDays(FIRST_DAY, Math.floor(next() * 10))
    for (let n = 0; n < BOOKINGS_PER_PROPERTY; n++) {
      const nights = 1 + Math.floor(next() * 7)
      const end = addDays(day, nights)
      const roll = next()
      bookings.push({
        id: bookings.length + 1,
        property_id: property.id,
        guest_id: OWNERS + 1 + Math.floor(next() * (USERS - OWNERS)),
        start_date: day,
        end_date: end,
        status: roll < 0.1 ? 'cancelled' : roll < 0.3 ? 'pending' : 'confirmed',
        total_price: `${nights * Number.parseInt(property.price_per_night, 10)}.00`,
        external_ref: null,
        created_at: now,
        updated_at: now,
      })
      day = addDays(end, Math.floor(next() * 10))
    }
  }
  await insertTables(db, [
    ['users', users],
    ['properties', properties],
    ['bookings', bookings],
  ])
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

async function time(work: () => Promise<unknown>): Promise<{median: number; min: number; max: number}> {
  for (let i = 0; i < WARMUP; i++) await work()
  const samples: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    await work()
    samples.push(performance.now() - started)
  }
  return {median: median(samples), min: Math.min(...samples), max: Math.max(...samples)}
}

async function main() {
  const bench = await benchDatabase(options['database-url'], 'stayctl-bench-')
  const {target} = bench

  // The last SELECT each service ran, for EXPLAIN.
  let capture = false
  let lastSelect = ''
  const db = await openDb(target, {
    logSql: (sql) => {
      if (capture && /^Executing \([^)]*\): SELECT/.test(sql)) lastSelect = sql.replace(/^Executing \([^)]*\): /, '')
    },
  })
  try {
    const ctx: ServiceContext = {db, actor: {name: 'bench', isAdmin: true}, via: 'seed', bcryptCost: 4}
    await seedOnce(db, {fresh: options.fresh, table: 'bookings', expected: BOOKINGS, what: `${USERS} users, ${PROPERTIES} properties, ${BOOKINGS} bookings`, seed})

    console.log(`Database: ${target.display} (${db.dialect}); median of ${runs} runs after ${WARMUP} warm-up runs\n`)
    const week = {availableFrom: '2026-06-01', availableTo: '2026-06-08'}
    // Harder: few properties are free for four weeks, so most of the 2,000 are probed.
    const month = {availableFrom: '2026-06-01', availableTo: '2026-06-29'}
    const property = 1_234

    const queries: {name: string; work: () => Promise<unknown>}[] = [
      {name: 'anchor: SELECT 1 round trip', work: () => db.sequelize.query('SELECT 1')},
      {name: 'anchor: booking by primary key', work: () => db.models.Booking.findByPk(54_321)},
      {name: `listProperties available ${week.availableFrom} → ${week.availableTo}, first 50`, work: () => listProperties(ctx, {...week, limit: 50})},
      {name: `listProperties available ${month.availableFrom} → ${month.availableTo}, first 50`, work: () => listProperties(ctx, {...month, limit: 50})},
      {name: `listBookings property ${property}, first 50`, work: () => listBookings(ctx, {property, limit: 50})},
    ]
    const found = {
      available: (await listProperties(ctx, {...week, limit: 50})).items.length,
      availableMonth: (await listProperties(ctx, {...month, limit: 50})).items.length,
      bookings: (await listBookings(ctx, {property, limit: 50})).items.length,
    }
    const results = []
    for (const query of queries) results.push({...query, ...(await time(query.work))})
    const [selectOne, byKey] = results
    const width = Math.max(...results.map((r) => r.name.length))
    console.log(`${'query'.padEnd(width)}  median ms   min ms   max ms  ×SELECT 1  ×PK lookup  < ${BUDGET_MS} ms`)
    for (const r of results) {
      const ratio = (anchor: number) => `${(r.median / anchor).toFixed(1)}×`.padStart(9)
      const verdict = r.name.startsWith('anchor') ? '' : r.median < BUDGET_MS ? 'yes' : 'NO'
      console.log(
        `${r.name.padEnd(width)}  ${r.median.toFixed(2).padStart(9)}  ${r.min.toFixed(2).padStart(7)}  ${r.max.toFixed(2).padStart(7)}  ${ratio(selectOne.median)}  ${ratio(byKey.median).padStart(10)}  ${verdict}`,
      )
    }
    console.log(`(rows returned: ${found.available} properties free for the week, ${found.availableMonth} for four weeks, ${found.bookings} bookings)\n`)

    const explain = db.dialect === 'sqlite' ? 'EXPLAIN QUERY PLAN' : 'EXPLAIN'
    for (const [name, work] of [
      ['listProperties (availability)', () => listProperties(ctx, {...week, limit: 50})],
      ['listBookings (by property)', () => listBookings(ctx, {property, limit: 50})],
    ] as const) {
      capture = true
      await work()
      capture = false
      const [plan] = (await db.sequelize.query(`${explain} ${lastSelect.replace(/;$/, '')}`)) as [Record<string, unknown>[], unknown]
      console.log(`${explain} — ${name}:\n  ${lastSelect}`)
      for (const row of plan) {
        console.log(
          db.dialect === 'sqlite'
            ? `  ${row.detail}`
            : `  ${['id', 'select_type', 'table', 'type', 'possible_keys', 'key', 'key_len', 'ref', 'rows', 'Extra'].map((k) => `${k}=${row[k] ?? ''}`).join(' ')}`,
        )
      }
      console.log('')
    }
  } finally {
    await db.close()
    bench.cleanup()
  }
}

await main()
