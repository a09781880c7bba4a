/**
 * Transactions for operations that check and then write. `inTransaction` starts one that
 * takes the write lock at once on SQLite (BEGIN IMMEDIATE, so two writers never both read
 * and then collide on upgrade) and READ COMMITTED on MySQL (reads after a row lock see the
 * latest commits); deadlocks, lock wait timeouts and SQLITE_BUSY are retried with backoff.
 * `lockRow` is the SELECT … FOR UPDATE that serialises writers on one parent row.
 */
import {Transaction, type Model, type ModelStatic, type TransactionOptions} from 'sequelize'

import type {Db} from '../db/index.js'
import {ConflictError} from '../errors.js'
import type {ServiceContext} from './context.js'

const RETRYABLE = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'SQLITE_BUSY', 'SQLITE_LOCKED'])

/**
 * SQLite transactions of one process, one at a time. Each opens its own connection, and a
 * BEGIN IMMEDIATE that waits for another's write lock sleeps in its busy handler on a libuv
 * thread: with as many waiting as there are threads (4), the holder can never get a thread
 * to commit, and all wait for the busy timeout (a server running concurrent mutations). So
 * they queue here first; other processes are still held off by the database lock.
 */
const sqliteQueues = new WeakMap<object, Promise<unknown>>()

function oneAtATime<T>(key: object, work: () => Promise<T>): Promise<T> {
  const previous = sqliteQueues.get(key) ?? Promise.resolve()
  const run = previous.then(work, work)
  sqliteQueues.set(key, run.catch(() => undefined))
  return run
}

function driverCode(error: unknown): string | undefined {
  let current = error as {code?: unknown; original?: unknown; parent?: unknown} | undefined
  for (let depth = 0; current && depth < 4; depth++) {
    if (typeof current.code === 'string') return current.code
    current = (current.original ?? current.parent) as typeof current
  }
  return undefined
}

export function isRetryable(error: unknown): boolean {
  const code = driverCode(error)
  return code !== undefined && RETRYABLE.has(code)
}

/**
 * The options of a transaction that checks and then writes: BEGIN IMMEDIATE on SQLite (the
 * write lock at once), READ COMMITTED on MySQL. `inTransaction` uses them, and so does code
 * that holds a transaction open across calls (an atomic or dry-run import).
 */
export function transactionOptions(dialect: Db['dialect']): TransactionOptions {
  return dialect === 'sqlite' ? {type: Transaction.TYPES.IMMEDIATE} : {isolationLevel: Transaction.ISOLATION_LEVELS.READ_COMMITTED}
}

/** Runs `work` in a transaction, retrying it whole on deadlock or busy database. */
export async function inTransaction<T>(
  ctx: ServiceContext,
  work: (transaction: Transaction) => Promise<T>,
  attempts = 8,
): Promise<T> {
  const {sequelize} = ctx.db
  const options = transactionOptions(ctx.db.dialect)
  for (let attempt = 1; ; attempt++) {
    try {
      return ctx.db.dialect === 'sqlite'
        ? await oneAtATime(sequelize, () => sequelize.transaction(options, work))
        : await sequelize.transaction(options, work)
    } catch (error) {
      if (!isRetryable(error) || attempt >= attempts) {
        if (isRetryable(error)) {
          throw new ConflictError('the database stayed busy with other writers; try again', {cause: error})
        }
        throw error
      }
      const delay = Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random())
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}

/**
 * Reads one row and locks it until the transaction ends (FOR UPDATE on MySQL; on SQLite
 * the IMMEDIATE transaction already holds the database's write lock).
 */
export async function lockRow<M extends Model>(
  model: ModelStatic<M>,
  id: number,
  transaction: Transaction,
): Promise<M | null> {
  return model.findByPk(id, {transaction, lock: transaction.LOCK.UPDATE})
}
