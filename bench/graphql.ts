/**
 * Benchmark of `stayctl serve` (acceptance 4) on the nested query of the issue: 50 properties
 * with their owner and reviews (20 each, with the reviewer), measured with autocannon next to
 * an anchor measured in the same run on the same database: a minimal node:http handler that
 * answers the same POST with the same JSON, written directly on the driver (mysql2 or
 * sqlite3, three statements). Both servers run in processes of their own and are loaded in
 * turn (never at once), each after a warm-up. It prints requests/s and p99 latency of each,
 * the ratio of requests/s (target of issue 14: at least 0.8), and the SQL statements one request
 * costs (at most 3; the root list compiles into one, src/graphql/sql), with the load average
 * before and after.
 *
 * Run after `npm run build` (the server is the built binary, bin/run.js):
 *   node --import tsx bench/graphql.ts                       # SQLite, in a temporary file
 *   node --import tsx bench/graphql.ts --database-url mysql://root@127.0.0.1:3306/stayctl_bench_gql
 * Options: --duration S per measurement (default 10), --rounds N of alternating measurements
 * (default 2; requests/s are their mean, p99 their worst), --connections N (default 10), --fresh
 * (drop and seed again; otherwise a database seeded by an earlier run is reused). The MySQL
 * database is created if missing; one holding other data is refused unless --fresh.
 *
 * Seed (deterministic): 200 owners and 2,000 guests, 1,000 properties, 10 reviews each
 * (10,000), inserted with multi-row INSERTs through queryInterface.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import {createRequire} from 'node:module'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {isDeepStrictEqual, parseArgs} from 'node:util'

import {parseDatabaseUrl, type DatabaseTarget} from '../src/config/database-url.js'
import {openDb, type Db} from '../src/db/index.js'
import {benchDatabase, insertTables, random, seedOnce, userRow} from './support.js'

const OWNERS = 200
const GUESTS = 2_000
const PROPERTIES = 1_000
const REVIEWS_PER_PROPERTY = 10
const PAGE = 50
const REVIEWS_PAGE = 20
const TARGET_RATIO = 0.8
const MAX_STATEMENTS = 3

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)

interface AutocannonResult {
  requests: {average: number; total: number}
  latency: {p99: number; average: number}
  non2xx: number
  errors: number
}
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>

const QUERY = `query Bench {
  properties(first: ${PAGE}) {
    nodes { id name pricePerNight owner { id username } reviews(first: ${REVIEWS_PAGE}) { nodes { rating comment reviewer { id username } } } }
  }
}`

// ---------------------------------------------------------------- the anchor: a minimal handler

interface Sql {
  all(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>
}

async function driver(target: DatabaseTarget): Promise<Sql> {
  if (target.dialect === 'mysql') {
    const mysql = await import('mysql2/promise')
    const pool = mysql.createPool({host: target.host, port: target.port, user: target.user, password: target.password, database: target.database, connectionLimit: 10})
    return {all: async (sql, params) => (await pool.query(sql, params))[0] as Record<string, unknown>[]}
  }
  const sqlite3 = require('sqlite3') as typeof import('sqlite3')
  const database = new sqlite3.Database(target.storage)
  return {all: (sql, params = []) => new Promise((resolve, reject) => database.all(sql, params, (error, rows) => (error ? reject(error) : resolve(rows as Record<string, unknown>[]))))}
}

/** The anchor: answers any POST with the bench query's JSON, in three statements. */
async function serveBaseline(target: DatabaseTarget): Promise<void> {
  const sql = await driver(target)
  const money = (value: unknown) => (typeof value === 'number' ? value.toFixed(2) : String(value))
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', async () => {
      const properties = await sql.all('SELECT id, name, price_per_night, owner_id FROM properties ORDER BY id LIMIT ?', [PAGE])
      const ids = properties.map((p) => Number(p.id))
      const reviews = await sql.all(
        `SELECT * FROM (SELECT property_id, id, rating, comment, reviewer_id, ROW_NUMBER() OVER (PARTITION BY property_id ORDER BY id) AS rn FROM reviews WHERE property_id IN (${ids.join(',')})) r WHERE rn <= ? ORDER BY property_id, id`,
        [REVIEWS_PAGE],
      )
      const userIds = [...new Set([...properties.map((p) => Number(p.owner_id)), ...reviews.map((r) => Number(r.reviewer_id))])]
      const users = new Map((await sql.all(`SELECT id, username FROM users WHERE id IN (${userIds.join(',')})`)).map((u) => [Number(u.id), {id: Number(u.id), username: u.username}]))
      const byProperty = new Map<number, unknown[]>()
      for (const r of reviews) {
        const list = byProperty.get(Number(r.property_id)) ?? []
        list.push({rating: Number(r.rating), comment: r.comment, reviewer: users.get(Number(r.reviewer_id))})
        byProperty.set(Number(r.property_id), list)
      }
      const nodes = properties.map((p) => ({
        id: Number(p.id),
        name: p.name,
        pricePerNight: money(p.price_per_night),
        owner: users.get(Number(p.owner_id)),
        reviews: {nodes: byProperty.get(Number(p.id)) ?? []},
      }))
      const body = JSON.stringify({data: {properties: {nodes}}})
      res.writeHead(200, {'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-sql-statements': '3'})
      res.end(body)
    })
  })
  server.listen(0, '127.0.0.1', () => process.stderr.write(`baseline listening at http://127.0.0.1:${(server.address() as {port: number}).port}/graphql\n`))
}

// ---------------------------------------------------------------- seeding

async function seed(db: Db): Promise<void> {
  const next = random(20261121)
  const now = new Date()
  const user = (i: number, kind: string) => userRow(i, `${kind}${String(i).padStart(5, '0')}`, `${kind}${i}@bench.invalid`, now)
  const users = [...Array.from({length: OWNERS}, (_, i) => user(i + 1, 'host')), ...Array.from({length: GUESTS}, (_, i) => user(OWNERS + i + 1, 'guest'))]
  const properties = Array.from({length: PROPERTIES}, (_, i) => ({
    id: i + 1,
    owner_id: (i % OWNERS) + 1,
    name: `Bench property ${i + 1}`,
    description: null,
    address: `${i + 1} Bench Street`,
    price_per_night: `${40 + Math.floor(next() * 260)}.${String(Math.floor(next() * 100)).padStart(2, '0')}`,
    cancellation_policy: 'moderate',
    is_listed: true,
    created_at: now,
    updated_at: now,
  }))
  const reviews = properties.flatMap((p) => {
    const start = Math.floor(next() * GUESTS)
    return Array.from({length: REVIEWS_PER_PROPERTY}, (_, j) => ({
      property_id: p.id,
      reviewer_id: OWNERS + 1 + ((start + j) % GUESTS),
      rating: 1 + Math.floor(next() * 5),
      comment: `Review ${j + 1} of property ${p.id}: ${next() < 0.5 ? 'lovely stay' : 'would come back'}`,
      created_at: now,
      updated_at: now,
    }))
  })
  await insertTables(db, [
    ['users', users],
    ['properties', properties],
    ['reviews', reviews],
  ])
}

// ---------------------------------------------------------------- measuring

interface Started {
  child: ChildProcess
  url: string
  stderr: () => string
}

function start(command: string[], env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(process.execPath, command, {env: {...process.env, ...env}, stdio: ['ignore', 'ignore', 'pipe']})
  let stderr = ''
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk) => {
      stderr += chunk
      const url = /(?:GraphQL at |listening at )(http:\/\/\S+\/graphql)/.exec(stderr)?.[1]
      if (url) resolve({child, url, stderr: () => stderr})
    })
    child.on('close', (code) => reject(new Error(`${command.join(' ')} exited with ${code}:\n${stderr}`)))
  })
}

async function stop(started: Started): Promise<void> {
  const closed = new Promise((resolve) => started.child.once('close', resolve))
  started.child.kill('SIGTERM')
  await closed
}

async function ask(url: string): Promise<{text: string; json: unknown; statements: string | null}> {
  const response = await fetch(url, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({query: QUERY})})
  if (!response.ok) throw new Error(`${url} answered ${response.status}`)
  const text = await response.text()
  return {text, json: JSON.parse(text), statements: response.headers.get('x-sql-statements')}
}

async function load(url: string, seconds: number, connections: number): Promise<AutocannonResult> {
  const options = {url, method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({query: QUERY}), connections}
  await autocannon({...options, duration: Math.min(2, seconds)})
  const result = await autocannon({...options, duration: seconds})
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors under load`)
  return result
}

/** Rounds as one: mean requests/s, worst p99. */
function combine(results: AutocannonResult[]): AutocannonResult {
  return {
    requests: {average: results.reduce((sum, r) => sum + r.requests.average, 0) / results.length, total: results.reduce((sum, r) => sum + r.requests.total, 0)},
    latency: {p99: Math.max(...results.map((r) => r.latency.p99)), average: results.reduce((sum, r) => sum + r.latency.average, 0) / results.length},
    non2xx: 0,
    errors: 0,
  }
}

/** Statements one request costs in `stayctl serve`, counted from its SQL log. */
async function servedStatements(bin: string, env: NodeJS.ProcessEnv): Promise<number> {
  const logged = await start([bin, 'serve', '--port', '0'], {...env, STAYCTL_LOG_SQL: '1'})
  try {
    await ask(logged.url)
    const before = logged.stderr().split('\n').filter((l) => l.startsWith('Executing')).length
    await ask(logged.url)
    await new Promise((resolve) => setTimeout(resolve, 200))
    return logged.stderr().split('\n').filter((l) => l.startsWith('Executing')).length - before
  } finally {
    await stop(logged)
  }
}

async function main() {
  const {values: options} = parseArgs({
    options: {
      'database-url': {type: 'string'},
      duration: {type: 'string', default: '10'},
      connections: {type: 'string', default: '10'},
      rounds: {type: 'string', default: '2'},
      fresh: {type: 'boolean', default: false},
      'serve-baseline': {type: 'string'},
    },
  })
  if (options['serve-baseline']) return serveBaseline(parseDatabaseUrl(options['serve-baseline']))
  const seconds = Number(options.duration)
  const connections = Number(options.connections)
  const rounds = Number(options.rounds)
  const bin = path.join(root, 'bin', 'run.js')
  if (!fs.existsSync(path.join(root, 'dist', 'commands', 'serve.js'))) throw new Error('run `npm run build` first: the bench starts the built stayctl serve')

  const bench = await benchDatabase(options['database-url'], 'stayctl-bench-gql-')
  const {target} = bench
  const db = await openDb(target)
  try {
    await seedOnce(db, {
      fresh: options.fresh,
      table: 'reviews',
      expected: PROPERTIES * REVIEWS_PER_PROPERTY,
      what: `${OWNERS + GUESTS} users, ${PROPERTIES} properties, ${PROPERTIES * REVIEWS_PER_PROPERTY} reviews`,
      seed,
    })
  } finally {
    await db.close()
  }

  const databaseUrl = bench.url
  const env = {STAYCTL_DATABASE_URL: databaseUrl, NO_COLOR: '1', CI: 'true'}
  console.log(
    `Database: ${target.display}; ${connections} connections; ${rounds} alternating rounds of ${seconds} s per server, each after a 2 s warm-up; node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)}\n`,
  )

  const baseline = await start(['--import', 'tsx', fileURLToPath(import.meta.url), '--serve-baseline', databaseUrl], {})
  const served = await start([bin, 'serve', '--port', '0'], env)
  try {
    const [expected, actual] = await Promise.all([ask(baseline.url), ask(served.url)])
    if (!isDeepStrictEqual(expected.json, actual.json)) throw new Error('the two servers answer the bench query with different JSON')
    const bytes = Buffer.byteLength(actual.text)
    const same = actual.text === expected.text ? 'byte for byte' : 'equal as JSON, not byte for byte'
    // Alternating rounds, so that a change in the machine's load touches both alike.
    const anchors: AutocannonResult[] = []
    const graphqls: AutocannonResult[] = []
    for (let round = 0; round < rounds; round++) {
      anchors.push(await load(baseline.url, seconds, connections))
      graphqls.push(await load(served.url, seconds, connections))
    }
    const anchor = combine(anchors)
    const graphql = combine(graphqls)
    await Promise.all([stop(baseline), stop(served)])
    const statements = await servedStatements(bin, env)

    const row = (name: string, r: AutocannonResult, sql: string) =>
      `${name.padEnd(34)} ${r.requests.average.toFixed(0).padStart(8)} ${r.latency.p99.toFixed(0).padStart(8)} ${sql.padStart(10)}`
    console.log(`Same JSON from both, ${same} (${bytes} bytes per answer).\n`)
    console.log(`${'server'.padEnd(34)} ${'req/s'.padStart(8)} ${'p99 ms'.padStart(8)} ${'SQL/req'.padStart(10)}`)
    console.log(row('anchor: node:http + driver', anchor, expected.statements ?? '?'))
    console.log(row('stayctl serve (GraphQL)', graphql, String(statements)))
    const ratio = graphql.requests.average / anchor.requests.average
    console.log(
      `\nratio stayctl/anchor: ${ratio.toFixed(2)}× (target ≥ ${TARGET_RATIO}×: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'}); SQL statements per request: ${statements} (at most ${MAX_STATEMENTS}: ${statements <= MAX_STATEMENTS ? 'met' : 'NOT met'}); load average now ${os.loadavg()[0].toFixed(1)}`,
    )
  } finally {
    for (const s of [baseline, served]) if (s.child.exitCode === null) s.child.kill('SIGKILL')
    bench.cleanup()
  }
}

await main()
