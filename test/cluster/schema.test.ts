/**
 * The schema lock on a multi-primary cluster (Galera in CI): `db migrate` and `db seed` started
 * together on different nodes apply each migration and seeder exactly once, and a `db migrate`
 * killed at any moment is finished by the next one, on the same node or another. Compared with
 * what a single MariaDB server makes (STAYCTL_TEST_DATABASE_URL, default 127.0.0.1:3306).
 *
 * The race is made certain, not hoped for: every runner pauses right after it took the lock
 * until one shared moment (STAYCTL_TEST_PAUSE schema:locked=@epochMs), so runners that wrongly
 * hold the lock at once (a node-local GET_LOCK: one per node) all go at that moment together.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {expect} from 'chai'
import mysql from 'mysql2/promise'

import {parseDatabaseUrl} from '../../src/config/database-url.js'
import {discoverFiles} from '../../src/db/migrator.js'
import {SEED_TABLES} from '../../src/services/seed-data.js'
import {isolatedEnv, runCli, startCli, type CliResult} from '../support/cli.js'
import {describeCluster, freshClusterDatabase, type ClusterDatabase} from '../support/cluster.js'

const MIGRATIONS = discoverFiles('migrations').map((f) => f.name)
const SINGLE_URL = process.env.STAYCTL_TEST_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test'
const SEED = ['--random-seed', '7', '--reference-date', '2026-11-21']
/** The admin password of every seed, in the environment as the docs recommend (--admin-password warns). */
const SEED_ENV = {STAYCTL_ADMIN_PASSWORD: 'cluster-admin-pw'}
/** Seconds a lease lives here: a takeover on another node waits for it to run out. */
const TTL = '3'

const env = isolatedEnv({STAYCTL_SCHEMA_LEASE_SECONDS: TTL})
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stayctl-cluster-pauses-'))

/** A database of its own on the single server, created empty; drop() removes it. */
async function singleDatabase(label: string): Promise<{url: string; drop: () => Promise<void>}> {
  const base = parseDatabaseUrl(SINGLE_URL)
  if (base.dialect !== 'mysql') throw new Error('STAYCTL_TEST_DATABASE_URL must be a mysql:// URL for the cluster tier')
  const name = `s_${label}_${process.pid}`.slice(0, 64)
  const server = () => mysql.createConnection({host: base.host, port: base.port, user: base.user, password: base.password})
  const c = await server()
  await c.query(`DROP DATABASE IF EXISTS \`${name}\``)
  await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  await c.end()
  const url = new URL(SINGLE_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const d = await server()
      await d.query(`DROP DATABASE IF EXISTS \`${name}\``)
      await d.end()
    },
  }
}

/** A connection to a database through a URL, reading what the cluster committed before (wsrep_sync_wait). */
async function connect(url: string): Promise<mysql.Connection> {
  const t = parseDatabaseUrl(url)
  if (t.dialect !== 'mysql') throw new Error('mysql only')
  const c = await mysql.createConnection({host: t.host, port: t.port, user: t.user, password: t.password, database: t.database, dateStrings: true})
  const [wsrep] = await c.query<mysql.RowDataPacket[]>("SHOW VARIABLES LIKE 'wsrep_sync_wait'")
  if (wsrep.length > 0) await c.query('SET SESSION wsrep_sync_wait = 1')
  return c
}

/** SHOW CREATE TABLE of every table (the lease table too), AUTO_INCREMENT counters left out. */
async function createStatements(url: string): Promise<Record<string, string>> {
  const c = await connect(url)
  try {
    const [tables] = await c.query<mysql.RowDataPacket[]>(
      "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
    )
    const statements: Record<string, string> = {}
    for (const {name} of tables) {
      const [[row]] = await c.query<mysql.RowDataPacket[]>(`SHOW CREATE TABLE \`${name}\``)
      statements[name] = String(row['Create Table']).replace(/ AUTO_INCREMENT=\d+/, '')
    }
    return statements
  } finally {
    await c.end()
  }
}

async function rowsOf(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const c = await connect(url)
  try {
    return (await c.query<mysql.RowDataPacket[]>(sql))[0].map((row) => ({...row}))
  } finally {
    await c.end()
  }
}

/** The seeded rows of the five tables, the admin's (randomly salted) hash left out. */
async function seededData(url: string): Promise<Record<string, Record<string, unknown>[]>> {
  const data: Record<string, Record<string, unknown>[]> = {}
  for (const table of SEED_TABLES) data[table] = await rowsOf(url, `SELECT * FROM \`${table}\` ORDER BY id`)
  for (const user of data.users) if (user.username === 'admin') user.password_hash = '<admin>'
  return data
}

const cli = (url: string, args: string[], extra: NodeJS.ProcessEnv = {}) =>
  runCli([...args, '--database-url', url], {env: {...env, ...extra}, timeoutMs: 300_000})

/** Six runners, two per node, all taking the lock at one moment a few seconds from now. */
async function sixAtOnce(database: ClusterDatabase, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliResult[]> {
  const moment = Date.now() + 8000
  const results = await Promise.all(
    [0, 1, 2, 3, 4, 5].map((i) => cli(database.urlFor(i), args, {...extra, STAYCTL_TEST_PAUSE: `schema:locked=@${moment}`})),
  )
  expect(Date.now(), 'the runners took longer to start than the shared moment allows').to.be.above(moment)
  return results
}

describeCluster('the schema lock on a cluster (e2e)', function () {
  this.timeout(900_000)

  /** What one server makes: a clean migrate, and a seed with SEED (and SEED_ENV). */
  let reference: {statements: Record<string, string>; data: Record<string, Record<string, unknown>[]>}

  before(async () => {
    const single = await singleDatabase('reference')
    try {
      const migrated = await cli(single.url, ['db', 'migrate'])
      expect(migrated.code, migrated.stderr).to.equal(0)
      const statements = await createStatements(single.url)
      const seeded = await cli(single.url, ['db', 'seed', ...SEED], SEED_ENV)
      expect(seeded.code, seeded.stderr).to.equal(0)
      reference = {statements, data: await seededData(single.url)}
      expect(Object.keys(reference.statements)).to.include.members(['SequelizeMeta', 'users'])
    } finally {
      await single.drop()
    }
  })

  after(() => fs.rmSync(logDir, {recursive: true, force: true}))

  describe('six `db migrate` started together, two per node, on an empty database', () => {
    let database: ClusterDatabase
    let results: CliResult[]

    before(async () => {
      database = await freshClusterDatabase('six_migrate')
      results = await sixAtOnce(database, ['db', 'migrate'])
    })
    after(() => database?.drop())

    it('all exit 0: one applies every migration, the five others wait (saying for whom) and find it up to date', () => {
      for (const result of results) expect(result.code, result.stderr).to.equal(0)
      const applied = results.filter((r) => new RegExp(`^Applied ${MIGRATIONS.length} migrations to `, 'm').test(r.stdout))
      const upToDate = results.filter((r) => /^Database is up to date/m.test(r.stdout))
      expect(applied, results.map((r) => r.stdout).join('')).to.have.length(1)
      expect(upToDate).to.have.length(5)
      for (const waiter of upToDate) {
        expect(waiter.stderr.match(/Waiting for the schema lock \(held by pid \d+ on host .+ \(db migrate\)\)…/g), waiter.stderr).to.have.length(1)
      }
    })

    it('records each migration exactly once, as every node sees it', async () => {
      for (const url of database.urls) {
        const rows = await rowsOf(url, 'SELECT name, COUNT(*) AS n FROM SequelizeMeta GROUP BY name ORDER BY name')
        expect(rows.map((row) => [row.name, Number(row.n)]), url).to.deep.equal(MIGRATIONS.map((name) => [name, 1]))
      }
    })

    it('makes every table as a migrate on a single server does (SHOW CREATE TABLE, on every node)', async () => {
      for (const url of database.urls) expect(await createStatements(url), url).to.deep.equal(reference.statements)
    })
  })

  describe('six `db seed` started together, two per node, after a migrate', () => {
    let database: ClusterDatabase
    let results: CliResult[]

    before(async () => {
      database = await freshClusterDatabase('six_seed')
      expect((await cli(database.urlFor(0), ['db', 'migrate'])).code).to.equal(0)
      results = await sixAtOnce(database, ['db', 'seed', ...SEED, '--json'], SEED_ENV)
    })
    after(() => database?.drop())

    it('all exit 0: one seeds, the five others find it seeded', () => {
      for (const result of results) expect(result.code, result.stderr).to.equal(0)
      const bodies = results.map((r) => JSON.parse(r.stdout) as {alreadySeeded: boolean})
      expect(bodies.filter((b) => !b.alreadySeeded)).to.have.length(1)
      expect(bodies.filter((b) => b.alreadySeeded)).to.have.length(5)
    })

    it('records the seeder once and holds the data a seed on a single server makes, on every node', async () => {
      for (const url of database.urls) {
        const rows = await rowsOf(url, 'SELECT name FROM SequelizeData')
        expect(rows.map((row) => row.name), url).to.deep.equal(discoverFiles('seeders').map((f) => f.name))
        expect(await seededData(url), url).to.deep.equal(reference.data)
      }
    })
  })

  describe('`db migrate` killed at 10 moments spread over its run', () => {
    let moments: number

    before(async () => {
      const database = await freshClusterDatabase('moments')
      try {
        const log = path.join(logDir, 'moments.log')
        const result = await cli(database.urlFor(0), ['db', 'migrate'], {STAYCTL_TEST_PAUSE: 'migration:step=0', STAYCTL_TEST_PAUSE_LOG: log})
        expect(result.code, result.stderr).to.equal(0)
        moments = fs.readFileSync(log, 'utf8').trim().split('\n').length
      } finally {
        await database.drop()
      }
    })

    it('the next `db migrate`, through the same node or another, exits 0 and the schema is a clean migrate\'s', async () => {
      const spread = [...new Set(Array.from({length: 10}, (_, i) => Math.floor(((i + 0.5) * moments) / 10) + 1))]
      expect(spread).to.have.length(10)
      const report: string[] = []
      // Every moment is tried, and all that went wrong reported at the end.
      const problems: string[] = []
      for (const [i, k] of spread.entries()) {
        const database = await freshClusterDatabase(`kill_${k}`)
        try {
          const log = path.join(logDir, `kill_${k}.log`)
          const victim = startCli(['db', 'migrate', '--database-url', database.urlFor(i)], {
            env: {...env, STAYCTL_TEST_PAUSE: `migration:step#${k}=600000`, STAYCTL_TEST_PAUSE_LOG: log},
          })
          const deadline = Date.now() + 120_000
          while (!(fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes(`migration:step ${victim.child.pid}`))) {
            if (victim.child.exitCode !== null) {
              const ended = await victim.result
              expect.fail(`the victim ended before moment ${k}: exit ${ended.code}: ${ended.stderr.trim()}`)
            }
            expect(Date.now()).to.be.below(deadline)
            await new Promise((resolve) => setTimeout(resolve, 20))
          }
          victim.child.kill('SIGKILL')
          await victim.result
          // Every other round through another node: it must wait for the dead runner's lease to run out.
          const node = i % 2 === 0 ? i + 1 : i
          const started = Date.now()
          const next = await cli(database.urlFor(node), ['db', 'migrate'])
          const took = Date.now() - started
          report.push(`${k}: ${node % 3 === i % 3 ? 'same node' : 'other node'} ${(took / 1000).toFixed(1)} s`)
          const recorded = (await rowsOf(database.urlFor(node), 'SELECT name FROM SequelizeMeta ORDER BY name')).map((row) => row.name)
          if (next.code !== 0) problems.push(`moment ${k}: exit ${next.code}: ${next.stderr.trim().split('\n').at(-1)}`)
          else if (!/Took the schema lock over from pid \d+/.test(next.stderr)) problems.push(`moment ${k}: no takeover reported`)
          else if (JSON.stringify(await createStatements(database.urlFor(node))) !== JSON.stringify(reference.statements)) {
            problems.push(`moment ${k}: SHOW CREATE TABLE differs from a clean migrate's`)
          } else if (JSON.stringify(recorded) !== JSON.stringify(MIGRATIONS)) problems.push(`moment ${k}: SequelizeMeta holds ${recorded.length} rows`)
        } finally {
          await database.drop()
        }
      }
      console.log(`      ${moments} moments; lease ${TTL} s; next db migrate: ${report.join('; ')}`)
      expect(problems, `${problems.length} of ${spread.length} kills needed repair`).to.deep.equal([])
    })
  })
})
