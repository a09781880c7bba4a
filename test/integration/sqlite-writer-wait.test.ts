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
 */
import path from 'node:path'

import {expect} from 'chai'
import sqlite3 from 'sqlite3'

import {parseDatabaseUrl} from '../../src/config/database-url.js'
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

  before(async () => {
    file = path.join(scratch.dir, 'wait.db')
    db = await openDb(parseDatabaseUrl(`sqlite:${file}`))
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
})
