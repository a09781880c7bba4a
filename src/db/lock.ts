/**
 * The schema lock: one runner at a time changes the schema or the seed data of a database.
 *
 * MySQL: a named lock (GET_LOCK) held by a dedicated connection. The server releases it
 * when that connection ends, so a killed runner can never leave it held. Waiters poll in
 * short slices so they can report that they are waiting.
 *
 * SQLite: a lock file beside the database (proper-lockfile). Its holder refreshes its mtime;
 * a lock not refreshed for `stale` ms belongs to a dead process and is taken over.
 */
import fs from 'node:fs'
import path from 'node:path'

import type mysql from 'mysql2/promise'
import lockfile from 'proper-lockfile'

import type {DatabaseTarget} from '../config/database-url.js'
import {UnavailableError} from '../errors.js'
import {translateConnectionError} from './connection.js'

export interface LockOptions {
  /** Give up after this many seconds (default 600). */
  timeoutSeconds?: number
  /** Called once, when the lock is busy and we start waiting. */
  onWait?: (holder: string) => void
}

export async function withSchemaLock<T>(target: DatabaseTarget, fn: () => Promise<T>, options: LockOptions = {}) {
  const timeoutMs = (options.timeoutSeconds ?? 600) * 1000
  return target.dialect === 'mysql'
    ? withMysqlLock(target, fn, timeoutMs, options.onWait)
    : withSqliteLock(target.storage, fn, timeoutMs, options.onWait)
}

async function withMysqlLock<T>(
  target: Extract<DatabaseTarget, {dialect: 'mysql'}>,
  fn: () => Promise<T>,
  timeoutMs: number,
  onWait?: (holder: string) => void,
): Promise<T> {
  const name = `stayctl:schema:${target.database}`.slice(0, 64)
  let connection: mysql.Connection
  try {
    // Loaded here, not at the top: SQLite runs never need the MySQL driver.
    const {default: driver} = await import('mysql2/promise')
    connection = await driver.createConnection({
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password,
      database: target.database,
      connectTimeout: 10_000,
    })
  } catch (error) {
    throw translateConnectionError(error, target)
  }
  try {
    const deadline = Date.now() + timeoutMs
    let warned = false
    for (;;) {
      const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, 2) AS got', [name])
      if (rows[0].got === 1) break
      if (!warned && onWait) {
        const [holder] = await connection.query<mysql.RowDataPacket[]>('SELECT IS_USED_LOCK(?) AS id', [name])
        onWait(`connection ${holder[0].id ?? '?'}`)
        warned = true
      }
      if (Date.now() > deadline) {
        throw new UnavailableError(`timed out waiting for the schema lock "${name}"`, {
          suggestion: 'another stayctl is migrating or seeding this database; wait for it, or raise --lock-timeout',
        })
      }
    }
    try {
      return await fn()
    } finally {
      await connection.query('SELECT RELEASE_LOCK(?)', [name]).catch(() => {})
    }
  } finally {
    await connection.end().catch(() => {})
  }
}

async function withSqliteLock<T>(
  storage: string,
  fn: () => Promise<T>,
  timeoutMs: number,
  onWait?: (holder: string) => void,
): Promise<T> {
  if (storage === ':memory:') return fn()
  const lockfilePath = `${storage}.schema.lock`
  fs.mkdirSync(path.dirname(storage), {recursive: true})
  const deadline = Date.now() + timeoutMs
  let release: (() => Promise<void>) | undefined
  let warned = false
  while (!release) {
    try {
      release = await lockfile.lock(storage, {lockfilePath, realpath: false, stale: 10_000, update: 2_000})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error
      if (!warned && onWait) {
        onWait(lockfilePath)
        warned = true
      }
      if (Date.now() > deadline) {
        throw new UnavailableError(`timed out waiting for the schema lock ${lockfilePath}`, {
          suggestion: 'another stayctl is migrating or seeding this database; wait for it, or raise --lock-timeout',
        })
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  try {
    return await fn()
  } finally {
    await release().catch(() => {})
  }
}
