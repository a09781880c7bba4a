#!/usr/bin/env node
/**
 * Import benchmark (issue 4, acceptance 1 and 2). Build first, then run:
 *
 *   npm run build && node bench/import.mjs [--rows 200000] [--rounds 3] [--memory-rows 1000000]
 *                                           [--only users,bookings,memory] [--database NAME]
 *                                           [--baseline DIR]
 *
 * Needs a MariaDB/MySQL server whose user may create and drop databases (BENCH_MYSQL_URL,
 * default mysql://root@127.0.0.1:3306) with local_infile enabled, and its command-line
 * client (`mariadb` or `mysql`) on PATH. Every run uses fresh databases named
 * stayctl_bench_<pid>_*, dropped at the end, and writes its files to bench/out/. With
 * --database NAME, every fresh database is that one database, dropped and created again
 * each time (one is in use at a time), and dropped at the end.
 *
 * --baseline DIR also times the `stayctl import` of another build (a worktree of an earlier
 * commit, built) in the same rounds, so that before and after are measured in one run.
 *
 * users     200,000 users with bcrypt hashes (a few distinct ones, computed once) loaded into
 *           fresh databases three ways in this one run: LOAD DATA LOCAL INFILE through the
 *           command-line client (the anchor), Sequelize bulkCreate in batches of 1,000 through
 *           the project's models (rows already in memory: no parsing is timed), and the built
 *           `stayctl import users` as a child process (timed from spawn to exit, start-up
 *           included). PASS needs stayctl ≥ 0.75× LOAD DATA's rows/s (issue 14).
 * bookings  the same for 200,000 bookings (no overlaps) of 2,000 properties and 20,000 users
 *           loaded beforehand. stayctl reads property and guest by name and username
 *           (columns property, guest, startDate, endDate, status, totalPrice); the anchors
 *           load ids, which is what the database's own loader and bulkCreate can take.
 *           PASS needs stayctl ≥ 0.6× LOAD DATA's rows/s. Also printed, not checked: the ratio
 *           against a second anchor, LOAD DATA of the bookings and of the free-gap rows the import
 *           writes with them (rules/gaps.ts, computed here; each import's count is checked
 *           against it): the bar proposed for issue 14, since the import writes both.
 * memory    a 1,000,000-row users CSV imported by stayctl into SQLite and into MariaDB,
 *           printing the peak RSS of the stayctl process (GNU time's maximum resident set
 *           size, else VmHWM sampled from /proc) against the 250 MB bar.
 *
 * Timings on a shared machine move with its load: only ratios measured in the same run are
 * compared with the bars. Each way runs --rounds times (default 3), interleaved with the
 * others, each time into a fresh database; the best time of each is compared (every time is
 * printed, and the load average). Exit code 1 when a check fails.
 */
import {spawn, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'

import bcrypt from 'bcrypt'
import mysql from 'mysql2/promise'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const out = path.join(root, 'bench', 'out')
const dist = (p) => import(path.join(root, 'dist', p))

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback
}
const ROWS = Number(option('rows', 200_000))
const ROUNDS = Number(option('rounds', 3))
const MEMORY_ROWS = Number(option('memory-rows', 1_000_000))
const ONLY = new Set(option('only', 'users,bookings,memory').split(','))
const SERVER = new URL(process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306')
const DATABASE = option('database', undefined)
const BASELINE = option('baseline', undefined) && path.resolve(option('baseline', undefined))
const MEMORY_BAR_MB = 250
/** Issue 14: stayctl's rows/s against LOAD DATA's in the same run (the bulkCreate bar of issue 4 is dropped; it is printed). */
const BARS = {users: 0.75, bookings: 0.6}

if (!fs.existsSync(path.join(root, 'dist', 'commands', 'import.js'))) {
  console.error('bench/import: build first (npm run build)')
  process.exit(2)
}
if (BASELINE && !fs.existsSync(path.join(BASELINE, 'dist', 'commands', 'import.js'))) {
  console.error(`bench/import: --baseline ${BASELINE} has no build (npm run build there)`)
  process.exit(2)
}
const CLIENT = ['mariadb', 'mysql'].find((c) => spawnSync(c, ['--version']).status === 0)
if (!CLIENT) {
  console.error('bench/import: needs the mariadb (or mysql) command-line client on PATH')
  process.exit(2)
}
fs.mkdirSync(out, {recursive: true})

const failures = []
const created = []
const fmt = (n) => Math.round(n).toLocaleString('en-US')
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ')

// ---------------------------------------------------------------------------------------
// Databases

const server = () =>
  mysql.createConnection({
    host: SERVER.hostname,
    port: Number(SERVER.port || 3306),
    user: decodeURIComponent(SERVER.username),
    password: decodeURIComponent(SERVER.password),
  })

function databaseUrl(name) {
  const url = new URL(SERVER)
  url.pathname = `/${name}`
  return url.toString()
}

/** A fresh, migrated database. */
async function freshDatabase(label) {
  const name = DATABASE ?? `stayctl_bench_${process.pid}_${label}`
  const c = await server()
  await c.query(`DROP DATABASE IF EXISTS \`${name}\``)
  await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  await c.end()
  created.push(name)
  const url = databaseUrl(name)
  await migrated(url)
  return {name, url}
}

async function migrated(url) {
  const [{parseDatabaseUrl}, {openDb}, {migrate}] = await Promise.all([
    dist('src/config/database-url.js'),
    dist('src/db/index.js'),
    dist('src/services/schema.js'),
  ])
  const db = await openDb(parseDatabaseUrl(url))
  try {
    await migrate(db, {})
  } finally {
    await db.close()
  }
}

async function dropAll() {
  if (created.length === 0) return
  const c = await server()
  for (const name of new Set(created)) await c.query(`DROP DATABASE IF EXISTS \`${name}\``)
  await c.end()
}

async function count(url, table) {
  const c = await mysql.createConnection(url)
  const [[row]] = await c.query(`SELECT COUNT(*) AS n FROM \`${table}\``)
  await c.end()
  return Number(row.n)
}

// ---------------------------------------------------------------------------------------
// Running things and timing them

function run(command, args, {env = {}, input} = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, args, {env: {...process.env, ...env}, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stdout, stderr, seconds: (performance.now() - started) / 1000}))
    if (input) child.stdin.end(input)
  })
}

/** The client's LOAD DATA LOCAL INFILE of `file` into `database` (the anchor). */
async function loadData(database, sql) {
  const args = ['--local-infile=1', '-h', SERVER.hostname, '-P', String(SERVER.port || 3306), '-u', decodeURIComponent(SERVER.username), database, '-e', sql]
  const result = await run(CLIENT, args, {env: SERVER.password ? {MYSQL_PWD: decodeURIComponent(SERVER.password)} : {}})
  if (result.code !== 0) throw new Error(`${CLIENT} LOAD DATA failed: ${result.stderr}`)
  return result.seconds
}

const stayctlEnv = {CI: 'true', NO_COLOR: '1', STAYCTL_BCRYPT_COST: '10'}

function stayctl(args, build = root) {
  return run(process.execPath, [path.join(build, 'bin', 'run.js'), ...args], {env: stayctlEnv})
}

/** `stayctl import …` (of the build in `build`) with --json; checks it exited 0 and wrote `expected` rows. */
async function stayctlImport(entity, file, url, expected, build = root) {
  const result = await stayctl(['import', entity, file, '--database-url', url, '--json'], build)
  if (result.code !== 0) throw new Error(`stayctl import ${entity} exited ${result.code}: ${result.stderr || result.stdout}`)
  const summary = JSON.parse(result.stdout)
  if (summary.inserted !== expected) throw new Error(`stayctl import ${entity} wrote ${summary.inserted} rows, not ${expected}`)
  return {seconds: result.seconds, inner: summary.seconds}
}

async function bulkCreate(url, model, rows) {
  const [{parseDatabaseUrl}, {openDb}] = await Promise.all([dist('src/config/database-url.js'), dist('src/db/index.js')])
  const db = await openDb(parseDatabaseUrl(url))
  try {
    const started = performance.now()
    for (let i = 0; i < rows.length; i += 1000) await db.models[model].bulkCreate(rows.slice(i, i + 1000))
    return (performance.now() - started) / 1000
  } finally {
    await db.close()
  }
}

/** Prints one comparison (best times of the rounds) and records the checks that failed. */
function report(title, rows, times, bar) {
  const best = Object.fromEntries(Object.entries(times).map(([way, list]) => [way, Math.min(...list.map((t) => t.seconds))]))
  const rate = (s) => rows / s
  const vsLoad = rate(best.stayctl) / rate(best.loadData)
  const vsBulk = rate(best.stayctl) / rate(best.bulkCreate)
  const line = (name, way, extra = '') =>
    console.log(
      `  ${name.padEnd(34)} ${best[way].toFixed(2).padStart(6)} s ${fmt(rate(best[way])).padStart(9)} rows/s` +
        `   (rounds: ${times[way].map((t) => t.seconds.toFixed(2)).join(', ')} s)${extra}`,
    )
  console.log(`\n${title}: ${fmt(rows)} rows, best of ${ROUNDS} (load average ${load()})`)
  line(`LOAD DATA LOCAL INFILE (${CLIENT})`, 'loadData')
  line('Sequelize bulkCreate, 1,000/batch', 'bulkCreate')
  const inner = Math.min(...times.stayctl.map((t) => t.inner))
  line('stayctl import (process)', 'stayctl', `; inside the import ${inner.toFixed(2)} s, ${fmt(rate(inner))} rows/s`)
  if (times.baseline) {
    const baseInner = Math.min(...times.baseline.map((t) => t.inner))
    line('baseline stayctl import (process)', 'baseline', `; inside the import ${baseInner.toFixed(2)} s`)
    console.log(`  baseline / LOAD DATA = ${(rate(best.baseline) / rate(best.loadData)).toFixed(2)}×  (${BASELINE})`)
  }
  if (times.loadDataAll) line('LOAD DATA of the rows and gap rows', 'loadDataAll')
  const verdict = (ok) => (ok ? 'PASS' : 'FAIL')
  console.log(`  stayctl / LOAD DATA  = ${vsLoad.toFixed(2)}×  (bar ≥ ${bar}×)  ${verdict(vsLoad >= bar)}`)
  console.log(`  stayctl / bulkCreate = ${vsBulk.toFixed(2)}×`)
  if (times.loadDataAll) {
    // Not the bar: the anchor proposed for it, LOAD DATA of every row the import writes.
    const vsAll = rate(best.stayctl) / rate(best.loadDataAll)
    console.log(`  stayctl / LOAD DATA of the rows and gap rows = ${vsAll.toFixed(2)}×  (proposed bar ≥ ${bar}×, not checked)`)
  }
  if (vsLoad < bar) failures.push(`${title}: ${vsLoad.toFixed(2)}× LOAD DATA`)
}

/** Runs each way ROUNDS times, interleaved; each run returns {seconds, inner?}. */
async function rounds(ways) {
  const times = Object.fromEntries(Object.keys(ways).map((way) => [way, []]))
  for (let round = 0; round < ROUNDS; round++) {
    for (const [way, run] of Object.entries(ways)) times[way].push(await run(round))
  }
  return times
}

/** Runs fn in a database made by setup(label), dropped after it. */
async function inFreshDatabase(label, setup, fn) {
  const db = await setup(label)
  try {
    return await fn(db)
  } finally {
    const c = await server()
    await c.query(`DROP DATABASE IF EXISTS \`${db.name}\``)
    await c.end()
  }
}

// ---------------------------------------------------------------------------------------
// Data

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Niklaus']
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Wirth']
let hashes

function user(i, prefix) {
  const n = String(i).padStart(7, '0')
  return {
    username: `${prefix}${n}`,
    email: `${prefix}${n}@example.com`,
    firstName: FIRST[i % FIRST.length],
    lastName: LAST[(i * 7) % LAST.length],
    passwordHash: hashes[i % hashes.length],
  }
}

/** Writes a file from lines made by `line(i)`, in chunks. */
function writeLines(file, header, n, line) {
  const fd = fs.openSync(file, 'w')
  let chunk = header ? `${header}\n` : ''
  for (let i = 0; i < n; i++) {
    chunk += `${line(i)}\n`
    if (chunk.length > 1 << 20) {
      fs.writeSync(fd, chunk)
      chunk = ''
    }
  }
  fs.writeSync(fd, chunk)
  fs.closeSync(fd)
  return file
}

function usersCsv(file, n, prefix = 'user') {
  return writeLines(file, 'username,email,first_name,last_name,password_hash', n, (i) => {
    const u = user(i + 1, prefix)
    return `${u.username},${u.email},${u.firstName},${u.lastName},${u.passwordHash}`
  })
}

const USERS_LOAD_SQL = (file) =>
  `LOAD DATA LOCAL INFILE '${file}' INTO TABLE users CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"'` +
  ` LINES TERMINATED BY '\\n' IGNORE 1 LINES (username, email, first_name, last_name, password_hash)` +
  ' SET is_active = 1, is_admin = 0, created_at = NOW(), updated_at = NOW()'

// ---------------------------------------------------------------------------------------
// The benches

async function benchUsers() {
  const file = usersCsv(path.join(out, 'users.csv'), ROWS)
  const rows = Array.from({length: ROWS}, (_, i) => user(i + 1, 'user'))
  const loaded = async (db, what) => {
    if ((await count(db.url, 'users')) !== ROWS) throw new Error(`${what} did not load every user`)
  }
  const times = await rounds({
    loadData: (round) =>
      inFreshDatabase(`users_load_${round}`, freshDatabase, async (db) => {
        const seconds = await loadData(db.name, USERS_LOAD_SQL(file))
        await loaded(db, 'LOAD DATA')
        return {seconds}
      }),
    bulkCreate: (round) =>
      inFreshDatabase(`users_bulk_${round}`, freshDatabase, async (db) => {
        const seconds = await bulkCreate(db.url, 'User', rows)
        await loaded(db, 'bulkCreate')
        return {seconds}
      }),
    stayctl: (round) =>
      inFreshDatabase(`users_stayctl_${round}`, freshDatabase, async (db) => {
        const result = await stayctlImport('users', file, db.url, ROWS)
        await loaded(db, 'stayctl')
        return result
      }),
    ...(BASELINE && {
      baseline: (round) =>
        inFreshDatabase(`users_baseline_${round}`, freshDatabase, async (db) => {
          const result = await stayctlImport('users', file, db.url, ROWS, BASELINE)
          await loaded(db, 'baseline stayctl')
          return result
        }),
    }),
  })
  report('users', ROWS, times, BARS.users)
}

const BOOKING_USERS = 20_000
const BOOKING_PROPERTIES = 2_000
const BOOKING_HOSTS = 2_000

/** Users (hosts first) and properties with known ids, loaded by the database's own loader. */
async function bookingsSetup(label, files) {
  const db = await freshDatabase(label)
  await loadData(db.name, USERS_LOAD_SQL(files.users))
  await loadData(
    db.name,
    `LOAD DATA LOCAL INFILE '${files.properties}' INTO TABLE properties CHARACTER SET utf8mb4 FIELDS TERMINATED BY ','` +
      ` LINES TERMINATED BY '\\n' (id, owner_id, name, address, price_per_night)` +
      " SET cancellation_policy = 'moderate', is_listed = 1, created_at = NOW(), updated_at = NOW()",
  )
  return db
}

/** Booking i: property p gets bookings a week apart (2–5 nights), so none overlap. */
function booking(i) {
  const property = (i % BOOKING_PROPERTIES) + 1
  const k = Math.floor(i / BOOKING_PROPERTIES)
  const owner = ((property - 1) % BOOKING_HOSTS) + 1
  let guest = ((i * 7919) % BOOKING_USERS) + 1
  if (guest === owner) guest = (guest % BOOKING_USERS) + 1
  const start = new Date(Date.UTC(2027, 0, 1) + (k * 7 + (property % 3)) * 86_400_000)
  const nights = 2 + ((property + k) % 4)
  const end = new Date(start.getTime() + nights * 86_400_000)
  const price = 80 + (property % 50)
  return {
    propertyId: property,
    guestId: guest,
    startDate: start.toISOString().slice(0, 10),
    endDate: end.toISOString().slice(0, 10),
    status: i % 10 === 0 ? 'pending' : 'confirmed',
    totalPrice: `${price * nights}.00`,
  }
}

const propertyName = (id) => `Bench Villa ${String(id).padStart(5, '0')}`

async function benchBookings() {
  const files = {
    users: usersCsv(path.join(out, 'booking-users.csv'), BOOKING_USERS),
    properties: writeLines(path.join(out, 'booking-properties.tsv'), undefined, BOOKING_PROPERTIES, (i) => {
      const id = i + 1
      return `${id},${((id - 1) % BOOKING_HOSTS) + 1},${propertyName(id)},${id} Bench Road,${80 + (id % 50)}.00`
    }),
  }
  const usernames = (id) => user(id, 'user').username
  const byName = writeLines(path.join(out, 'bookings.csv'), 'property,guest,startDate,endDate,status,totalPrice', ROWS, (i) => {
    const b = booking(i)
    return `${propertyName(b.propertyId)},${usernames(b.guestId)},${b.startDate},${b.endDate},${b.status},${b.totalPrice}`
  })

  const byId = writeLines(path.join(out, 'bookings-ids.tsv'), undefined, ROWS, (i) => {
    const b = booking(i)
    return `${b.propertyId}\t${b.guestId}\t${b.startDate}\t${b.endDate}\t${b.status}\t${b.totalPrice}`
  })
  const rows = Array.from({length: ROWS}, (_, i) => booking(i))
  // The free-gap rows the import leaves (rules/gaps.ts: every stay here is live), for the anchor that loads them too.
  const {calendarGaps} = await dist('src/services/rules/gaps.js')
  const propertyIds = Array.from({length: BOOKING_PROPERTIES}, (_, i) => i + 1)
  const gapRows = calendarGaps(propertyIds, rows.map((b) => ({propertyId: b.propertyId, start: b.startDate, end: b.endDate})))
  const gaps = writeLines(path.join(out, 'booking-gaps.tsv'), undefined, gapRows.length, (i) => {
    const {propertyId, gap} = gapRows[i]
    return `${propertyId}\t${gap.start}\t${gap.end}\t${gap.spanClass}`
  })
  const setup = (label) => bookingsSetup(label, files)
  const loaded = async (db, what) => {
    if ((await count(db.url, 'bookings')) !== ROWS) throw new Error(`${what} did not load every booking`)
  }
  const loadBookings =
    `LOAD DATA LOCAL INFILE '${byId}' INTO TABLE bookings FIELDS TERMINATED BY '\\t' LINES TERMINATED BY '\\n'` +
    ' (property_id, guest_id, start_date, end_date, status, total_price) SET created_at = NOW(), updated_at = NOW()'
  const loadGaps = `LOAD DATA LOCAL INFILE '${gaps}' INTO TABLE calendar_gaps FIELDS TERMINATED BY '\\t' LINES TERMINATED BY '\\n' (property_id, start_date, end_date, span_class)`
  const times = await rounds({
    loadData: (round) =>
      inFreshDatabase(`bookings_load_${round}`, setup, async (db) => {
        const seconds = await loadData(db.name, loadBookings)
        await loaded(db, 'LOAD DATA')
        return {seconds}
      }),
    loadDataAll: (round) =>
      inFreshDatabase(`bookings_loadall_${round}`, setup, async (db) => {
        const seconds = await loadData(db.name, `${loadBookings}; ${loadGaps}`)
        await loaded(db, 'LOAD DATA')
        if ((await count(db.url, 'calendar_gaps')) !== gapRows.length) throw new Error('LOAD DATA did not load every gap row')
        return {seconds}
      }),
    bulkCreate: (round) =>
      inFreshDatabase(`bookings_bulk_${round}`, setup, async (db) => {
        const seconds = await bulkCreate(db.url, 'Booking', rows)
        await loaded(db, 'bulkCreate')
        return {seconds}
      }),
    stayctl: (round) =>
      inFreshDatabase(`bookings_stayctl_${round}`, setup, async (db) => {
        const result = await stayctlImport('bookings', byName, db.url, ROWS)
        await loaded(db, 'stayctl')
        if ((await count(db.url, 'calendar_gaps')) !== gapRows.length) throw new Error('stayctl did not write the gap rows the anchor loads')
        return result
      }),
    ...(BASELINE && {
      baseline: (round) =>
        inFreshDatabase(`bookings_baseline_${round}`, setup, async (db) => {
          const result = await stayctlImport('bookings', byName, db.url, ROWS, BASELINE)
          await loaded(db, 'baseline stayctl')
          return result
        }),
    }),
  })
  report('bookings (by property name and guest username)', ROWS, times, BARS.bookings)
}

/** Runs stayctl and returns its peak RSS in MB: GNU time when there, else /proc sampling. */
async function peakRss(args) {
  const gnuTime = fs.existsSync('/usr/bin/time')
  const command = gnuTime ? '/usr/bin/time' : process.execPath
  const full = gnuTime ? ['-v', process.execPath, path.join(root, 'bin', 'run.js'), ...args] : [path.join(root, 'bin', 'run.js'), ...args]
  const started = performance.now()
  const child = spawn(command, full, {env: {...process.env, ...stayctlEnv}, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  let sampled = 0
  const exited = new Promise((resolve) => child.on('close', resolve))
  let done = false
  exited.then(() => (done = true))
  while (!done) {
    // With GNU time, the node process is its child: sample whichever pid runs node.
    const pids = [child.pid, ...(fs.existsSync(`/proc/${child.pid}/task/${child.pid}/children`) ? fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean) : [])]
    for (const pid of pids) {
      try {
        const kb = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
        sampled = Math.max(sampled, kb)
      } catch {
        // gone
      }
    }
    await Promise.race([exited, sleep(50)])
  }
  const code = await exited
  const seconds = (performance.now() - started) / 1000
  if (code !== 0) throw new Error(`stayctl ${args.join(' ')} exited ${code}: ${stderr}`)
  const timed = gnuTime ? Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? 0) : 0
  const summary = JSON.parse(stdout)
  return {mb: Math.max(timed, sampled) / 1024, how: timed ? 'GNU time' : 'VmHWM sampled', seconds, inserted: summary.inserted}
}

async function benchMemory() {
  const file = usersCsv(path.join(out, 'users-1m.csv'), MEMORY_ROWS, 'm')
  const mb = (fs.statSync(file).size / 2 ** 20).toFixed(0)
  console.log(`\nmemory: importing ${fmt(MEMORY_ROWS)} users (${mb} MB of CSV) with stayctl (load average ${load()})`)
  const sqliteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stayctl-bench-'))
  const targets = [
    {name: 'SQLite', url: `sqlite:${path.join(sqliteDir, 'bench.sqlite')}`},
    {name: 'MariaDB', url: null},
  ]
  try {
    for (const target of targets) {
      if (target.url) await migrated(target.url)
      else target.url = (await freshDatabase('memory')).url
      const r = await peakRss(['import', 'users', file, '--database-url', target.url, '--json'])
      if (r.inserted !== MEMORY_ROWS) throw new Error(`${target.name}: stayctl wrote ${r.inserted} rows, not ${MEMORY_ROWS}`)
      const ok = r.mb < MEMORY_BAR_MB
      console.log(
        `  ${target.name.padEnd(8)} peak RSS ${r.mb.toFixed(0).padStart(4)} MB (${r.how}; bar < ${MEMORY_BAR_MB} MB)  ${ok ? 'PASS' : 'FAIL'}` +
          `   ${r.seconds.toFixed(1)} s, ${fmt(MEMORY_ROWS / r.seconds)} rows/s`,
      )
      if (!ok) failures.push(`memory on ${target.name}: ${r.mb.toFixed(0)} MB`)
    }
  } finally {
    fs.rmSync(sqliteDir, {recursive: true, force: true})
  }
}

// ---------------------------------------------------------------------------------------

try {
  console.log(`bench/import: ${os.cpus().length} cores, node ${process.version}, ${CLIENT} client, server ${SERVER.host}`)
  hashes = await Promise.all(['correct horse', 'battery staple', 'hunter2!', 'tr0ub4dor&3'].map((p) => bcrypt.hash(p, 10)))
  if (ONLY.has('users')) await benchUsers()
  if (ONLY.has('bookings')) await benchBookings()
  if (ONLY.has('memory')) await benchMemory()
} finally {
  await dropAll()
}
console.log(failures.length === 0 ? '\nall checks PASS' : `\nFAIL: ${failures.join('; ')}`)
process.exitCode = failures.length === 0 ? 0 : 1
