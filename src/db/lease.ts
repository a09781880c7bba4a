/**
 * The schema lease on MySQL-family servers (MySQL, MariaDB, Galera, Group Replication, Vitess,
 * TiDB, behind ProxySQL or not): one row of `stayctl_leases`, taken and kept with conditional
 * writes. On a multi-primary cluster named locks (GET_LOCK) and row locks are local to a node,
 * but two writes of one row on two nodes conflict at certification and one of them fails: so
 * whoever's write of the row succeeds holds the lease, cluster-wide.
 *
 * - Taking it: `UPDATE … SET holder = me … WHERE name = 'schema' AND holder IS NULL` (or, for
 *   a holder that stopped renewing, `AND holder = <it> AND expires_at < UTC_TIMESTAMP(3)`); one
 *   affected row means taken. A deadlock or certification failure (1213) just means "not taken, try again".
 * - Keeping it: a dedicated connection renews `expires_at` every third of the TTL with
 *   `… WHERE holder = me`; zero rows means the lease was lost, and the runner stops before its
 *   next step (confirm() fails). Before each step the runner confirms it still holds the lease
 *   with the same kind of write, which also records the migration it is about to run, so that
 *   `db status` can name a migration whose runner died half-way.
 * - Fencing: a step's own transaction (a seeder's data, a SequelizeMeta row) writes the row too
 *   (`fence`), last before COMMIT: a runner that lost the lease cannot commit.
 * - Dying: the row expires `ttl` seconds after the last renewal. Faster on the same server: the
 *   holder keeps a named lock (its beacon) on its lease connection, taken before it writes the
 *   row. A waiter connected to the same server (same Galera node, same MySQL server_uuid…) that
 *   finds the beacon free knows that connection is gone, and takes over at once. Servers whose
 *   identity we cannot tell apart (TiDB, Vitess) rely on expiry alone.
 */
import crypto from 'node:crypto'
import os from 'node:os'

import type mysql from 'mysql2/promise'
import {QueryTypes, type Sequelize, type Transaction} from 'sequelize'

import type {DatabaseTarget} from '../config/database-url.js'
import {UnavailableError, type ErrorOptions} from '../errors.js'
import {mysqlConnection} from './connection.js'

/** The lease table, created by the lease code itself (like SequelizeMeta by its storage). */
export const LEASE_TABLE = 'stayctl_leases'
/** The one lease there is: the schema and seed data of this database. */
const LEASE_NAME = 'schema'

/** Seconds a lease lasts after its last renewal: STAYCTL_SCHEMA_LEASE_SECONDS, default 10. */
export function leaseSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.STAYCTL_SCHEMA_LEASE_SECONDS ?? '')
  return Number.isFinite(value) && value >= 1 ? value : 10
}

/** A migration a runner is about to run, in one direction. */
export interface LeaseStep {
  name: string
  direction: 'up' | 'down'
}

/** What a runner holding the schema lease can do with it. */
export interface SchemaLease {
  /** Who holds it, for messages: "pid 123 on host build-7 (db migrate)". */
  readonly holder: string
  /**
   * Between the operations of a step: fails with LeaseLostError when the lease is known to be
   * lost. Costs nothing while renewals succeed; a runner that was stalled (stopped, swapped
   * out) longer than a renewal period first confirms with a write.
   */
  check(): Promise<void>
  /**
   * Before each step: fails with LeaseLostError unless the lease is still held. On a server it
   * is a conditional write that also renews the lease and records the migration about to run.
   */
  confirm(step?: LeaseStep): Promise<void>
  /**
   * Inside a step's transaction, last before COMMIT: on a server a conditional write of the
   * lease row (so only a holder can commit, and the cluster certifies it), which also clears
   * the recorded migration; on SQLite the same check as confirm(). `sequelize`: the
   * instance the transaction belongs to.
   */
  fence(transaction: Transaction, sequelize: Sequelize): Promise<void>
}

/** The runner no longer holds the schema lease (another took it over): it stops. */
export class LeaseLostError extends UnavailableError {
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, {
      suggestion:
        'another stayctl took over the schema lock because this one did not renew it in time; run the command again: it resumes where this one stopped',
      ...options,
    })
  }
}

/** "pid 123 on host build-7 (db migrate)": how a holder is named to waiters and in db status. */
export function holderLabel(task: string): string {
  return `pid ${process.pid} on host ${os.hostname()} (${task})`
}

// MySQL and MariaDB error numbers.
const ER_LOCK_WAIT_TIMEOUT = 1205
const ER_LOCK_DEADLOCK = 1213
const ER_TABLE_EXISTS = 1050
const ER_DUP_ENTRY = 1062
/** Group Replication: the transaction failed certification ("Plugin instructed the server to rollback…"). */
const ER_TRANSACTION_ROLLBACK_DURING_COMMIT = 3101
/** TiDB: write conflict, and "transaction is retryable". */
const TIDB_WRITE_CONFLICT = [9007, 8002, 8022]

/** The errno of a driver error, through Sequelize's wrappers. */
export function errnoOf(error: unknown): number | undefined {
  let current: unknown = error
  for (let depth = 0; current && depth < 4; depth++) {
    const errno = (current as {errno?: unknown}).errno
    if (typeof errno === 'number') return errno
    const next = current as {original?: unknown; parent?: unknown; cause?: unknown}
    current = next.original ?? next.parent ?? next.cause
  }
  return undefined
}

/** A write that lost a race (deadlock or Galera's certification failure, Group Replication's, a lock wait): try again. */
function lostRace(error: unknown): boolean {
  const errno = errnoOf(error)
  return (
    errno === ER_LOCK_DEADLOCK ||
    errno === ER_LOCK_WAIT_TIMEOUT ||
    errno === ER_TRANSACTION_ROLLBACK_DURING_COMMIT ||
    TIDB_WRITE_CONFLICT.includes(errno ?? 0)
  )
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Runs a statement, again while it loses races (at most `attempts` times). */
async function retrying<T>(run: () => Promise<T>, attempts = 20): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run()
    } catch (error) {
      if (!lostRace(error) || attempt >= attempts) throw error
      await sleep(20 + Math.random() * 80)
    }
  }
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS \`${LEASE_TABLE}\` (
  \`name\` VARCHAR(64) NOT NULL,
  \`holder\` VARCHAR(64) NULL,
  \`holder_label\` VARCHAR(255) NULL,
  \`holder_server\` VARCHAR(255) NULL,
  \`beacon\` VARCHAR(64) NULL,
  \`acquired_at\` DATETIME(3) NULL,
  \`expires_at\` DATETIME(3) NULL,
  \`fence\` BIGINT NOT NULL DEFAULT 0,
  \`step\` VARCHAR(255) NULL,
  \`step_direction\` VARCHAR(4) NULL,
  \`step_started_at\` DATETIME(3) NULL,
  \`step_by\` VARCHAR(255) NULL,
  PRIMARY KEY (\`name\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`

/**
 * SQL naming the server a connection is on, or null when we cannot tell servers apart: a
 * Galera node by its group-communication UUID (every node may have server_id 1 and one host
 * name), MySQL by @@server_uuid (also per member of Group Replication), MariaDB outside
 * Galera by host, port and server_id (unique among replicating servers). TiDB and Vitess
 * route statements to servers of their choosing: none.
 */
async function identitySql(select: (sql: string) => Promise<Record<string, unknown>[]>): Promise<string | null> {
  const [version] = await select('SELECT @@version AS version, @@version_comment AS comment')
  if (/tidb|vitess/i.test(`${version.version} ${version.comment}`)) return null
  const [wsrep] = await select("SHOW VARIABLES LIKE 'wsrep_on'")
  if (String(wsrep?.Value ?? '').toUpperCase() === 'ON') {
    for (const table of ['information_schema.GLOBAL_STATUS', 'performance_schema.global_status']) {
      const sql = `(SELECT CONCAT('galera:', VARIABLE_VALUE) FROM ${table} WHERE VARIABLE_NAME = 'wsrep_gcomm_uuid')`
      try {
        const [row] = await select(`SELECT ${sql} AS id`)
        if (row?.id) return sql
      } catch {
        // That table is not there on this server: try the other.
      }
    }
    return null
  }
  if ((await select("SHOW VARIABLES LIKE 'server_uuid'")).length > 0) return "CONCAT('mysql:', @@server_uuid)"
  return "CONCAT('mariadb:', @@hostname, ':', @@port, ':', @@server_id)"
}

interface LeaseRow {
  holder: string | null
  holder_label: string | null
  holder_server: string | null
  beacon: string | null
  expired: number | null
  /** This connection's server, evaluated in the same statement as beacon_free. */
  me: string | null
  beacon_free: number | null
}

export interface AcquireOptions {
  /** Give up at this time (epoch ms). */
  deadline: number
  /** What the runner does, for the holder's label ("db migrate"). */
  task: string
  ttlSeconds?: number
  /** Called once, when another runner holds the lease and we start waiting. */
  onWait?: (holder: string) => void
  /** Called when we take the lease over from a runner that died or stopped renewing. */
  onTakeover?: (holder: string, how: 'expired' | 'gone') => void
  /** Message of the timeout error. */
  timeoutMessage: string
}

/** A held lease on a MySQL-family server; release() it when done. */
export class ServerLease implements SchemaLease {
  readonly holder: string
  private readonly token = crypto.randomBytes(12).toString('hex')
  private readonly beacon = `stayctl:lease:${this.token}`
  private readonly ttlMicros: number
  private timer: NodeJS.Timeout | undefined
  private renewing: Promise<void> | undefined
  private lost: Error | undefined
  /** When the last write that found the lease ours was sent (local clock). */
  private confirmedAt = 0

  private constructor(
    private readonly connection: mysql.Connection,
    task: string,
    private readonly ttlSeconds: number,
  ) {
    this.holder = holderLabel(task)
    this.ttlMicros = Math.round(ttlSeconds * 1_000_000)
  }

  /** Connects, creates the lease table if need be, and waits until the lease is ours. */
  static async acquire(target: Extract<DatabaseTarget, {dialect: 'mysql'}>, options: AcquireOptions): Promise<ServerLease> {
    const connection = await mysqlConnection(target)
    const lease = new ServerLease(connection, options.task, options.ttlSeconds ?? leaseSeconds())
    try {
      await lease.take(options)
    } catch (error) {
      await connection.end().catch(() => {})
      throw error
    }
    lease.timer = setInterval(() => void lease.renew(), Math.max(250, (lease.ttlSeconds * 1000) / 3))
    lease.timer.unref()
    return lease
  }

  private async take(options: AcquireOptions): Promise<void> {
    const c = this.connection
    await retrying(async () => {
      try {
        await c.query(CREATE_TABLE)
      } catch (error) {
        // Two CREATE TABLE IF NOT EXISTS on two nodes at once: the other made it.
        if (errnoOf(error) !== ER_TABLE_EXISTS) throw error
      }
    })
    await retrying(async () => {
      try {
        await c.query(`INSERT IGNORE INTO \`${LEASE_TABLE}\` (name) VALUES (?)`, [LEASE_NAME])
      } catch (error) {
        if (errnoOf(error) !== ER_DUP_ENTRY) throw error
      }
    })
    const me = await identitySql(async (sql) => (await c.query<mysql.RowDataPacket[]>(sql))[0])
    // The beacon first: whoever sees our row on this server also sees the beacon held.
    const [[beacon]] = await c.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, 0) AS got', [this.beacon])
    if (Number(beacon.got) !== 1) throw new Error(`could not take the named lock ${this.beacon}`)
    const claim = (condition: string, params: unknown[]) =>
      this.confirming(
        `UPDATE \`${LEASE_TABLE}\`
            SET holder = ?, holder_label = ?, holder_server = ${me ?? 'NULL'}, beacon = ?,
                acquired_at = UTC_TIMESTAMP(3), expires_at = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND, fence = fence + 1
          WHERE name = ? AND ${condition}`,
        [this.token, this.holder, this.beacon, this.ttlMicros, LEASE_NAME, ...params],
      ).catch((error) => {
        if (lostRace(error)) return 0
        throw error
      })
    let waited = false
    for (;;) {
      const [[row]] = await c.query<(LeaseRow & mysql.RowDataPacket)[]>(
        `SELECT holder, holder_label, holder_server, beacon, expires_at < UTC_TIMESTAMP(3) AS expired,
                ${me ?? 'NULL'} AS me, IF(beacon IS NULL, NULL, IS_FREE_LOCK(beacon)) AS beacon_free
           FROM \`${LEASE_TABLE}\` WHERE name = ?`,
        [LEASE_NAME],
      )
      const label = row?.holder_label ?? 'another stayctl'
      if (!row?.holder) {
        if ((await claim('holder IS NULL', [])) === 1) return
      } else if (Number(row.expired) === 1) {
        if ((await claim('holder = ? AND expires_at < UTC_TIMESTAMP(3)', [row.holder])) === 1) {
          options.onTakeover?.(label, 'expired')
          return
        }
      } else if (me && row.holder_server === row.me && Number(row.beacon_free) === 1) {
        // Same server, and the holder's lease connection is gone: the holder is dead.
        if ((await claim('holder = ?', [row.holder])) === 1) {
          options.onTakeover?.(label, 'gone')
          return
        }
      } else if (!waited) {
        options.onWait?.(label)
        waited = true
      }
      if (Date.now() > options.deadline) {
        throw new UnavailableError(options.timeoutMessage, {
          suggestion: `${label} is migrating or seeding this database; wait for it, or raise --lock-timeout`,
        })
      }
      await sleep(150 + Math.random() * 150)
    }
  }

  /** Runs a conditional write on the lease connection; returns the rows it matched. */
  private async write(sql: string, params: unknown[]): Promise<number> {
    const [result] = await this.connection.query<mysql.ResultSetHeader>(sql, params)
    return result.affectedRows
  }

  /** A write that keeps the lease when it matches its row: notes when it was sent. */
  private async confirming(sql: string, params: unknown[]): Promise<number> {
    const sent = Date.now()
    const rows = await this.write(sql, params)
    if (rows === 1) this.confirmedAt = sent
    return rows
  }

  private lose(reason: string, cause?: unknown): LeaseLostError {
    this.lost ??= new LeaseLostError(`lost the schema lock: ${reason}`, {cause})
    if (this.timer) clearInterval(this.timer)
    return this.lost as LeaseLostError
  }

  private async renew(): Promise<void> {
    if (this.lost || this.renewing) return
    this.renewing = (async () => {
      try {
        const rows = await this.confirming(
          `UPDATE \`${LEASE_TABLE}\` SET expires_at = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND WHERE name = ? AND holder = ?`,
          [this.ttlMicros, LEASE_NAME, this.token],
        )
        if (rows === 0) this.lose('another runner holds it now')
      } catch (error) {
        // A lost race is retried at the next tick; a broken connection loses the lease (and the beacon).
        if (!lostRace(error)) this.lose(`its connection failed (${(error as Error).message})`, error)
      } finally {
        this.renewing = undefined
      }
    })()
    await this.renewing
  }

  async check(): Promise<void> {
    if (this.lost) throw this.lost
    if (Date.now() - this.confirmedAt > (this.ttlSeconds * 1000) / 2) await this.confirm()
  }

  async confirm(step?: LeaseStep): Promise<void> {
    if (this.lost) throw this.lost
    const set = step ? ', step = ?, step_direction = ?, step_started_at = UTC_TIMESTAMP(3), step_by = ?' : ''
    let rows: number
    try {
      rows = await retrying(() =>
        this.confirming(
          `UPDATE \`${LEASE_TABLE}\` SET expires_at = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND, fence = fence + 1${set}
            WHERE name = ? AND holder = ?`,
          [this.ttlMicros, ...(step ? [step.name, step.direction, this.holder] : []), LEASE_NAME, this.token],
        ),
      )
    } catch (error) {
      throw this.lose(`its connection failed (${(error as Error).message})`, error)
    }
    if (rows === 0) throw this.lose('another runner holds it now')
  }

  async fence(transaction: Transaction, sequelize: Sequelize): Promise<void> {
    await this.check()
    const rows = await sequelize.query(
      `UPDATE \`${LEASE_TABLE}\`
          SET fence = fence + 1, expires_at = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND,
              step = NULL, step_direction = NULL, step_started_at = NULL, step_by = NULL
        WHERE name = ? AND holder = ?`,
      {type: QueryTypes.BULKUPDATE, replacements: [this.ttlMicros, LEASE_NAME, this.token], transaction},
    )
    if (Number(rows) === 0) throw this.lose('another runner holds it now')
  }

  /** Gives the lease up (keeping the record of a migration left half-done) and disconnects. */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await this.renewing?.catch(() => {})
    try {
      await retrying(
        () =>
          this.write(
            `UPDATE \`${LEASE_TABLE}\`
                SET holder = NULL, holder_label = NULL, holder_server = NULL, beacon = NULL, expires_at = NULL
              WHERE name = ? AND holder = ?`,
            [LEASE_NAME, this.token],
          ),
        5,
      )
      await this.connection.query('DO RELEASE_LOCK(?)', [this.beacon])
    } catch {
      // Expiry frees it; ending the connection frees the beacon.
    } finally {
      await this.connection.end().catch(() => {})
    }
  }
}

/** What the lease row says, for db status. */
export interface LeaseState {
  /** The runner holding it now, if its lease has not expired. */
  holder: string | null
  /** The migration whose steps started and which is not recorded yet, if any. */
  step: {name: string; direction: 'up' | 'down'; startedAt: Date | null; by: string | null} | null
  /** True when that migration's runner is gone (released with an error, or stopped renewing). */
  interrupted: boolean
}

/** Reads the lease row, or null when no runner ever took the lease here (or on SQLite). */
export async function readLeaseState(sequelize: Sequelize): Promise<LeaseState | null> {
  if (sequelize.getDialect() !== 'mysql') return null
  const [table] = await sequelize.query<{n: number}>(
    'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
    {type: QueryTypes.SELECT, replacements: [LEASE_TABLE]},
  )
  if (Number(table?.n) === 0) return null
  const me = await identitySql((sql) => sequelize.query<Record<string, unknown>>(sql, {type: QueryTypes.SELECT}))
  const [row] = await sequelize.query<{
    holder_label: string | null
    live: number | null
    gone: number | null
    step: string | null
    step_direction: string | null
    step_started_at: Date | string | null
    step_by: string | null
  }>(
    // A holder on this very server whose beacon is free is gone, whatever its expiry says.
    `SELECT holder_label, holder IS NOT NULL AND expires_at >= UTC_TIMESTAMP(3) AS live,
            ${me ? `holder_server = ${me} AND IS_FREE_LOCK(beacon) = 1` : '0'} AS gone,
            step, step_direction, step_started_at, step_by
       FROM \`${LEASE_TABLE}\` WHERE name = ?`,
    {type: QueryTypes.SELECT, replacements: [LEASE_NAME]},
  )
  if (!row) return null
  const live = Number(row.live) === 1 && Number(row.gone) !== 1
  return {
    holder: live ? row.holder_label : null,
    step: row.step
      ? {
          name: row.step,
          direction: row.step_direction === 'down' ? 'down' : 'up',
          startedAt: row.step_started_at ? new Date(row.step_started_at) : null,
          by: row.step_by,
        }
      : null,
    interrupted: Boolean(row.step) && !live,
  }
}
