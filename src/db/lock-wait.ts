/**
 * How long a write waits for another writer's lock, and how to tell that it waited in vain. A
 * SQLite connection waits in its busy handler up to the busy timeout; a MySQL statement waits up
 * to the server's innodb_lock_wait_timeout. Either wait is the whole of it: Sequelize's own
 * retry of SQLITE_BUSY is off (connection.ts) and inTransaction does not start a waited-out
 * transaction again (it would wait as long again, up to eight times over), so a command facing
 * a writer that holds on (an atomic import, an open `sqlite3` shell) gives up after one wait
 * with a conflict (exit 5), not after twenty minutes.
 */
import {ConflictError} from '../errors.js'

/** Milliseconds a SQLite connection waits for another process's write lock before failing (tests may shorten it: STAYCTL_TEST_SQLITE_BUSY_MS). */
export function sqliteBusyTimeoutMs(): number {
  const test = Number(process.env.STAYCTL_TEST_SQLITE_BUSY_MS)
  return Number.isInteger(test) && test > 0 ? test : 30_000
}

/** The driver's `code` (a string) or `errno` (a number) under Sequelize's wrappers. */
export function driverField<K extends 'code' | 'errno'>(error: unknown, key: K, type: K extends 'code' ? 'string' : 'number') {
  let current = error as Record<string, unknown> | undefined
  for (let depth = 0; current && depth < 4; depth++) {
    if (typeof current[key] === type) return current[key] as K extends 'code' ? string : number
    current = (current.original ?? current.parent) as typeof current
  }
  return undefined
}

const WAITED_CODES = new Set(['ER_LOCK_WAIT_TIMEOUT', 'SQLITE_BUSY', 'SQLITE_LOCKED'])
/** 1205: lock wait timeout exceeded. */
const WAITED_ERRNOS = new Set([1205])

/** The statement waited for another writer's lock as long as the database lets it, in vain. */
export function lockWaitTimedOut(error: unknown): boolean {
  const code = driverField(error, 'code', 'string')
  if (code !== undefined && WAITED_CODES.has(code)) return true
  const errno = driverField(error, 'errno', 'number')
  return errno !== undefined && WAITED_ERRNOS.has(errno)
}

/** What a command says when it waited out another writer. */
export const LOCK_WAIT_MESSAGE = 'the database stayed busy with another writer for as long as a write waits for it; try again when it is done'

/** The conflict (exit 5, CONFLICT) that a lock waited for in vain is to the caller; undefined for any other error. */
export function lockWaitConflict(error: unknown): ConflictError | undefined {
  return lockWaitTimedOut(error) ? new ConflictError(LOCK_WAIT_MESSAGE, {cause: error}) : undefined
}
