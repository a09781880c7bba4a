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
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'
import {DataTypes, QueryTypes} from 'sequelize'
import sqlite3 from 'sqlite3'

import {parseDatabaseUrl} from '../../src/config/database-url.js'
import {updateIfUnlocked} from '../../src/db/connection.js'
import {sqliteBusyTimeoutMs} from '../../src/db/lock-wait.js'
import {openDb, type Db} from '../../src/db/index.js'
import type {ServiceContext} from '../../src/services/context.js'
import {importFolder} from '../../src/services/import/folder.js'
import {importFile} from '../../src/services/import/index.js'
import {inTransaction} from '../../src/services/transaction.js'
import {createUser} from '../../src/services/users.js'
import {holdAt} from '../../src/test-pause.js'
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

/**
 * Each connection waits BUSY_MS for another's write lock here, then the write is a conflict.
 * The import's one transaction is held at its first batch's write for as long as the test
 * wants: if the other write queues behind it, as behind any transaction of the process, it is
 * still waiting when the bound ends; if it goes to the database beside it, it waits BUSY_MS in
 * SQLite's busy handler and fails (CONFLICT) while the import still holds the lock. The bound
 * only ends a hold that the other write did not end first: a write that queues passes whatever it is.
 */
const BUSY_MS = 200
const HOLD_BOUND_MS = 10 * BUSY_MS

describe('a write of the process while its atomic or dry-run import holds the SQLite write lock', function () {
  this.timeout(120_000)
  const scratch = useScratch({per: 'suite', folder: 'stayctl-import-turn-', database: 'import_turn', dialect: 'sqlite', open: false})
  let db: Db
  let ctx: ServiceContext

  before(async () => {
    // Each connection reads it as it opens: set before the database opens, put back once it is closed.
    const saved = process.env.STAYCTL_TEST_SQLITE_BUSY_MS
    process.env.STAYCTL_TEST_SQLITE_BUSY_MS = String(BUSY_MS)
    scratch.defer(() => {
      if (saved === undefined) delete process.env.STAYCTL_TEST_SQLITE_BUSY_MS
      else process.env.STAYCTL_TEST_SQLITE_BUSY_MS = saved
    })
    db = await openDb(scratch.database.target)
    scratch.defer(() => db.close())
    ctx = testContext(db)
  })

  /** A folder holding users.csv: three users named `prefix`1…3. */
  function usersFolder(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(scratch.dir, `${prefix}-`))
    const lines = ['username,email,password', ...[1, 2, 3].map((i) => `${prefix}${i},${prefix}${i}@example.com,secret-123`)]
    fs.writeFileSync(path.join(dir, 'users.csv'), lines.join('\n') + '\n')
    return dir
  }

  const usersOf = async (prefix: string) =>
    (await db.models.User.findAll({attributes: ['username'], order: [['id', 'ASC']]})).map((u) => u.username).filter((u) => u.startsWith(prefix))

  /**
   * Starts `holder` (an import of users.csv in `dir`, one batch a row), and once its first batch
   * is written starts `other`; lets the import go on when `other` ended or the bound did.
   * What `other` was at that moment, which of the two ended first, and what each gave.
   */
  async function besideHeldImport<T>(holder: () => Promise<{inserted: number; committed: boolean}>, other: () => Promise<T>) {
    const hold = holdAt('import.batch.wrote')
    let bound: NodeJS.Timeout | undefined
    try {
      const ended: string[] = []
      const importing = holder().finally(() => ended.push('import'))
      importing.catch(() => {})
      // Its first batch is written: its transaction holds the write lock until the hold ends.
      await Promise.race([hold.reached, importing.then(() => Promise.reject(new Error('the import ended without stopping at import.batch.wrote')))])
      const writing = other().finally(() => ended.push('write'))
      writing.catch(() => {})
      const whileHeld = await Promise.race([
        writing.then(
          () => 'wrote while the import held the lock',
          (error: Error) => `failed while the import held the lock: ${error.name}: ${error.message}`,
        ),
        new Promise<string>((resolve) => (bound = setTimeout(() => resolve('waiting'), HOLD_BOUND_MS))),
      ])
      hold.release()
      const {inserted, committed} = await importing
      const wrote = await writing.catch((error: Error) => `${error.name}: ${error.message}`)
      return {whileHeld, ended, import: {inserted, committed}, wrote}
    } finally {
      clearTimeout(bound)
      hold.release()
    }
  }

  const holders: {name: string; prefix: string; keeps: boolean; run: (dir: string) => Promise<{inserted: number; committed: boolean}>}[] = [
    {name: 'an atomic import', prefix: 'atomic', keeps: true, run: (dir) => importFile(ctx, {entity: 'users', file: path.join(dir, 'users.csv'), atomic: true, batchSize: 1})},
    {name: 'a dry run', prefix: 'dry', keeps: false, run: (dir) => importFile(ctx, {entity: 'users', file: path.join(dir, 'users.csv'), dryRun: true, batchSize: 1})},
    {name: 'an atomic import of a folder', prefix: 'folder', keeps: true, run: (dir) => importFolder(ctx, {dir, atomic: true, batchSize: 1})},
  ]

  for (const {name, prefix, keeps, run} of holders) {
    it(`${name}: a service's write waits for its end instead of the busy timeout, then succeeds`, async () => {
      const dir = usersFolder(prefix)
      const result = await besideHeldImport(
        () => run(dir),
        async () => (await createUser(ctx, {username: `${prefix}.other`, email: `${prefix}.other@example.com`, password: 'secret-123'})).username,
      )
      expect({...result, users: await usersOf(prefix)}).to.deep.equal({
        whileHeld: 'waiting',
        ended: ['import', 'write'],
        import: {inserted: 3, committed: keeps},
        wrote: `${prefix}.other`,
        users: [...(keeps ? [1, 2, 3].map((i) => `${prefix}${i}`) : []), `${prefix}.other`],
      })
    })
  }

  it('an atomic import: an import of a file in batches (which first drops the file\'s checkpoint) waits for its end too', async () => {
    const held = usersFolder('held')
    const batches = usersFolder('batches')
    const result = await besideHeldImport(
      () => importFile(ctx, {entity: 'users', file: path.join(held, 'users.csv'), atomic: true, batchSize: 1}),
      async () => (await importFile(ctx, {entity: 'users', file: path.join(batches, 'users.csv'), batchSize: 1})).inserted,
    )
    expect({...result, users: [...(await usersOf('held')), ...(await usersOf('batches'))]}).to.deep.equal({
      whileHeld: 'waiting',
      ended: ['import', 'write'],
      import: {inserted: 3, committed: true},
      wrote: 3,
      users: ['held1', 'held2', 'held3', 'batches1', 'batches2', 'batches3'],
    })
  })

  it('an atomic import lets the next write go on however it ends: its BEGIN waited out, its file refused, interrupted', async () => {
    const target = scratch.database.target
    if (target.dialect !== 'sqlite') throw new Error('unreachable')
    const good = path.join(usersFolder('ends'), 'users.csv')
    const broken = path.join(scratch.dir, 'no-email.csv')
    fs.writeFileSync(broken, 'username\nnobody\n')
    /** What became of `work`, or that it still waits (for a turn never given back) when the bound ends. */
    const outcome = async (work: Promise<string>) => {
      let bound: NodeJS.Timeout | undefined
      try {
        return await Promise.race([
          work.catch((error: Error) => `${error.name}: ${error.message}`),
          new Promise<string>((resolve) => (bound = setTimeout(() => resolve('still waiting for its turn'), HOLD_BOUND_MS))),
        ])
      } finally {
        clearTimeout(bound)
      }
    }
    const atomic = (file: string, signal?: AbortSignal) =>
      outcome(importFile(ctx, {entity: 'users', file, atomic: true, ...(signal ? {signal} : {})}).then((s) => `interrupted ${s.interrupted}, committed ${s.committed}`))
    let n = 0
    /** Whether a write of the process still gets its turn. */
    const next = () => outcome(createUser(ctx, {username: `next${++n}`, email: `next${n}@example.com`, password: 'secret-123'}).then(() => 'wrote'))
    const ends: Record<string, {import: string; next: string}> = {}

    // Another connection (another process, say) holds the lock longer than the import's BEGIN waits for it.
    const holder = new sqlite3.Database(target.storage)
    const exec = (sql: string) => new Promise<void>((resolve, reject) => holder.exec(sql, (error) => (error ? reject(error) : resolve())))
    try {
      await exec('BEGIN IMMEDIATE')
      const waitedOut = await atomic(good)
      await exec('COMMIT')
      ends['BEGIN waited out'] = {import: waitedOut, next: await next()}
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()))
    }
    ends['file refused'] = {import: await atomic(broken), next: await next()}
    const stop = new AbortController()
    stop.abort()
    ends.interrupted = {import: await atomic(good, stop.signal), next: await next()}
    expect(ends).to.deep.equal({
      'BEGIN waited out': {import: 'SequelizeTimeoutError: SQLITE_BUSY: database is locked', next: 'wrote'},
      'file refused': {import: 'ValidationError: the file has no column for email', next: 'wrote'},
      interrupted: {import: 'interrupted true, committed false', next: 'wrote'},
    })
  })
})
