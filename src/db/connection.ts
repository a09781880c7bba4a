/**
 * Opening a database: one Sequelize instance per URL, SQLite tuned for several processes
 * (WAL, busy timeout, foreign keys), and connection failures turned into one-line
 * UnavailableErrors that name the setting to fix and never show a password.
 */
import {createRequire} from 'node:module'
import path from 'node:path'

import {Sequelize, type Options} from 'sequelize'

import type {DatabaseTarget} from '../config/database-url.js'
import {DATABASE_URL_SETTING, maskUrl} from '../config/database-url.js'
import {StayctlError, UnavailableError} from '../errors.js'
import {infileStreamFactory} from './infile.js'

const require = createRequire(import.meta.url)

export interface OpenOptions {
  /** Log every SQL statement to this function (e.g. stderr when STAYCTL_LOG_SQL is set). */
  logSql?: (sql: string) => void
  /** How users change the setting, quoted in errors. */
  settingHint?: string
  /** Pool size for MySQL. */
  poolMax?: number
}

/** Milliseconds a SQLite connection waits for another process's write lock before failing. */
export const SQLITE_BUSY_TIMEOUT_MS = 30_000

type Sqlite3Module = typeof import('sqlite3')

let tunedSqlite: Sqlite3Module | undefined

/**
 * sqlite3 with every new connection tuned: Sequelize opens connections itself and has no
 * hook for SQLite, so the module it is given wraps `Database` to set the busy timeout and
 * WAL journal (readers never block the writer; a writer waits instead of failing).
 */
function sqliteModule(): Sqlite3Module {
  if (tunedSqlite) return tunedSqlite
  const sqlite3 = require('sqlite3') as Sqlite3Module
  class TunedDatabase extends sqlite3.Database {
    constructor(filename: string, mode?: number, callback?: (err: Error | null) => void) {
      super(filename, mode, (err: Error | null) => {
        if (!err) {
          this.configure('busyTimeout', SQLITE_BUSY_TIMEOUT_MS)
          if (filename !== ':memory:') this.run('PRAGMA journal_mode = WAL')
          this.run('PRAGMA synchronous = NORMAL')
        }
        callback?.(err)
      })
    }
  }
  tunedSqlite = Object.assign(Object.create(sqlite3) as Sqlite3Module, {Database: TunedDatabase})
  return tunedSqlite
}

export function sequelizeOptions(target: DatabaseTarget, options: OpenOptions = {}): Options {
  const logging = options.logSql ? (sql: string) => options.logSql!(maskUrl(sql)) : false
  if (target.dialect === 'sqlite') {
    return {
      dialect: 'sqlite',
      storage: target.storage,
      dialectModule: sqliteModule(),
      logging,
      define: {underscored: true},
    }
  }
  const {params} = target
  return {
    dialect: 'mysql',
    host: target.host,
    port: target.port,
    username: target.user,
    password: target.password,
    database: target.database,
    timezone: '+00:00',
    logging,
    define: {underscored: true, charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci'},
    pool: {max: options.poolMax ?? 10, min: 0, acquire: 60_000, idle: 10_000},
    dialectOptions: {
      connectTimeout: Number(params.connectTimeout ?? 10_000),
      charset: 'utf8mb4_unicode_ci',
      ...(params.ssl === 'true' || params.ssl === 'required' ? {ssl: {rejectUnauthorized: true}} : {}),
      multipleStatements: false,
      // Only streams registered by the import itself (see infile.ts), never files from disk.
      infileStreamFactory,
    },
  }
}

/** A Sequelize instance for the target; nothing is connected until the first query. */
export function createSequelize(target: DatabaseTarget, options: OpenOptions = {}): Sequelize {
  return new Sequelize(sequelizeOptions(target, options))
}

/** Opens and checks the connection, so that a bad setting fails now with a clear message. */
export async function openSequelize(target: DatabaseTarget, options: OpenOptions = {}): Promise<Sequelize> {
  const sequelize = createSequelize(target, options)
  try {
    await sequelize.authenticate({logging: false})
  } catch (error) {
    await sequelize.close().catch(() => {})
    throw translateConnectionError(error, target, options.settingHint)
  }
  return sequelize
}

/** What a failed mkdir of the SQLite file's folder means, by errno code. */
const FOLDER_ERRORS: Record<string, string> = {
  ENOTDIR: 'a file is in the way',
  EEXIST: 'a file is in the way',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOENT: 'no such place',
  ENOSPC: 'no space left on the device',
}

function errorCode(error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; current && depth < 4; depth++) {
    const code = (current as {code?: unknown}).code
    if (typeof code === 'string') return code
    const next = (current as {original?: unknown; parent?: unknown; cause?: unknown})
    current = next.original ?? next.parent ?? next.cause
  }
  return undefined
}

/**
 * Turns a driver's connection failure into an UnavailableError: one line, the URL masked,
 * the cause in words and the setting to fix. Other errors pass through untouched.
 */
export function translateConnectionError(
  error: unknown,
  target: DatabaseTarget,
  settingHint = DATABASE_URL_SETTING,
): unknown {
  if (error instanceof StayctlError) return error
  const code = errorCode(error)
  const name = (error as {name?: string})?.name ?? ''
  const where = target.display
  const fix = `check ${settingHint}`
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused (is the server running, and on that port?)',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host name lookup failed',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ER_ACCESS_DENIED_ERROR: 'access denied (wrong user or password)',
    ER_DBACCESS_DENIED_ERROR: 'access to the database denied for this user',
    ER_BAD_DB_ERROR:
      target.dialect === 'mysql' ? `database "${target.database}" does not exist` : 'database does not exist',
    SQLITE_CANTOPEN: 'cannot open the file (does its folder exist, and may we write there?)',
    SQLITE_NOTADB: 'the file is not an SQLite database',
    SQLITE_READONLY: 'the file is read-only',
    PROTOCOL_CONNECTION_LOST: 'the server closed the connection',
    ECONNRESET: 'the server reset the connection',
  }
  let reason = code ? reasons[code] : undefined
  if (!reason && target.dialect === 'sqlite' && code && code in FOLDER_ERRORS) {
    // Sequelize creates the file's folder before opening it; that failed.
    reason = `cannot create the folder ${path.dirname(target.storage)} (${FOLDER_ERRORS[code]})`
  }
  if (!reason && /Connection(Refused|TimedOut|Acquire)|HostNotFound|HostNotReachable|AccessDenied/.test(name)) {
    reason = maskUrl((error as Error).message)
  }
  if (!reason) return error
  const suggestion =
    code === 'ER_BAD_DB_ERROR' ? `create it with \`stayctl db create\`, or ${fix}` : fix
  return new UnavailableError(`cannot connect to ${where}: ${reason}`, {suggestion, cause: error})
}
