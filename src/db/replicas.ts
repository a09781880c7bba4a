/**
 * Read replicas behind Sequelize's `replication` option. Sequelize sends every SELECT outside a
 * transaction to its read pool and everything else (transactions included) to the primary; its
 * read pool round-robins over the replicas with no idea whether one is down or behind. Here the
 * read pool is replaced by a router: one pool per replica, a replica used only while its last
 * check found it up and at most `maxLagSeconds` behind, and the primary for reads that must be
 * there (see routing.ts) or when no replica is usable. A replica that becomes unusable is
 * reported once (one warning line); one that recovers is used again at the next check.
 *
 * Lag is measured by GTID, with no privilege and no heartbeat writer: the primary's position now
 * (`@@gtid_binlog_pos`, MySQL `@@gtid_executed`) is waited for on the replica for at most the
 * limit (`MASTER_GTID_WAIT`, MySQL `WAIT_FOR_EXECUTED_GTID_SET`). Reaching it within the limit
 * is exactly "behind by at most the limit"; a caught-up replica answers at once. (Seconds_Behind_Master
 * needs REPLICA MONITOR / REPLICATION CLIENT, is NULL while replication is stopped even when
 * nothing is missing, and counts from the relay log, not from the primary.)
 */
import type {Sequelize} from 'sequelize'

import {maskUrl, type DatabaseTarget} from '../config/database-url.js'
import {mysqlConnection, type ReplicaRouting} from './connection.js'
import {ReadRouting} from './routing.js'

type MysqlTarget = Extract<DatabaseTarget, {dialect: 'mysql'}>
type CheckConnection = Awaited<ReturnType<typeof mysqlConnection>>

export type ReplicaState = 'unchecked' | 'in use' | 'down' | 'lagging' | 'unmeasured'

export interface ReplicaStatus {
  /** The replica's URL, password masked. */
  url: string
  state: ReplicaState
  /** Why it is skipped (down, lagging…), in words; null while in use. */
  reason: string | null
  /** When it was last checked (ISO 8601), null before the first check. */
  checkedAt: string | null
}

/**
 * How fresh a replica read must be. `bounded`: a replica is used while its last check found it
 * at most maxLagSeconds behind (a command checks when it starts, so it reads what was committed
 * before it started; serve checks every few seconds). `causal`: every request of serve also
 * waits, at its first replica read, until the replicas have applied what the primary had
 * committed when that read came (MaxScale's causal_reads), so a request never misses a write
 * that finished before it, whichever process made it; it costs a query on the primary and a
 * wait on each replica per request.
 */
export type ReplicaConsistency = 'bounded' | 'causal'

export interface ReplicaOptions {
  maxLagSeconds: number
  consistency?: ReplicaConsistency
  /** One line when a replica is skipped, and when it is back. */
  warn?: (line: string) => void
}

interface Replica {
  target: MysqlTarget
  state: ReplicaState
  reason: string | null
  checkedAt: Date | null
  /** The connection of the lag check, outside the pool. */
  check?: CheckConnection
}

/** The engine's GTID statements: the primary's position, and the wait for it on a replica (0 = reached). */
interface GtidDialect {
  position: string
  wait: string
}
const MARIADB: GtidDialect = {position: 'SELECT @@global.gtid_binlog_pos AS pos', wait: 'SELECT MASTER_GTID_WAIT(?, ?) AS w'}
const MYSQL: GtidDialect = {position: 'SELECT @@global.gtid_executed AS pos', wait: 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS w'}

/** The mysql2 connection fields Sequelize's own validation reads (a connection broken or closing is not reused). */
type Mysql2Connection = {_fatalError?: unknown; _protocolError?: unknown; _closing?: boolean; stream?: {destroyed?: boolean}; config?: {host?: string; port?: number}}
const alive = (c: Mysql2Connection) => !!c && !c._fatalError && !c._protocolError && !c._closing && !c.stream?.destroyed

const server = (t: MysqlTarget) => ({host: t.host, port: t.port, username: t.user, password: t.password, database: t.database})

/**
 * The read replicas of one database, wired into Sequelize through its public hooks only:
 * `beforePoolAcquire` sends a read to the primary (useMaster) when it must go there or no replica
 * is in use, `beforeConnect` points a new read connection at the next replica in use, and the
 * pool's `validate` retires read connections of a replica that was skipped since.
 */
export class ReplicaSet {
  readonly routing = new ReadRouting()
  private readonly replicas: Replica[]
  /** Which server each connection Sequelize opened talks to: a replica's index, or -1 for the primary. */
  private readonly serverOf = new WeakMap<object, number>()
  private next = 0
  private sequelize?: Sequelize
  private firstCheck?: Promise<void>
  private timer?: NodeJS.Timeout
  private closed = false

  constructor(
    private readonly primary: MysqlTarget,
    targets: MysqlTarget[],
    private readonly options: ReplicaOptions,
  ) {
    this.replicas = targets.map((target) => ({target, state: 'unchecked', reason: null, checkedAt: null}))
  }

  /** What Sequelize is given: the replication option, the hooks and the pool's validation. */
  sequelizeOptions(): ReplicaRouting {
    return {
      // One read entry, re-pointed at a replica in use by beforeConnect for each new read connection.
      replication: {read: [{...server(this.replicas[0].target), stayctlRead: true} as object], write: server(this.primary)},
      hooks: {
        beforePoolAcquire: async (options) => {
          // Sequelize passes the query's type here (its typings say read | write): SELECT outside a transaction.
          if ((options as {type?: string}).type !== 'SELECT' || options.useMaster) return
          if (this.routing.wantsPrimary()) options.useMaster = true
          else {
            await this.caughtUp()
            if (!this.replicas.some((r) => r.state === 'in use')) options.useMaster = true
          }
        },
        beforeConnect: (config) => {
          if (!(config as {stayctlRead?: boolean}).stayctlRead) return
          const inUse = this.replicas.filter((r) => r.state === 'in use')
          Object.assign(config, server(inUse.length > 0 ? inUse[this.next++ % inUse.length].target : this.primary))
        },
        afterConnect: (connection) => {
          const {host, port} = (connection as Mysql2Connection).config ?? {}
          this.serverOf.set(connection as object, this.replicas.findIndex((r) => r.target.host === host && r.target.port === port))
        },
      },
      validate: (connection) => {
        if (!alive(connection as Mysql2Connection)) return false
        const index = this.serverOf.get(connection as object) ?? -1
        return index === -1 || this.replicas[index].state === 'in use'
      },
    }
  }

  /** The check a replica read waits for: the run's first (bounded), or its request's own (causal). */
  private caughtUp(): Promise<void> {
    const scope = this.options.consistency === 'causal' ? this.routing.current() : undefined
    if (scope) return (scope.caughtUp ??= this.checkAll())
    return (this.firstCheck ??= this.checkAll())
  }

  /** The instance whose reads this routes (its primary answers the position queries). */
  attach(sequelize: Sequelize): void {
    this.sequelize = sequelize
  }

  /** Checks every replica now (connection, lag), and marks each in use or skipped. */
  async checkAll(): Promise<void> {
    let position: string
    let dialect: GtidDialect
    try {
      ;[position, dialect] = await this.primaryPosition()
    } catch (error) {
      // The primary itself does not answer: its own errors will say so; keep the replicas as they were.
      if (this.replicas.every((r) => r.state === 'unchecked')) for (const r of this.replicas) this.mark(r, 'unmeasured', `the primary's position could not be read (${describe(error)})`)
      return
    }
    await Promise.all(this.replicas.map((replica) => this.check(replica, position, dialect)))
  }

  private async primaryPosition(): Promise<[string, GtidDialect]> {
    const sequelize = this.sequelize
    if (!sequelize) throw new Error('not attached to a database')
    const [row] = (await sequelize.query('SELECT VERSION() AS v, @@global.gtid_mode AS m', {type: 'SELECT', useMaster: true, logging: false}).catch(
      () => sequelize.query('SELECT VERSION() AS v, NULL AS m', {type: 'SELECT', useMaster: true, logging: false}),
    )) as {v: string; m: string | null}[]
    const dialect = /mariadb/i.test(row.v) ? MARIADB : MYSQL
    if (dialect === MYSQL && row.m !== 'ON') throw new Error('gtid_mode is not ON on the primary, so replica lag cannot be measured')
    const [pos] = (await sequelize.query(dialect.position, {type: 'SELECT', useMaster: true, logging: false})) as {pos: string}[]
    return [pos.pos ?? '', dialect]
  }

  private async check(replica: Replica, position: string, dialect: GtidDialect): Promise<void> {
    try {
      replica.check ??= await mysqlConnection(replica.target)
      const [rows] = await replica.check.query(dialect.wait, [position, this.options.maxLagSeconds])
      const waited = Number((rows as {w: unknown}[])[0].w)
      if (waited === 0) this.mark(replica, 'in use', null)
      else this.mark(replica, 'lagging', `more than ${this.options.maxLagSeconds} s behind the primary (replication stopped or slow)`)
    } catch (error) {
      replica.check?.destroy()
      replica.check = undefined
      this.mark(replica, 'down', describe(error))
    }
  }

  private mark(replica: Replica, state: ReplicaState, reason: string | null): void {
    // A check cut short by close() says nothing about the replica.
    if (this.closed) return
    const was = replica.state
    replica.state = state
    replica.reason = reason
    replica.checkedAt = new Date()
    if (state !== 'in use' && (was === 'in use' || was === 'unchecked')) {
      this.options.warn?.(`warning: read replica ${replica.target.display} skipped (${state}: ${reason}); reads go to the primary`)
    } else if (state === 'in use' && was !== 'in use' && was !== 'unchecked') {
      this.options.warn?.(`read replica ${replica.target.display} is back in use`)
    }
  }

  /** Checks again every `intervalMs` (serve): a replica that comes back is used again without a restart. */
  monitor(intervalMs: number): void {
    const again = () => {
      if (this.closed) return
      this.timer = setTimeout(() => void this.checkAll().finally(again), intervalMs)
      this.timer.unref()
    }
    void (this.firstCheck ??= this.checkAll()).finally(again)
  }

  /** Each replica and whether reads use it (checked first if not yet). */
  async status(): Promise<ReplicaStatus[]> {
    await (this.firstCheck ??= this.checkAll())
    return this.replicas.map((r) => ({url: r.target.display, state: r.state, reason: r.reason, checkedAt: r.checkedAt?.toISOString() ?? null}))
  }

  close(): void {
    this.closed = true
    clearTimeout(this.timer)
    for (const replica of this.replicas) replica.check?.destroy()
  }
}

function describe(error: unknown): string {
  const message = String((error as {message?: string})?.message ?? error)
  return maskUrl(/ECONNREFUSED/.test(message) ? 'down (connection refused)' : message)
}
