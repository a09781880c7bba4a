/**
 * A transaction that waits for SQLite's write lock waits in a worker thread (the busy handler),
 * and the event loop goes on meanwhile: the holder, here a connection of the same process that
 * commits on a timer, commits, and the waiter goes on at once. When a statement of the waiting
 * connection was finalized on the main thread during the wait (Sequelize's PRAGMA FOREIGN_KEYS=ON,
 * sent without waiting just before the BEGIN IMMEDIATE), the main thread waited for the
 * connection's mutex, the whole process stood still, and the holder committed only once the busy
 * timeout (30 s) had run out: two imports of one process then took 30 s each.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {expect} from 'chai'
import sqlite3 from 'sqlite3'

import {parseDatabaseUrl} from '../../src/config/database-url.js'
import {openDb, type Db} from '../../src/db/index.js'
import {inTransaction} from '../../src/services/transaction.js'
import {testContext} from '../support/fixtures.js'

/** Rounds: whether the finalize meets the wait depends on thread timing, so one round may miss it. */
const ROUNDS = 10
const HOLD_MS = 200

describe('a SQLite transaction waiting for another writer', function () {
  this.timeout(120_000)
  let folder: string
  let file: string
  let db: Db

  before(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'stayctl-writer-wait-'))
    file = path.join(folder, 'wait.db')
    db = await openDb(parseDatabaseUrl(`sqlite:${file}`))
    await db.sequelize.query('CREATE TABLE t (x INTEGER)')
  })

  after(async () => {
    await db?.close()
    fs.rmSync(folder, {recursive: true, force: true})
  })

  const exec = (connection: sqlite3.Database, sql: string) => new Promise<void>((resolve, reject) => connection.exec(sql, (error) => (error ? reject(error) : resolve())))

  it(`leaves the event loop running: the holder commits after ${HOLD_MS} ms and the waiter goes on then (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const holder = new sqlite3.Database(file)
      await exec(holder, 'BEGIN IMMEDIATE; INSERT INTO t VALUES (1)')
      const released = new Promise<void>((resolve, reject) => setTimeout(() => exec(holder, 'COMMIT').then(resolve, reject), HOLD_MS))
      let last = Date.now()
      let stood = 0
      const ticker = setInterval(() => {
        stood = Math.max(stood, Date.now() - last)
        last = Date.now()
      }, 10)
      const started = Date.now()
      try {
        await inTransaction(testContext(db), (transaction) => db.sequelize.query('INSERT INTO t VALUES (2)', {transaction}))
      } finally {
        clearInterval(ticker)
        await released
        await new Promise<void>((resolve) => holder.close(() => resolve()))
      }
      const waited = Date.now() - started
      expect({round, waitedUnder2s: waited < 2000, stoodStillUnder1s: stood < 1000}, `waited ${waited} ms, the event loop stood still ${stood} ms`).to.deep.equal({
        round,
        waitedUnder2s: true,
        stoodStillUnder1s: true,
      })
    }
  })
})
