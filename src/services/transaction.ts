/**
 * Transactions for operations that check and then write. `inTransaction` starts one that
 * takes the write lock at once on SQLite (BEGIN IMMEDIATE, so two writers never both read
 * and then collide on upgrade) and READ COMMITTED on MySQL (reads after a guard's write see
 * the latest commits), and retries it whole, with backoff, when it lost a race: a deadlock; on
 * a multi-primary cluster a certification failure (Galera and Group Replication abort the later
 * of two transactions that wrote one row: ER_LOCK_DEADLOCK on Galera, 3101 on Group
 * Replication) and TiDB's write conflicts; and a guard that found its row changed since it was
 * read (GuardMoved, or the CHECK that caps a guarded total). The retry reads again and answers
 * as if it had come second on one node. A lock waited for in vain (SQLITE_BUSY after the busy
 * timeout, MySQL's lock wait timeout) is not a lost race: it is a conflict at once
 * (db/lock-wait.ts).
 * `heldTransaction` opens one that stays open across calls (an atomic or dry-run import); on
 * SQLite both take their turn among the process's writers first (writerTurn).
 * `lockRow` is the SELECT … FOR UPDATE of a row the transaction then writes (a state change):
 * it spares retries on one node, the write is what makes it hold on a cluster.
 */
import {Transaction, UniqueConstraintError, type Model, type ModelStatic, type TransactionOptions} from 'sequelize'

import type {Db} from '../db/index.js'
import {driverField, lockWaitConflict} from '../db/lock-wait.js'
import {ConflictError} from '../errors.js'
import type {ServiceContext} from './context.js'

const RETRYABLE = new Set(['ER_LOCK_DEADLOCK'])
/**
 * By MySQL error number: 1213 deadlock (Galera's certification failure too), 3101 rolled back at
 * commit (Group Replication's certification), 9007 write conflict and 8022 "retry the
 * transaction" (TiDB). A lock wait that timed out (1205, SQLITE_BUSY) is not retried: see
 * db/lock-wait.ts.
 */
const RETRYABLE_ERRNO = new Set([1213, 3101, 9007, 8022])
/** The CHECKs that cap a guarded total (rules/ledger.ts): violated only when the total moved since it was read. */
const GUARD_CHECKS = /\b(bookings_charged_within_total|payments_refunded_within_amount)\b/

/** A guard found its row changed since it was read: the transaction is retried from the start. */
export class GuardMoved extends Error {}

/**
 * SQLite transactions of one process, one at a time. Each opens its own connection, and a
 * BEGIN IMMEDIATE that waits for another's write lock sleeps in its busy handler on a libuv
 * thread: with as many waiting as there are threads (4), the holder can never get a thread
 * to commit, and all wait for the busy timeout (a server running concurrent mutations); and
 * one that waits out the busy timeout is a conflict (db/lock-wait.ts), where it could simply
 * have come after. So the process's write transactions take their turn here first (writerTurn):
 * inTransaction's, and those held open across calls (heldTransaction: an atomic or dry-run
 * import). Other processes are still held off by the database lock.
 */
const sqliteTurns = new WeakMap<object, Promise<void>>()

/**
 * Waits for this process's turn to write to `db` (SQLite; on MySQL, where the server queues
 * writers itself, at once) and resolves to its release, which lets the next writer go on.
 * The release must be called whatever happens (calling it again does nothing). Nothing done in
 * a turn may wait for another turn: it would wait for itself.
 */
function writerTurn(db: Db): Promise<() => void> {
  if (db.dialect !== 'sqlite') return Promise.resolve(() => {})
  const previous = sqliteTurns.get(db.sequelize) ?? Promise.resolve()
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  sqliteTurns.set(db.sequelize, previous.then(() => released))
  return previous.then(() => release)
}

export function isRetryable(error: unknown): boolean {
  if (error instanceof GuardMoved) return true
  const code = driverField(error, 'code', 'string')
  if (code !== undefined && RETRYABLE.has(code)) return true
  const errno = driverField(error, 'errno', 'number')
  if (errno !== undefined && RETRYABLE_ERRNO.has(errno)) return true
  return GUARD_CHECKS.test(String((error as Error | undefined)?.message ?? ''))
}

/**
 * The options of a transaction that checks and then writes: BEGIN IMMEDIATE on SQLite (the
 * write lock at once), READ COMMITTED on MySQL. `inTransaction` uses them, and so does
 * heldTransaction.
 */
function transactionOptions(dialect: Db['dialect']): TransactionOptions {
  return dialect === 'sqlite' ? {type: Transaction.TYPES.IMMEDIATE} : {isolationLevel: Transaction.ISOLATION_LEVELS.READ_COMMITTED}
}

/** A transaction held open across calls; see heldTransaction. */
export interface HeldTransaction {
  readonly transaction: Transaction
  /** Commits it (`keep`) or rolls it back, then lets the process's next writer go on, also when that failed. Once: later calls do nothing. */
  end(keep: boolean): Promise<void>
}

/**
 * Opens a transaction that code holds open across calls and ends itself (the one transaction
 * of an atomic or dry-run import, of a file or a folder): with transactionOptions, and on
 * SQLite in this process's writer turn, kept until `end`, so that the process's other writers
 * queue behind it as they do behind inTransaction's, instead of waiting out the busy timeout.
 * What runs in it must not wait for a turn (inTransaction, writerTurn): it would wait for itself.
 */
export async function heldTransaction(ctx: ServiceContext): Promise<HeldTransaction> {
  const release = await writerTurn(ctx.db)
  let transaction: Transaction
  try {
    transaction = await ctx.db.sequelize.transaction(transactionOptions(ctx.db.dialect))
  } catch (error) {
    release()
    throw error
  }
  let ended = false
  return {
    transaction,
    async end(keep) {
      if (ended) return
      ended = true
      try {
        await (keep ? transaction.commit() : transaction.rollback())
      } finally {
        release()
      }
    },
  }
}

/** Runs `work` in a transaction, retrying it whole when it lost a race (see isRetryable); a lock waited out is a conflict at once. */
export async function inTransaction<T>(
  ctx: ServiceContext,
  work: (transaction: Transaction) => Promise<T>,
  attempts = 8,
): Promise<T> {
  const {sequelize} = ctx.db
  const options = transactionOptions(ctx.db.dialect)
  for (let attempt = 1; ; attempt++) {
    try {
      if (ctx.db.dialect !== 'sqlite') return await sequelize.transaction(options, work)
      const release = await writerTurn(ctx.db)
      try {
        return await sequelize.transaction(options, work)
      } finally {
        release()
      }
    } catch (error) {
      // It waited for another writer as long as the database lets it: waiting again would only double that.
      const waited = lockWaitConflict(error)
      if (waited) throw waited
      if (!isRetryable(error) || attempt >= attempts) {
        if (isRetryable(error)) {
          throw new ConflictError('other writers kept changing the same rows; try again', {cause: error})
        }
        throw error
      }
      const delay = Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random())
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}

/** What a rehearsed operation did, carried out of its transaction so that it rolls back. */
class Rehearsal<T> {
  constructor(readonly result: T) {}
}

/**
 * Runs `work` as inTransaction does (every rule, lock and guard of the real operation), then
 * rolls back all it wrote: what the operation would do now, e.g. the refund a confirmation
 * prompt shows. `dryRun: false` runs it for real.
 */
export async function inTransactionOrRehearsal<T>(ctx: ServiceContext, dryRun: boolean | undefined, work: (transaction: Transaction) => Promise<T>): Promise<T> {
  if (!dryRun) return inTransaction(ctx, work)
  try {
    await inTransaction(ctx, async (transaction) => {
      throw new Rehearsal(await work(transaction))
    })
  } catch (error) {
    if (error instanceof Rehearsal) return error.result as T
    throw error
  }
  throw new Error('unreachable: a rehearsal always rolls back')
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

/**
 * The catch of a write whose unique key another row may hold (a concurrent writer, or one the
 * checks before it could not see): a ConflictError with `message`; any other error as it is.
 */
export function conflictIfTaken(message: string): (error: unknown) => never {
  return (error) => {
    if (error instanceof UniqueConstraintError) throw new ConflictError(message, {cause: error})
    throw error
  }
}
