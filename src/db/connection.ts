/**
 * Opening a database: one Sequelize instance per URL, SQLite tuned for several processes
 * (WAL, busy timeout, foreign keys), MySQL statements with a deadline when asked (the
 * server asks), and connection failures turned into one-line UnavailableErrors that name the
 * setting to fix and never show a password.
 */
import {AsyncLocalStorage} from 'node:async_hooks'
import {createRequire} from 'node:module'
import path from 'node:path'

import {ConnectionError, Sequelize, TimeoutError, type Attributes, type Model, type ModelStatic, type Options, type UpdateOptions, type WhereOptions} from 'sequelize'

import type {DatabaseTarget} from '../config/database-url.js'
import {BCRYPT_HASHES_IN_TEXT} from '../bcrypt-hash.js'
import {DATABASE_URL_SETTING, maskUrl} from '../config/database-url.js'
import {StayctlError, UnavailableError} from '../errors.js'
import {infileStreamFactory} from './infile.js'
import {sqliteBusyTimeoutMs} from './lock-wait.js'

const require = createRequire(import.meta.url)

export interface OpenOptions {
  /** Log every SQL statement to this function (e.g. stderr when STAYCTL_LOG_SQL is set). */
  logSql?: (sql: string) => void
  /** How users change the setting, quoted in errors. */
  settingHint?: string
  /** Pool size for MySQL. */
  poolMax?: number
  /**
   * MySQL: how long a statement may go unanswered, and a pooled connection be waited for,
   * before it fails (as a lost connection: UNAVAILABLE). None by default: migrations and
   * imports may run long statements; the server sets one (`serve --db-timeout`).
   */
  queryTimeoutMs?: number
  /** MySQL: the read replicas' routing (replicas.ts): Sequelize's replication option, hooks and pool validation. */
  replicas?: ReplicaRouting
}

/** What read replicas add to Sequelize's options (made by replicas.ts). */
export type ReplicaRouting = Pick<Options, 'replication' | 'hooks'> & {validate: (connection: unknown) => boolean}

type Sqlite3Module = typeof import('sqlite3')

/** Statements that only read: under WAL they never wait for another process's write lock. */
const READ_ONLY = /^\s*(SELECT\b|PRAGMA\s+table_info\b)/i

/** Set while `updateIfUnlocked` runs: its SQLite writes take the write lock only if it is free. */
const lockFreeOnly = new AsyncLocalStorage<true>()

/**
 * `Model.update(values, {where})` for bookkeeping that a later call does again (a token's last
 * use), done only if it need not wait for the write lock; `updated_at` is left as it is. On
 * SQLite, when another connection (another process's import, say) holds the lock, the UPDATE
 * fails at once (SQLITE_BUSY, tried once: no busy timeout, none of Sequelize's retries) and this
 * resolves to false; it does not wait up to the busy timeout (30 s), nor hold back meanwhile the
 * reads sent after it on its connection (a write runs alone: StatementTurns). On MySQL it is a
 * plain update: a write waits there for the rows it changes only, on a pooled connection of its
 * own, and no read waits for it. Other errors are thrown.
 */
export async function updateIfUnlocked<M extends Model>(model: ModelStatic<M>, values: UpdateValues<M>, where: WhereOptions<Attributes<M>>): Promise<boolean> {
  // Sequelize passes `retry` from the update's options to its query (a QueryOptions member UpdateOptions does not declare).
  const options = {where, silent: true, retry: {max: 1}} as UpdateOptions<Attributes<M>>
  try {
    await lockFreeOnly.run(true, () => model.update(values, options))
    return true
  } catch (error) {
    // Sequelize's error for SQLITE_BUSY.
    if (error instanceof TimeoutError) return false
    throw error
  }
}

type UpdateValues<M extends Model> = Parameters<ModelStatic<M>['update']>[0]

let tunedSqlite: Sqlite3Module | undefined

/**
 * The statements of one SQLite connection, each in its turn: a read beside other reads, anything
 * else (a write, which may wait for another process's write lock) alone. A waiting statement
 * sleeps in the busy handler on a libuv thread holding the connection's mutex, and sqlite3
 * finalizes a statement on the main thread, which takes that mutex: a read that finished while a
 * write waited stopped the whole process until the other writer committed (or the busy timeout,
 * 30 s), e.g. `serve` updating a token's last use beside another request's read while a CLI
 * import held the lock. A read never waits for the lock (WAL). Statements after a write queue
 * behind it, so they neither wait on its mutex in the thread pool nor starve it. A statement
 * without a callback (never from Sequelize) has no known end: it runs at once. A write sent
 * inside `updateIfUnlocked` runs with no busy timeout (set while it runs alone, then put back):
 * it fails at once rather than hold back the statements queued behind it.
 */
class StatementTurns<Connection> {
  /** Statements started and not yet called back (sqlite3 finalizes a statement right after its callback). */
  private running = 0
  private writing = false
  private readonly waiting: {alone: boolean; start: () => void}[] = []

  constructor(
    private readonly connection: Connection,
    private readonly busyTimeout: (ms: number) => void,
  ) {}

  /** Sends the statement (`send` with its arguments) in its turn; its callback, the last argument, ends the turn. */
  take(sql: string, rest: unknown[], send: (args: unknown[]) => unknown): Connection {
    const callback = rest.at(-1)
    if (typeof callback !== 'function') {
      send(rest)
      return this.connection
    }
    const alone = !READ_ONLY.test(sql)
    // Read when sent, in the caller's async context (a turn may start from another statement's callback).
    const once = alone && lockFreeOnly.getStore() === true
    const finished = (): void => {
      this.running--
      if (alone) this.writing = false
      if (once) this.busyTimeout(sqliteBusyTimeoutMs())
      this.next()
    }
    const args = rest.slice(0, -1)
    this.waiting.push({
      alone,
      start: () => {
        // Alone on the connection: no other statement holds its mutex, none sees this setting.
        if (once) this.busyTimeout(0)
        send([
          ...args,
          // sqlite3 calls back with the statement as `this` (lastID, changes).
          function (this: unknown, ...results: unknown[]) {
            finished()
            return (callback as (...results: unknown[]) => unknown).apply(this, results)
          },
        ])
      },
    })
    this.next()
    return this.connection
  }

  private next(): void {
    while (this.waiting.length > 0 && !this.writing && !(this.waiting[0].alone && this.running > 0)) {
      const turn = this.waiting.shift()!
      this.running++
      this.writing = turn.alone
      turn.start()
    }
  }
}

/**
 * A transaction whose BEGIN failed (it waited out another writer's lock: db/lock-wait.ts) is
 * rolled back by Sequelize all the same; SQLite has none open then, and Sequelize would print a
 * warning of its own on stderr and drop the connection. What ROLLBACK is for holds (nothing is
 * open): its callback gets no error for that. Returns the statement's arguments, its callback so wrapped.
 */
function rollbackOfNone(sql: string, rest: unknown[]): unknown[] {
  const callback = rest.at(-1)
  if (typeof callback !== 'function' || !/^\s*ROLLBACK\b/i.test(sql)) return rest
  const quiet = function (this: unknown, err: Error | null, ...results: unknown[]) {
    const none = err !== null && /cannot rollback - no transaction is active/.test(err.message)
    return (callback as (...args: unknown[]) => unknown).call(this, none ? null : err, ...results)
  }
  return [...rest.slice(0, -1), quiet]
}

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
        if (err) return callback?.(err)
        this.configure('busyTimeout', sqliteBusyTimeoutMs())
        // One after another, and all before the connection is handed over: the first statement
        // of its user (a BEGIN, say) then finds it configured (foreign_keys is a no-op inside a
        // transaction). Sequelize's own PRAGMA FOREIGN_KEYS=ON is turned off (sequelizeOptions).
        const pragmas = [...(filename === ':memory:' ? [] : ['PRAGMA journal_mode = WAL']), 'PRAGMA synchronous = NORMAL', 'PRAGMA foreign_keys = ON']
        const next = (error: Error | null): void => {
          const pragma = pragmas.shift()
          if (error || pragma === undefined) callback?.(error)
          else this.run(pragma, next)
        }
        next(null)
      })
    }

    /**
     * Sequelize runs each statement inside `serialize(callback)`, which makes it wait until every
     * statement in flight on the connection has finished: a barrier between concurrent requests
     * (a server's reads then never overlap). The order of one caller's statements does not need
     * it: Sequelize awaits each statement before it sends the next, and a transaction has a
     * connection of its own. So the callback runs in the connection's default (parallel) mode, where
     * reads overlap and a write runs alone (StatementTurns).
     * `serialize()` without a callback keeps its meaning.
     */
    override serialize(callback?: () => void): void {
      if (callback) callback()
      else super.serialize()
    }

    /** Reads side by side, anything else alone (StatementTurns). */
    private readonly turns = new StatementTurns<this>(this, (ms) => this.configure('busyTimeout', ms))

    /** PRAGMA table_info results by statement, until this connection changes a schema. */
    private readonly tableInfo = new Map<string, unknown[]>()

    /**
     * Before every SELECT of a model (and any whose FROM names a backticked table) Sequelize's
     * SQLite dialect reads the table's `PRAGMA table_info`, to know which columns to parse as
     * dates and booleans: a statement more for each read, through the thread pool. The answer
     * changes only with the schema, so this connection keeps it until it runs a CREATE, ALTER or
     * DROP itself. (A schema changed by another process is seen by a new connection: a
     * migration needs a restart of `serve` anyway, whose models are defined at start.)
     */
    override all(sql: string, ...rest: unknown[]): this {
      const callback = rest.at(-1)
      if (typeof callback === 'function' && rest.length === 1 && /^PRAGMA table_info\(`[^`]+`\)$/.test(sql)) {
        const known = this.tableInfo.get(sql)
        if (known) {
          process.nextTick(() => (callback as (err: null, rows: unknown[]) => void).call(this, null, known))
          return this
        }
        return this.turns.take(sql, [
          (err: Error | null, rows: unknown[]) => {
            if (!err) this.tableInfo.set(sql, rows)
            ;(callback as (err: Error | null, rows: unknown[]) => void).call(this, err, rows)
          },
        ], (args) => super.all(sql, ...(args as [])))
      }
      this.forgetSchema(sql)
      return this.turns.take(sql, rollbackOfNone(sql, rest), (args) => super.all(sql, ...(args as [])))
    }

    override run(sql: string, ...rest: unknown[]): this {
      this.forgetSchema(sql)
      return this.turns.take(sql, rollbackOfNone(sql, rest), (args) => super.run(sql, ...(args as [])))
    }

    override exec(sql: string, callback?: (err: Error | null) => void): this {
      this.forgetSchema(sql)
      return super.exec(sql, callback)
    }

    private forgetSchema(sql: string): void {
      if (this.tableInfo.size > 0 && /^\s*(CREATE|ALTER|DROP)\b/i.test(sql)) this.tableInfo.clear()
    }
  }
  tunedSqlite = Object.assign(Object.create(sqlite3) as Sqlite3Module, {Database: TunedDatabase})
  return tunedSqlite
}

type Mysql2Module = typeof import('mysql2')
type Mysql2Connection = ReturnType<Mysql2Module['createConnection']>
type Callback = (...results: unknown[]) => void

/** The error of a statement that outlived its deadline: mysql2's code for its own query timeout, and fatal. */
function statementTimeout(ms: number): Error {
  return Object.assign(new Error(`the database did not answer within ${ms} ms`), {code: 'PROTOCOL_SEQUENCE_TIMEOUT', fatal: true})
}

/**
 * mysql2 with a deadline on every statement of every connection. mysql2's own `timeout`
 * option starts with the statement, not when it is queued behind a stuck one, leaves the
 * statement preparation of `execute` without one, and keeps the connection: a network that
 * hangs would hold every later statement. Here the deadline starts with the call; when it
 * passes, the connection is destroyed (the pool then drops it, see Sequelize's validate) and
 * the caller gets a fatal PROTOCOL_SEQUENCE_TIMEOUT error. Sequelize calls query/execute with
 * a callback; other forms pass through.
 */
function withDeadlines(mysql2: Mysql2Module, queryTimeoutMs: number): Mysql2Module {
  const withDeadline = (connection: Mysql2Connection) => {
    for (const method of ['query', 'execute'] as const) {
      const original = (connection[method] as (...args: unknown[]) => unknown).bind(connection)
      const deadlined = (...args: unknown[]) => {
        const at = args.findIndex((arg) => typeof arg === 'function')
        if (at === -1) return original(...args)
        const callback = args[at] as Callback
        let settled = false
        const timer = setTimeout(() => {
          settled = true
          // mysql2's destroy() only half-closes: a peer that hangs would keep the socket (and the process) alive.
          const socket = (connection as unknown as {stream: {destroy(): void}}).stream
          connection.destroy()
          socket.destroy()
          callback(statementTimeout(queryTimeoutMs))
        }, queryTimeoutMs)
        args[at] = (...results: unknown[]) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          callback(...results)
        }
        return original(...args)
      }
      Object.assign(connection, {[method]: deadlined})
    }
    return connection
  }
  return Object.assign(Object.create(mysql2) as Mysql2Module, {
    createConnection: (...args: Parameters<Mysql2Module['createConnection']>) => withDeadline(mysql2.createConnection(...args)),
  })
}

/**
 * The mysql2 driver, given to Sequelize (which would otherwise require it by a name the bundle
 * cannot follow): bundled, so its compiled code is kept with the rest (src/cli/compile-cache.ts),
 * and loaded when a MySQL database is first opened; SQLite runs never load it.
 */
async function loadMysql2(): Promise<Mysql2Module> {
  return (await import('mysql2')).default
}

/**
 * A statement as the SQL log (STAYCTL_LOG_SQL) shows it: database passwords masked, password
 * hashes left out (an import's --upsert and db seed write users' hashes into the text of their statements).
 */
function loggedSql(sql: string): string {
  return maskUrl(sql).replace(BCRYPT_HASHES_IN_TEXT, '[hash]')
}

function sequelizeOptions(target: DatabaseTarget, options: OpenOptions, mysql2?: Mysql2Module): Options {
  const logging = options.logSql ? (sql: string) => options.logSql!(loggedSql(sql)) : false
  if (target.dialect === 'sqlite') {
    const sqlite: Options & {foreignKeys: boolean} = {
      dialect: 'sqlite',
      storage: target.storage,
      dialectModule: sqliteModule(),
      logging,
      define: {underscored: true},
      // Sequelize sends PRAGMA FOREIGN_KEYS=ON on each new connection without waiting for it, so a
      // transaction's BEGIN IMMEDIATE runs beside it; when the BEGIN waits for another writer (the
      // busy timeout, holding the connection's mutex), the PRAGMA's finalize on the main thread
      // waits for that mutex, and the whole process stands still, the other writer's commit too,
      // until the busy timeout ends (30 s). TunedDatabase turns foreign keys on before handing over.
      foreignKeys: false,
      // Sequelize tries a statement that met SQLITE_BUSY five times, each waiting the busy timeout: one wait is the whole of it (db/lock-wait.ts).
      retry: {max: 1},
    }
    return sqlite
  }
  const {params} = target
  const replicas = options.replicas
  return {
    ...(replicas ? {replication: replicas.replication, hooks: replicas.hooks} : {}),
    dialect: 'mysql',
    host: target.host,
    port: target.port,
    username: target.user,
    password: target.password,
    database: target.database,
    timezone: '+00:00',
    logging,
    define: {underscored: true, charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci'},
    pool: {max: options.poolMax ?? 10, min: 0, acquire: options.queryTimeoutMs ?? 60_000, idle: 10_000, ...(replicas ? {validate: replicas.validate} : {})},
    dialectModule: options.queryTimeoutMs ? withDeadlines(mysql2!, options.queryTimeoutMs) : mysql2,
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
export async function createSequelize(target: DatabaseTarget, options: OpenOptions = {}): Promise<Sequelize> {
  return new Sequelize(sequelizeOptions(target, options, target.dialect === 'mysql' ? await loadMysql2() : undefined))
}

/** Opens and checks the connection, so that a bad setting fails now with a clear message. */
export async function openSequelize(target: DatabaseTarget, options: OpenOptions = {}): Promise<Sequelize> {
  const sequelize = await createSequelize(target, options)
  try {
    // On the primary (a replica has its own check, replicas.ts).
    await sequelize.authenticate({logging: false, useMaster: true} as Parameters<Sequelize['authenticate']>[0])
  } catch (error) {
    await sequelize.close().catch(() => {})
    throw translateConnectionError(error, target, options.settingHint)
  }
  return sequelize
}

/**
 * One mysql2 connection of its own to the target's server, outside Sequelize's pool (the schema
 * lease, creating and dropping the database): in its database, or in none with `database: false`.
 * A failure to connect is an UnavailableError, as for the pool. The driver is loaded here, not
 * at start-up: SQLite runs never need it.
 */
export async function mysqlConnection(
  target: Extract<DatabaseTarget, {dialect: 'mysql'}>,
  options: {database?: boolean} = {},
): Promise<import('mysql2/promise').Connection> {
  try {
    const {default: driver} = await import('mysql2/promise')
    return await driver.createConnection({
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password,
      ...(options.database === false ? {} : {database: target.database}),
      connectTimeout: 10_000,
    })
  } catch (error) {
    throw translateConnectionError(error, target)
  }
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

/**
 * Codes of a connection that broke or a database that did not answer, as opposed to a
 * statement the database refused: the connection's, never the statement's fault.
 */
const CONNECTION_LOSS_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
])

/**
 * Whether `error` means that the database could not be reached or stopped answering
 * (Sequelize's ConnectionErrors, a connection lost or timed out in the middle of a statement,
 * which Sequelize reports as a plain DatabaseError), rather than a statement it refused.
 */
export function isConnectionLoss(error: unknown): boolean {
  let current: unknown = error
  for (let depth = 0; current && depth < 4; depth++) {
    if (current instanceof ConnectionError) return true
    const {code, fatal} = current as {code?: unknown; fatal?: unknown}
    // mysql2 marks errors of the connection itself (not of a statement) as fatal.
    if ((typeof code === 'string' && CONNECTION_LOSS_CODES.has(code)) || fatal === true) return true
    const next = current as {original?: unknown; parent?: unknown; cause?: unknown}
    current = next.original ?? next.parent ?? next.cause
  }
  return false
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

/** The table a statement found missing, if that is why it failed. */
export function missingTable(error: unknown): string | undefined {
  if (error instanceof StayctlError) return undefined
  const message = (error as Error | undefined)?.message ?? ''
  return (
    /\bno such table: (?:\w+\.)?(\w+)/.exec(message)?.[1] ??
    (errorCode(error) === 'ER_NO_SUCH_TABLE' ? /Table '(?:[^'.]+\.)?([^']+)' doesn't exist/.exec(message)?.[1] : undefined)
  )
}

/**
 * A statement that found a table of the schema missing (SQLite's "no such table", MySQL's
 * ER_NO_SUCH_TABLE): the database was never migrated, or only in part. An UnavailableError
 * (exit 7, a misconfigured database) that says to migrate; other errors pass through.
 */
export function translateMissingTable(error: unknown, target: DatabaseTarget): unknown {
  const table = missingTable(error)
  if (table === undefined) return error
  return new UnavailableError(`${target.display} has no table "${table}": its schema is missing or not up to date`, {
    suggestion: 'run `stayctl db migrate` (`stayctl db status` lists what is pending)',
    cause: error,
  })
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
    // MariaDB, for a user it does not know (or one that needs a password and was given none).
    ER_ACCESS_DENIED_NO_PASSWORD_ERROR: 'access denied (unknown user, or a password is needed)',
    ER_DBACCESS_DENIED_ERROR: 'access to the database denied for this user',
    ER_BAD_DB_ERROR:
      target.dialect === 'mysql' ? `database "${target.database}" does not exist` : 'database does not exist',
    SQLITE_CANTOPEN: 'cannot open the file (does its folder exist, and may we write there?)',
    SQLITE_NOTADB: 'the file is not an SQLite database',
    SQLITE_READONLY: 'the file is read-only',
    PROTOCOL_CONNECTION_LOST: 'the server closed the connection',
    PROTOCOL_SEQUENCE_TIMEOUT: 'the server did not answer in time',
    ECONNRESET: 'the server reset the connection',
    EPIPE: 'the connection was closed',
  }
  let reason = code ? reasons[code] : undefined
  if (!reason && target.dialect === 'sqlite' && code && code in FOLDER_ERRORS) {
    // Sequelize creates the file's folder before opening it; that failed.
    reason = `cannot create the folder ${path.dirname(target.storage)} (${FOLDER_ERRORS[code]})`
  }
  if (!reason && /Connection(Refused|TimedOut|Acquire)|HostNotFound|HostNotReachable|AccessDenied/.test(name)) {
    reason = maskUrl((error as Error).message)
  }
  if (!reason && isConnectionLoss(error)) reason = 'the connection broke'
  if (!reason) return error
  const suggestion =
    code === 'ER_BAD_DB_ERROR' ? `create it with \`stayctl db create\`, or ${fix}` : fix
  return new UnavailableError(`cannot connect to ${where}: ${reason}`, {suggestion, cause: error})
}
