/**
 * A transaction that waits for SQLite's write lock waits in a worker thread (the busy handler),
 * and the event loop goes on meanwhile: the holder, here a connection of the same process that
 * commits on a timer, commits, and the waiter goes on at once. When a statement of the waiting
 * connection was finalized on the main thread during the wait (Sequelize's PRAGMA FOREIGN_KEYS=ON,
 * sent without waiting just before the BEGIN IMMEDIATE), the main thread waited for the
 * connection's mutex, the whole process stood still, and the holder committed only once the busy
 * timeout (30 s) had run out: two imports of one process then took 30 s each.
 * The same held on the connection of statements outside transactions (Sequelize's 'default'),
 * where reads run side by side: a read that finished while a write waited was finalized on the
 * main thread (`serve` updating a token's last use beside a request's read, say).
 * Bookkeeping that a later call does again (a token's last use: updateIfUnlocked) does not wait
 * for the lock at all, so the reads sent after it on that connection do not wait either.
 */
import path from 'node:path'

import {expect} from 'chai'
import {DataTypes, QueryTypes} from 'sequelize'
import sqlite3 from 'sqlite3'

import {parseDatabaseUrl} from '../../src/config/database-url.js'
import {updateIfUnlocked} from '../../src/db/connection.js'
import {sqliteBusyTimeoutMs} from '../../src/db/lock-wait.js'
import {openDb, type Db} from '../../src/db/index.js'
import {inTransaction} from '../../src/services/transaction.js'
import {testContext} from '../support/fixtures.js'
import {useScratch} from '../support/scratch.js'

/** Rounds: whether the finalize meets the wait depends on thread timing, so one round may miss it. */
const ROUNDS = 10
const HOLD_MS = 200

describe('a SQLite write waiting for another writer', function () {
  this.timeout(120_000)
  const scratch = useScratch({per: 'suite', folder: 'stayctl-writer-wait-'})
  let file: string
  let db: Db
  /** Called with each statement as Sequelize logs it: just before the connection gets it. */
  let onSql: (sql: string) => void = () => {}

  before(async () => {
    file = path.join(scratch.dir, 'wait.db')
    db = await openDb(parseDatabaseUrl(`sqlite:${file}`), {logSql: (sql) => onSql(sql)})
    scratch.defer(() => db.close())
    await db.sequelize.query('CREATE TABLE t (x INTEGER)')
  })

  const exec = (connection: sqlite3.Database, sql: string) => new Promise<void>((resolve, reject) => connection.exec(sql, (error) => (error ? reject(error) : resolve())))

  /** Holds the write lock from a connection of this process, which commits after HOLD_MS: a stopped event loop never commits. */
  async function holdLock(): Promise<{released: Promise<void>}> {
    const holder = new sqlite3.Database(file)
    await exec(holder, 'BEGIN IMMEDIATE; INSERT INTO t VALUES (1)')
    const released = new Promise<void>((resolve, reject) => setTimeout(() => exec(holder, 'COMMIT').then(resolve, reject), HOLD_MS)).finally(
      () => new Promise<void>((resolve) => holder.close(() => resolve())),
    )
    return {released}
  }

  /** The longest the event loop stood still while `work` ran, and how long that took. */
  async function watch(work: () => Promise<unknown>): Promise<{waited: number; stood: number}> {
    let last = Date.now()
    let stood = 0
    const ticker = setInterval(() => {
      stood = Math.max(stood, Date.now() - last)
      last = Date.now()
    }, 10)
    const started = Date.now()
    try {
      await work()
    } finally {
      clearInterval(ticker)
    }
    return {waited: Date.now() - started, stood: Math.max(stood, Date.now() - last)}
  }

  it(`outside a transaction, a read that ends while a write waits leaves the event loop running (${ROUNDS} rounds)`, async () => {
    // About 100 ms of stepping: the write's statement is ready (and queued for the mutex) before the read ends.
    const slowRead = 'WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000) SELECT count(*) AS n FROM c'
    for (let round = 0; round < ROUNDS; round++) {
      const {released} = await holdLock()
      let read = 0
      const started = Date.now()
      try {
        const {waited, stood} = await watch(() =>
          Promise.all([db.sequelize.query(slowRead).then(() => (read = Date.now() - started)), db.sequelize.query('INSERT INTO t VALUES (3)')]),
        )
        expect(
          {round, waitedUnder2s: waited < 2000, stoodStillUnder1s: stood < 1000},
          `waited ${waited} ms (the read ${read} ms), the event loop stood still ${stood} ms`,
        ).to.deep.equal({round, waitedUnder2s: true, stoodStillUnder1s: true})
      } finally {
        await released
      }
    }
  })

  it(`leaves the event loop running: the holder commits after ${HOLD_MS} ms and the waiter goes on then (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const {released} = await holdLock()
      try {
        const {waited, stood} = await watch(() => inTransaction(testContext(db), (transaction) => db.sequelize.query('INSERT INTO t VALUES (2)', {transaction})))
        expect({round, waitedUnder2s: waited < 2000, stoodStillUnder1s: stood < 1000}, `waited ${waited} ms, the event loop stood still ${stood} ms`).to.deep.equal({
          round,
          waitedUnder2s: true,
          stoodStillUnder1s: true,
        })
      } finally {
        await released
      }
    }
  })

  it('updateIfUnlocked skips its write at once while another connection holds the lock, a read sent behind it is answered meanwhile, and the connection waits for the lock again after it', async () => {
    /** How long the holder keeps the lock if the answers do not come: they come in milliseconds, or only once it lets go. */
    const BOUND_MS = 10_000
    const T = db.sequelize.define('T', {x: DataTypes.INTEGER}, {tableName: 't', timestamps: false})
    await db.sequelize.query('INSERT INTO t VALUES (7)')
    const holder = new sqlite3.Database(file)
    await exec(holder, 'BEGIN IMMEDIATE')
    let held: unknown
    let answers: Promise<unknown[]> = Promise.resolve([])
    let bound: NodeJS.Timeout | undefined
    try {
      let tries = 0
      const queued = new Promise<void>((resolve) => {
        onSql = (sql) => {
          if (!/UPDATE `t`/.test(sql)) return
          tries++
          resolve()
        }
      })
      const write = updateIfUnlocked(T, {x: 8}, {x: 7})
      await queued
      answers = Promise.all([write, db.sequelize.query('SELECT count(*) AS n FROM t WHERE x = 7', {type: QueryTypes.SELECT})])
      held = await Promise.race([answers.then(() => 'answered while the lock was held'), new Promise((resolve) => (bound = setTimeout(() => resolve(`no answer in ${BOUND_MS} ms`), BOUND_MS)))])
      // Once: not Sequelize's retries of SQLITE_BUSY (5 tries, 0.1 s apart).
      held = `${held}, tried ${tries} time(s)`
    } finally {
      onSql = () => {}
      clearTimeout(bound)
      await exec(holder, 'COMMIT')
      await new Promise<void>((resolve) => holder.close(() => resolve()))
    }
    expect({held, answers: await answers}).to.deep.equal({held: 'answered while the lock was held, tried 1 time(s)', answers: [false, [{n: 1}]]})
    // Its busy timeout is the connection's again: the next writer waits for the lock.
    expect(await db.sequelize.query('PRAGMA busy_timeout', {type: QueryTypes.SELECT})).to.deep.equal([{timeout: sqliteBusyTimeoutMs()}])
    expect(await updateIfUnlocked(T, {x: 8}, {x: 7}), 'once the lock is free').to.equal(true)
    expect(await db.sequelize.query('SELECT x FROM t WHERE x IN (7, 8)', {type: QueryTypes.SELECT})).to.deep.equal([{x: 8}])
  })

})
