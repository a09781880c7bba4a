/**
 * Killed and stalled runners, as operators meet them: the built bin/run.js in child processes,
 * stopped at exact steps with STAYCTL_TEST_PAUSE (src/test-pause.ts) and killed with SIGKILL.
 * A `db migrate` killed at any moment is finished by the next one with no hand repair; the
 * lock is taken over from a holder that died; a holder that lost the lock stops; a seeder
 * killed before its commit leaves nothing half done; db status names an interrupted migration.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {expect} from 'chai'
import {QueryTypes} from 'sequelize'

import {discoverFiles} from '../../src/db/migrator.js'
import {createStatements, metaRows} from '../support/catalog.js'
import {isolatedEnv, runCli, startCli, type StartedCli} from '../support/cli.js'
import {freshDatabase, testDialect, type TestDatabase, withDb} from '../support/db.js'
import {useScratch} from '../support/scratch.js'

const MIGRATIONS = discoverFiles('migrations').map((f) => f.name)
/** Seconds a lock lives in these tests, unless a test says otherwise: takeovers come fast. */
const TTL = '2'

const env = isolatedEnv({STAYCTL_SCHEMA_LEASE_SECONDS: TTL})
let logDir: string
let logs = 0

const stayctl = (database: TestDatabase, args: string[], extra: NodeJS.ProcessEnv = {}) =>
  runCli([...args, '--database-url', database.url], {env: {...env, ...extra}, timeoutMs: 120_000})

/** Starts a runner that pauses as `pause` says, logging its pauses to a file of its own. */
function start(database: TestDatabase, args: string[], pause: string, extra: NodeJS.ProcessEnv = {}) {
  const log = path.join(logDir, `${++logs}.log`)
  const run = startCli([...args, '--database-url', database.url], {
    env: {...env, STAYCTL_TEST_PAUSE: pause, STAYCTL_TEST_PAUSE_LOG: log, ...extra},
  })
  return {...run, log}
}

/** The lines "<point> <pid>" the process logged so far. */
function pausesOf(log: string, pid: number | undefined): string[] {
  if (!fs.existsSync(log)) return []
  return fs
    .readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line.endsWith(` ${pid}`))
    .map((line) => line.split(' ')[0])
}

/** Waits until the process has logged `count` pauses at `point`; fails if it ends first. */
async function reached(run: StartedCli & {log: string}, point: string, count = 1): Promise<void> {
  const deadline = Date.now() + 60_000
  let ended: unknown
  void run.result.then((result) => (ended = result))
  while (pausesOf(run.log, run.child.pid).filter((p) => p === point).length < count) {
    if (ended) expect.fail(`the runner ended before pausing at ${point} (#${count}): ${JSON.stringify(ended)}`)
    expect(Date.now(), `the runner never paused at ${point} (#${count})`).to.be.below(deadline)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** The state a migrate leaves: every table's CREATE statement and the recorded migrations. */
const schemaOf = (database: TestDatabase) =>
  withDb(database, async (db) => ({
    statements: await createStatements(db),
    recorded: (await metaRows(db)).map((row) => row.name),
  }))

describe(`killed and stalled runners (e2e, ${testDialect})`, function () {
  this.timeout(600_000)

  const logFolder = useScratch({per: 'suite', folder: 'stayctl-pauses-'})
  /** What a clean migrate leaves, and how many `migration:step` moments its run has. */
  let clean: Awaited<ReturnType<typeof schemaOf>>
  let moments: number

  before(async () => {
    logDir = logFolder.dir
    const database = await freshDatabase('resume_clean')
    try {
      const run = start(database, ['db', 'migrate'], 'migration:step=0')
      const result = await run.result
      expect(result.code, result.stderr).to.equal(0)
      moments = pausesOf(run.log, run.child.pid).length
      // Every migration's operations, and the recording of each.
      expect(moments).to.be.greaterThan(MIGRATIONS.length * 2)
      clean = await schemaOf(database)
      expect(clean.recorded).to.deep.equal(MIGRATIONS)
    } finally {
      await database.drop()
    }
  })

  /** Starts `db migrate`, lets it pause at its k-th moment and kills it there. */
  async function killAt(database: TestDatabase, k: number) {
    const victim = start(database, ['db', 'migrate'], `migration:step#${k}=600000`)
    await reached(victim, 'migration:step')
    victim.child.kill('SIGKILL')
    const result = await victim.result
    expect(result.code, 'the victim was killed').to.equal(-1)
  }

  it('a db migrate killed at 10 moments spread over its run is finished by the next: exit 0, the schema of a clean migrate', async () => {
    const spread = [...new Set(Array.from({length: 10}, (_, i) => Math.floor(((i + 0.5) * moments) / 10) + 1))]
    expect(spread).to.have.length(10)
    const waits: number[] = []
    // Every moment is tried, and all that went wrong reported at the end.
    const problems: string[] = []
    for (const k of spread) {
      const database = await freshDatabase(`resume_${k}`)
      try {
        await killAt(database, k)
        const started = Date.now()
        const next = await stayctl(database, ['db', 'migrate'])
        waits.push(Date.now() - started)
        if (next.code !== 0) problems.push(`moment ${k}: exit ${next.code}: ${next.stderr.trim().split('\n').at(-1)}`)
        else if (JSON.stringify(await schemaOf(database)) !== JSON.stringify(clean)) problems.push(`moment ${k}: the schema differs from a clean migrate's`)
      } finally {
        await database.drop()
      }
    }
    console.log(`      moments ${spread.join(', ')} of ${moments}; the next db migrate took ${waits.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s`)
    expect(problems, `${problems.length} of ${spread.length} kills needed repair`).to.deep.equal([])
  })

  it('takes the lock over from a holder that died: at once on the same server (MySQL), once the lock file went stale (SQLite)', async () => {
    const database = await freshDatabase('resume_takeover')
    const tenSeconds = {STAYCTL_SCHEMA_LEASE_SECONDS: '10'}
    try {
      const holder = start(database, ['db', 'migrate'], 'schema:locked=600000', tenSeconds)
      await reached(holder, 'schema:locked')
      const blocked = await stayctl(database, ['db', 'migrate', '--lock-timeout', '1'], tenSeconds)
      expect(blocked.code, blocked.stderr).to.equal(7)
      expect(blocked.stderr).to.match(/timed out waiting for the schema lock/)
      if (testDialect === 'mysql') {
        expect(blocked.stderr).to.include(`Waiting for the schema lock (held by pid ${holder.child.pid} on host ${os.hostname()} (db migrate))`)
      }

      holder.child.kill('SIGKILL')
      await holder.result
      const started = Date.now()
      const next = await stayctl(database, ['db', 'migrate'], tenSeconds)
      const took = Date.now() - started
      expect(next.code, next.stderr).to.equal(0)
      expect(next.stdout).to.match(new RegExp(`^Applied ${MIGRATIONS.length} migrations`, 'm'))
      if (testDialect === 'mysql') {
        // The dead holder's beacon is free on this very server: no waiting for its 10 s to run out.
        // The message names how (gone, not expired); the time only has to stay inside the lease's
        // life, which a loaded machine's process start-ups must not be able to break.
        expect(next.stderr).to.include(`Took the schema lock over from pid ${holder.child.pid} on host`)
        expect(next.stderr).to.include('its connection is gone')
        expect(took).to.be.below(10_000)
      } else {
        expect(took).to.be.below(20_000)
      }
      console.log(`      takeover after kill -9 of the holder: ${(took / 1000).toFixed(1)} s (lock lives 10 s)`)
    } finally {
      await database.drop()
    }
  })

  it('a holder stalled longer than its lock lives loses it to another runner, and stops before its next step', async () => {
    const database = await freshDatabase('resume_stalled')
    try {
      const k = Math.ceil(moments / 3)
      // Every step is logged (the second entry), and the k-th pauses 1.5 s (the first).
      const victim = start(database, ['db', 'migrate'], `migration:step#${k}=1500,migration:step=0`)
      await reached(victim, 'migration:step', k)
      victim.child.kill('SIGSTOP')
      let rescuer: (StartedCli & {log: string}) | undefined
      try {
        rescuer = start(database, ['db', 'migrate'], 'schema:locked=0')
        await reached(rescuer, 'schema:locked')
      } finally {
        victim.child.kill('SIGCONT')
      }
      const [lost, finished] = await Promise.all([victim.result, rescuer.result])
      expect(lost.code, lost.stderr).to.equal(7)
      expect(lost.stderr).to.match(/lost the schema lock/)
      expect(pausesOf(victim.log, victim.child.pid), 'the victim went on after it lost the lock').to.have.length(k)
      expect(finished.code, finished.stderr).to.equal(0)
      if (testDialect === 'mysql') expect(finished.stderr).to.match(/Took the schema lock over from pid \d+ .*it stopped renewing it/)
      expect(await schemaOf(database)).to.deep.equal(clean)
    } finally {
      await database.drop()
    }
  })

  it('db status names a migration interrupted half-way (MySQL; on SQLite there is none: one transaction each), and db migrate finishes it', async () => {
    const database = await freshDatabase('resume_status')
    try {
      await killAt(database, Math.ceil(moments / 2))
      const status = await stayctl(database, ['db', 'status', '--json'])
      expect(status.code, status.stderr).to.equal(0)
      const body = JSON.parse(status.stdout) as {migrations: {name: string; state: string}[]; warnings: string[]; pendingMigrations: number}
      const interrupted = body.migrations.filter((m) => m.state === 'interrupted')
      if (testDialect === 'mysql') {
        expect(interrupted).to.have.length(1)
        const [{name}] = interrupted
        expect(body.warnings).to.have.length(1)
        expect(body.warnings[0]).to.match(new RegExp(`^migration ${name.replace(/\./g, '\\.')} was interrupted at \\d{4}-.* \\(by pid \\d+ on host .*\\(db migrate\\)\\) and is partly applied; \`stayctl db migrate\` will finish it$`))
        expect(body.pendingMigrations).to.equal(MIGRATIONS.length - MIGRATIONS.indexOf(name))
        const human = await stayctl(database, ['db', 'status'])
        expect(human.stdout).to.match(new RegExp(`^${name.replace(/\./g, '\\.')}\tinterrupted\t`, 'm'))
      } else {
        expect(interrupted).to.deep.equal([])
        expect(body.warnings).to.deep.equal([])
      }
      expect((await stayctl(database, ['db', 'migrate'])).code).to.equal(0)
      const after = JSON.parse((await stayctl(database, ['db', 'status', '--json'])).stdout) as typeof body
      expect(after.warnings).to.deep.equal([])
      expect(after.migrations.every((m) => m.state === 'applied')).to.equal(true)
    } finally {
      await database.drop()
    }
  })

  it('a db seed killed between its data and its SequelizeData row leaves nothing: the next seed inserts the data once', async () => {
    const database = await freshDatabase('resume_seed')
    const options = ['--random-seed', '7', '--reference-date', '2026-11-21', '--json']
    // The admin password as the docs recommend: in the environment (--admin-password warns).
    const admin = {STAYCTL_ADMIN_PASSWORD: 'resume-admin-pw'}
    const counts = () =>
      withDb(database, async (db) => {
        const [row] = await db.sequelize.query<Record<string, number | string>>(
          `SELECT (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM bookings) AS bookings,
                  (SELECT COUNT(*) FROM payments) AS payments, (SELECT COUNT(*) FROM SequelizeData) AS seeders`,
          {type: QueryTypes.SELECT},
        )
        return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]))
      })
    try {
      expect((await stayctl(database, ['db', 'migrate'])).code).to.equal(0)
      const victim = start(database, ['db', 'seed', ...options], 'seeder:record=600000', admin)
      await reached(victim, 'seeder:record')
      victim.child.kill('SIGKILL')
      await victim.result
      expect(await counts()).to.deep.include({users: 0, bookings: 0, payments: 0})

      const next = await stayctl(database, ['db', 'seed', ...options], admin)
      expect(next.code, next.stderr).to.equal(0)
      const body = JSON.parse(next.stdout) as {alreadySeeded: boolean; rows: Record<string, number>}
      expect(body.alreadySeeded).to.equal(false)
      expect(await counts()).to.deep.equal({users: body.rows.users, bookings: body.rows.bookings, payments: body.rows.payments, seeders: 1})

      const again = await stayctl(database, ['db', 'seed', ...options], admin)
      expect(JSON.parse(again.stdout)).to.include({alreadySeeded: true})
      expect(await counts()).to.deep.equal({users: body.rows.users, bookings: body.rows.bookings, payments: body.rows.payments, seeders: 1})
    } finally {
      await database.drop()
    }
  })
})
