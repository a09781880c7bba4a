/**
 * The schema lock in one process (src/db/lock.ts, src/db/lease.ts): a waiter names the holder
 * once and gets the lock when it is released; on MySQL, a holder whose lease was taken over
 * can neither confirm it nor commit a fenced transaction, and a holder whose connection died is
 * taken over at once on the same server, long before its lease would run out; on SQLite, a
 * holder that stood still long enough for its lock file to go stale stops before its next step,
 * even when it stood still for less than the lock lives.
 */
import fs from 'node:fs'

import {expect} from 'chai'
import lockfile from 'proper-lockfile'
import {QueryTypes} from 'sequelize'

import type {Db} from '../../src/db/index.js'
import {LEASE_TABLE, LeaseLostError, readLeaseState} from '../../src/db/lease.js'
import {withSchemaLock, type SchemaLease} from '../../src/db/lock.js'
import {testDialect, type TestDatabase} from '../support/db.js'
import {useScratch} from '../support/scratch.js'

/** Holds the lock in the background until `release()` is called. */
function hold(database: TestDatabase, task: string) {
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  let lease!: SchemaLease
  const taken = new Promise<void>((resolve, reject) => {
    withSchemaLock(
      database.target,
      async (l) => {
        lease = l
        resolve()
        await released
      },
      {task},
    ).catch(reject)
  })
  return {taken, release, lease: () => lease}
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  return expect.fail('expected an error')
}

describe(`the schema lock (${testDialect})`, function () {
  this.timeout(60_000)
  const scratch = useScratch({per: 'test', database: 'lock', empty: true})
  let database: TestDatabase
  let db: Db
  const ttl = process.env.STAYCTL_SCHEMA_LEASE_SECONDS

  beforeEach(async () => {
    // A long lease: nothing in these tests may expire by itself.
    process.env.STAYCTL_SCHEMA_LEASE_SECONDS = '60'
    ;({database, db} = scratch)
  })
  afterEach(async () => {
    if (ttl === undefined) delete process.env.STAYCTL_SCHEMA_LEASE_SECONDS
    else process.env.STAYCTL_SCHEMA_LEASE_SECONDS = ttl
  })

  it('a waiter names the holder once, and gets the lock when the holder releases it', async () => {
    const first = hold(database, 'first runner')
    await first.taken
    const waits: string[] = []
    const second = withSchemaLock(database.target, async () => 'second ran', {task: 'second runner', onWait: (holder) => waits.push(holder)})
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(waits).to.have.length(1)
    if (testDialect === 'mysql') {
      expect(waits[0]).to.equal(`${first.lease().holder}`).and.to.match(/^pid \d+ on host .+ \(first runner\)$/)
      expect((await readLeaseState(db.sequelize))?.holder).to.equal(first.lease().holder)
    }
    first.release()
    expect(await second).to.equal('second ran')
    expect(waits).to.have.length(1)
  })

  describe('on a server', () => {
    before(function () {
      if (testDialect !== 'mysql') this.skip()
    })

    it('a holder whose lease expired and was taken over can neither confirm it nor commit a fenced transaction', async () => {
      const first = hold(database, 'first runner')
      await first.taken
      await db.sequelize.query(`UPDATE ${LEASE_TABLE} SET expires_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND`)
      const takeovers: string[] = []
      await withSchemaLock(
        database.target,
        async () => {
          const lost = first.lease()
          expect(await caught(lost.confirm())).to.be.instanceOf(LeaseLostError)
          await db.sequelize.query('CREATE TABLE fenced (id INTEGER PRIMARY KEY)')
          const error = await caught(
            db.sequelize.transaction(async (transaction) => {
              await db.sequelize.query('INSERT INTO fenced (id) VALUES (1)', {transaction})
              await lost.fence(transaction, db.sequelize)
            }),
          )
          expect(error).to.be.instanceOf(LeaseLostError)
          expect(String((error as Error).message)).to.match(/lost the schema lock/)
          expect(await db.sequelize.query('SELECT id FROM fenced', {type: QueryTypes.SELECT})).to.deep.equal([])
        },
        {task: 'second runner', onTakeover: (holder, how) => takeovers.push(`${how}: ${holder}`)},
      )
      expect(takeovers).to.deep.equal([`expired: ${first.lease().holder}`])
      first.release()
    })

    it('a holder whose connection died is taken over at once on the same server, and learns it lost the lock', async () => {
      const first = hold(database, 'first runner')
      await first.taken
      const [row] = await db.sequelize.query<{id: number}>(`SELECT IS_USED_LOCK(beacon) AS id FROM ${LEASE_TABLE}`, {type: QueryTypes.SELECT})
      await db.sequelize.query(`KILL ${Number(row.id)}`)
      const started = Date.now()
      const takeovers: string[] = []
      await withSchemaLock(database.target, async () => {}, {task: 'second runner', onTakeover: (_holder, how) => takeovers.push(how)})
      expect(takeovers).to.deep.equal(['gone'])
      expect(Date.now() - started).to.be.below(5000)
      expect(await caught(first.lease().confirm())).to.be.instanceOf(LeaseLostError)
      first.release()
    })
  })

  describe('in a lock file (SQLite)', () => {
    before(function () {
      if (testDialect !== 'sqlite') this.skip()
    })

    /** Blocks this process's event loop until `until` (epoch ms): no timer, no I/O callback runs meanwhile. */
    function standStill(until: number): void {
      const cell = new Int32Array(new SharedArrayBuffer(4))
      while (Date.now() < until) Atomics.wait(cell, 0, 0, until - Date.now())
    }

    it('a holder that stood still longer than stale - update, and lost its lock file meanwhile, stops before its next step', async () => {
      // A lock of 2 s: proper-lockfile calls the file stale once it went STALE ms without a
      // refresh, and the holder refreshes it every UPDATE ms (src/db/lock.ts).
      process.env.STAYCTL_SCHEMA_LEASE_SECONDS = '2'
      const STALE = 2000
      const UPDATE = 1000
      // The holder stands still for STAND ms: longer than stale - update, shorter than stale. It
      // starts AGED ms after its last refresh or later, so that the file has gone AGED + STAND >
      // STALE ms without a refresh when the other runner looks.
      const STAND = STALE - UPDATE + 200
      const AGED = STALE - STAND + 100
      if (database.target.dialect !== 'sqlite') throw new Error('unreachable')
      const storage = database.target.storage
      const lockPath = `${storage}.schema.lock`
      const refreshed = () => Math.round(fs.statSync(lockPath).mtimeMs)
      await db.sequelize.query('CREATE TABLE steps (runner TEXT NOT NULL, n INTEGER NOT NULL)')
      const writes = async () =>
        (await db.sequelize.query<{runner: string; n: number}>('SELECT runner, n FROM steps ORDER BY rowid', {type: QueryTypes.SELECT})).map(
          (row) => `${row.runner} ${row.n}`,
        )
      /** A step of a runner: it confirms its lease, then writes. */
      const step = async (lease: SchemaLease, n: number) => {
        await lease.confirm()
        await db.sequelize.query("INSERT INTO steps (runner, n) VALUES ('victim', ?)", {replacements: [n]})
      }

      let releaseOther: (() => void) | undefined
      let stood = 0
      let age = 0
      let refused: unknown
      const victim = withSchemaLock(
        database.target,
        async (lease) => {
          await step(lease, 1)
          // Wait until the last refresh is AGED ms old: the next comes UPDATE ms after it, and a
          // timer due earlier runs first, so none comes between (checked: the file's mtime).
          for (;;) {
            const last = refreshed()
            await new Promise((resolve) => setTimeout(resolve, Math.max(0, last + AGED - Date.now())))
            await lease.confirm()
            const start = Date.now()
            if (refreshed() !== last || start - last < AGED) continue
            age = start - last
            // From here on, synchronously: the process stands still, as if stopped (SIGSTOP, swap,
            // a long pause of the runtime); no refresh and no lease check runs.
            standStill(start + STAND)
            // Another runner finds the file stale (AGED + STAND ms without a refresh) and takes it.
            releaseOther = lockfile.lockSync(storage, {lockfilePath: lockPath, realpath: false, stale: STALE, update: UPDATE, onCompromised: () => {}})
            stood = Date.now() - start
            break
          }
          // The process runs again: its next step, before any of its timers (the lock file's
          // refresh, which would find the file taken) could run.
          try {
            await step(lease, 2)
          } catch (error) {
            refused = error
            throw error
          }
        },
        {task: 'victim'},
      )
      const outcome = await victim.then(
        () => 'finished',
        (error: unknown) => error,
      )
      try {
        releaseOther?.()
      } catch {
        // The victim's release removed the other runner's lock file (both locks live in this process).
      }
      expect(releaseOther, 'the other runner took the lock').to.be.a('function')
      console.log(`      the victim stood still ${stood} ms from ${age} ms after its last refresh: the file went ${age + stood} ms without one`)
      // The race as set up: the file went stale, and the victim stood still for less than the lock lives.
      expect(age + stood, 'ms the lock file went without a refresh when the other runner took it').to.be.above(STALE)
      expect(stood, 'ms the victim stood still: longer than stale - update').to.be.above(STALE - UPDATE)
      expect(stood, 'ms the victim stood still: shorter than the lock lives (the machine paused the test itself)').to.be.below(STALE)
      expect(await writes(), 'the victim wrote after another runner took the lock').to.deep.equal(['victim 1'])
      expect(refused, 'the victim went on after it lost the lock').to.be.instanceOf(LeaseLostError)
      expect(outcome).to.equal(refused)
      expect(String((refused as Error).message)).to.match(/lost the schema lock: this process stood still for \d+ s/)
    })
  })
})
