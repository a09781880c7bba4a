/**
 * `db doctor`: what the database engine in use allows, against what stayctl relies on. Each
 * check is a pure function of the engine's facts (src/db/engine-facts.ts) and answers ok, warn
 * or fail with the setting to change; the operation reads the facts (on the primary) and runs
 * every check. Admins only: it shows how the server is set up.
 */
import {engineFacts, type EngineFacts} from '../db/engine-facts.js'
import type {ReplicaStatus} from '../db/replicas.js'
import {audit} from './audit.js'
import {requireAdmin} from './authz.js'
import type {ServiceContext} from './context.js'
import {BATCH_BYTES} from './import/local.js'
import {DEFAULT_BATCH} from './import/pipeline.js'
import {calendarsWithoutGaps, repairCalendars, REPAIR_CHUNK} from './rules/gaps.js'
import {inTransaction} from './transaction.js'

export type DoctorStatus = 'ok' | 'warn' | 'fail'

export interface DoctorFinding {
  /** A stable name: local-infile, sql-mode, write-set… */
  check: string
  status: DoctorStatus
  message: string
  /** The setting to change (or what to do), when the status is not ok. */
  fix: string | null
}

export interface EngineIdentity {
  /** MariaDB, MySQL, TiDB, Vitess or SQLite. */
  name: string
  version: string
  /** galera, group-replication or null. */
  cluster: 'galera' | 'group-replication' | null
  /** proxysql when a ProxySQL answers in front of the server. */
  proxy: 'proxysql' | null
}

export interface DoctorReport {
  engine: EngineIdentity
  findings: DoctorFinding[]
  ok: number
  warn: number
  fail: number
}

/** What stayctl's own imports send in one transaction (src/services/import): the checks compare limits with these. */
export interface ImportShape {
  batchRows: number
  batchBytes: number
}

/** The free-gap rows of the calendars (rules/gaps.ts), which availability searches read. */
export interface CalendarFacts {
  /** Properties with no gap row, by id (after a repair: those it could not give them). */
  withoutGaps: number[]
  /** Properties a repair gave their gap rows. */
  repaired: number
}

export interface DoctorInput {
  facts: EngineFacts
  replicas: ReplicaStatus[]
  imports: ImportShape
  /** Absent: not examined (the checks of the engine alone). */
  calendars?: CalendarFacts
}

const on = (value: string | undefined) => value !== undefined && ['on', '1', 'true', 'yes'].includes(value.toLowerCase())
const finding = (check: string, status: DoctorStatus, message: string, fix: string | null = null): DoctorFinding => ({check, status, message, fix})
const MIB = 1024 * 1024
const mib = (bytes: number) => `${Math.round((bytes / MIB) * 10) / 10} MiB`

/** The engine, its cluster and a proxy in front, from the version strings and variables. */
export function identifyEngine(facts: EngineFacts): EngineIdentity {
  if (facts.dialect === 'sqlite') return {name: 'SQLite', version: facts.version, cluster: null, proxy: null}
  const version = facts.version
  const name = /tidb/i.test(version) ? 'TiDB' : /vitess/i.test(version) || /vitess/i.test(facts.versionComment) ? 'Vitess' : /mariadb/i.test(version) ? 'MariaDB' : 'MySQL'
  const galera = on(facts.global.wsrep_on) && (facts.global.wsrep_provider ?? 'none').toLowerCase() !== 'none'
  const groupReplication = (facts.global.group_replication_group_name ?? '') !== ''
  return {
    name,
    version: version.replace(/-(MariaDB|log|TiDB|Vitess).*$/i, ''),
    cluster: galera ? 'galera' : groupReplication ? 'group-replication' : null,
    proxy: /proxysql/i.test(facts.versionComment) ? 'proxysql' : null,
  }
}

type Check = (input: DoctorInput, engine: EngineIdentity) => DoctorFinding | DoctorFinding[] | null

export const checkLocalInfile: Check = ({facts}, engine) => {
  if (facts.dialect === 'sqlite') return null
  const fix = 'imports use LOAD DATA LOCAL INFILE: set local_infile=ON on the server (my.cnf [mysqld] local_infile=1, or SET GLOBAL local_infile=ON)'
  if (engine.proxy) return finding('local-infile', 'fail', 'ProxySQL does not support LOAD DATA LOCAL INFILE, which imports use', 'run imports against the server itself (--database-url to the backend, not the proxy)')
  if (engine.name === 'Vitess') return finding('local-infile', 'warn', 'Vitess allows LOAD DATA only in unsharded keyspaces', 'keep stayctl in an unsharded keyspace, or import with a direct connection')
  if (!on(facts.global.local_infile)) return finding('local-infile', 'fail', 'local_infile is OFF on the server: imports (LOAD DATA LOCAL INFILE) are refused', fix)
  return finding('local-infile', 'ok', 'local_infile is ON on the server; stayctl allows it on its side, for its own import streams only')
}

export const checkMaxAllowedPacket: Check = ({facts, imports}) => {
  if (facts.dialect === 'sqlite') return null
  const packet = Number(facts.global.max_allowed_packet ?? 0)
  if (!packet) return null
  const fix = `set max_allowed_packet to at least ${mib(imports.batchBytes * 2)} (my.cnf, or SET GLOBAL max_allowed_packet=${imports.batchBytes * 2})`
  if (packet < imports.batchBytes) return finding('max-allowed-packet', 'fail', `max_allowed_packet is ${mib(packet)}, below an import batch (${mib(imports.batchBytes)})`, fix)
  if (packet < imports.batchBytes * 2) return finding('max-allowed-packet', 'warn', `max_allowed_packet is ${mib(packet)}, little above an import batch (${mib(imports.batchBytes)})`, fix)
  return finding('max-allowed-packet', 'ok', `max_allowed_packet is ${mib(packet)}`)
}

export const checkSqlMode: Check = ({facts}) => {
  if (facts.dialect === 'sqlite') return null
  const mode = facts.session.sql_mode ?? facts.global.sql_mode ?? ''
  if (!/STRICT_(TRANS|ALL)_TABLES/.test(mode)) {
    return finding('sql-mode', 'fail', `sql_mode (${mode || 'empty'}) is not strict: a value too long or out of range would be cut or changed silently`, 'add STRICT_TRANS_TABLES to sql_mode (my.cnf sql_mode=…, or SET GLOBAL sql_mode)')
  }
  return finding('sql-mode', 'ok', `sql_mode is strict (${mode})`)
}

export const checkTimeZone: Check = ({facts}) => {
  if (facts.dialect === 'sqlite') return null
  const zone = facts.session.time_zone ?? ''
  if (zone !== '+00:00' && zone.toUpperCase() !== 'UTC') {
    return finding('time-zone', 'fail', `the session's time_zone is ${zone}, not UTC: timestamps would be stored shifted`, 'stayctl sets +00:00 on its connections; a proxy or init_connect that changes time_zone must not')
  }
  return finding('time-zone', 'ok', `stayctl's sessions use UTC (the server's own time_zone is ${facts.global.time_zone ?? '?'}${facts.global.system_time_zone ? `, system ${facts.global.system_time_zone}` : ''})`)
}

export const checkIsolation: Check = ({facts}) => {
  if (facts.dialect === 'sqlite') return null
  const level = (facts.session.transaction_isolation ?? facts.session.tx_isolation ?? facts.global.transaction_isolation ?? facts.global.tx_isolation ?? '').toUpperCase()
  if (level === 'READ-UNCOMMITTED') return finding('isolation', 'fail', 'the isolation level is READ-UNCOMMITTED: rules would read rows not yet committed', 'set transaction_isolation=REPEATABLE-READ (the default)')
  if (level === 'SERIALIZABLE') return finding('isolation', 'warn', 'the isolation level is SERIALIZABLE: correct, but plain reads take locks and deadlocks (retried) are more frequent', 'set transaction_isolation=REPEATABLE-READ (the default)')
  return finding('isolation', 'ok', `the isolation level is ${level || 'the default'}`)
}

export const checkCheckConstraints: Check = ({facts}, engine) => {
  if (facts.dialect === 'sqlite') return null
  const [major, minor, patch] = engine.version.split(/[.-]/).map(Number)
  const at = (a: number, b: number, c: number) => major > a || (major === a && (minor > b || (minor === b && patch >= c)))
  const fix = 'the database enforces prices > 0, ratings 1–5 and refunds ≤ charges by CHECK constraints'
  if (engine.name === 'TiDB') {
    return on(facts.global.tidb_enable_check_constraint)
      ? finding('check-constraints', 'ok', 'TiDB enforces CHECK constraints (tidb_enable_check_constraint=ON)')
      : finding('check-constraints', 'fail', 'TiDB ignores CHECK constraints unless tidb_enable_check_constraint=ON', `SET GLOBAL tidb_enable_check_constraint=ON (${fix})`)
  }
  if (engine.name === 'MariaDB') {
    if (!at(10, 2, 1)) return finding('check-constraints', 'fail', `MariaDB ${engine.version} ignores CHECK constraints (10.2.1 enforces them)`, `upgrade MariaDB (${fix})`)
    if (facts.session.check_constraint_checks !== undefined && !on(facts.session.check_constraint_checks)) {
      return finding('check-constraints', 'fail', 'check_constraint_checks is OFF: CHECK constraints are not enforced', 'SET GLOBAL check_constraint_checks=ON')
    }
  } else if (!at(8, 0, 16)) return finding('check-constraints', 'fail', `${engine.name} ${engine.version} ignores CHECK constraints (MySQL 8.0.16 enforces them)`, `upgrade (${fix})`)
  return finding('check-constraints', 'ok', 'CHECK constraints are enforced')
}

export const checkClusterBinlog: Check = ({facts}, engine) => {
  if (!engine.cluster) return null
  const format = (facts.global.binlog_format ?? '').toUpperCase()
  const binlog = format === 'ROW'
    ? finding('binlog-format', 'ok', 'binlog_format is ROW')
    : finding('binlog-format', 'fail', `binlog_format is ${format || 'unset'}: ${engine.cluster === 'galera' ? 'Galera' : 'Group Replication'} replicates rows only`, 'set binlog_format=ROW')
  const mode = facts.global.innodb_autoinc_lock_mode
  const autoinc = engine.cluster !== 'galera' || mode === '2'
    ? finding('autoinc-lock-mode', 'ok', `innodb_autoinc_lock_mode is ${mode ?? '?'}`)
    : finding('autoinc-lock-mode', 'fail', `innodb_autoinc_lock_mode is ${mode}: Galera needs interleaved (2), or inserts of several nodes deadlock`, 'set innodb_autoinc_lock_mode=2 (my.cnf; needs a restart)')
  return [binlog, autoinc]
}

export const checkWriteSet: Check = ({facts, imports}, engine) => {
  if (engine.cluster === 'galera') {
    const rows = Number(facts.global.wsrep_max_ws_rows ?? 0)
    const bytes = Number(facts.global.wsrep_max_ws_size ?? 0)
    const limits = `wsrep_max_ws_rows=${rows || 'unlimited'}, wsrep_max_ws_size=${bytes ? mib(bytes) : 'unlimited'}`
    if ((rows > 0 && rows < 100) || (bytes > 0 && bytes < MIB)) {
      return finding('write-set', 'warn', `${limits}: imports cut batches to fit, so tiny limits make them slow`, 'raise wsrep_max_ws_rows / wsrep_max_ws_size')
    }
    return finding('write-set', 'ok', `${limits}; imports size their batches to fit (default ${imports.batchRows} rows, ${mib(imports.batchBytes)})`)
  }
  if (engine.cluster === 'group-replication') {
    const limit = Number(facts.global.group_replication_transaction_size_limit ?? 0)
    if (limit > 0 && limit < imports.batchBytes * 4) {
      return finding('write-set', 'fail', `group_replication_transaction_size_limit is ${mib(limit)}: an import batch with its indexes may exceed it and be rolled back`, `raise group_replication_transaction_size_limit above ${mib(imports.batchBytes * 4)}, or import with a smaller --batch-size`)
    }
    return finding('write-set', 'ok', `group_replication_transaction_size_limit is ${limit ? mib(limit) : 'unlimited'}`)
  }
  if (engine.name === 'TiDB') return finding('write-set', 'warn', 'TiDB caps a transaction at 100 MB by default (txn-total-size-limit): `import all --atomic` of a large folder may exceed it', 'raise txn-total-size-limit in tidb.toml, or import without --atomic')
  return null
}

export const checkNamedLocks: Check = (_input, engine) => {
  if (engine.name === 'SQLite') return null
  if (engine.cluster) {
    return finding('named-locks', 'ok', `${engine.cluster === 'galera' ? 'Galera' : 'Group Replication'} does not replicate GET_LOCK: stayctl's rules are guarded by writes and the schema lease by a row, so none relies on it`)
  }
  if (engine.name === 'Vitess') return finding('named-locks', 'warn', 'Vitess sends GET_LOCK to one shard; the schema lease is a row and rules are guarded by writes, so stayctl works, but migrate from one place at a time', 'run `db migrate` from one runner')
  if (engine.proxy) return finding('named-locks', 'warn', 'ProxySQL pins a connection to its backend while it holds a named lock (the schema lease beacon): run migrations against the server itself', 'point `db migrate` at the backend, not the proxy')
  return finding('named-locks', 'ok', 'named locks (GET_LOCK) work on this single server')
}

export const checkAutoIncrement: Check = (_input, engine) => {
  if (engine.name === 'TiDB') return finding('auto-increment', 'warn', 'TiDB hands out AUTO_INCREMENT ids in batches per server: ids are unique but not in insertion order, so lists sorted by id are not by creation time', 'sort by createdAt where order matters (e.g. --sort createdAt), or set AUTO_ID_CACHE 1 on the tables')
  if (engine.name === 'Vitess') return finding('auto-increment', 'fail', 'Vitess AUTO_INCREMENT is per shard, not unique across shards', 'use an unsharded keyspace for stayctl, or Vitess sequences for its tables')
  return null
}

export const checkLease: Check = ({facts}) => {
  if (facts.dialect === 'sqlite') return finding('migration-lease', 'ok', 'SQLite: migrations take the database file\'s own lock')
  const lease = facts.lease
  if (!lease) return finding('migration-lease', 'ok', 'no migration has taken the schema lease here yet (`db migrate` creates it)')
  if (lease.interrupted && lease.step) return finding('migration-lease', 'warn', `migration ${lease.step.name} was interrupted and is partly applied`, 'run `stayctl db migrate` (or `db rollback` for an interrupted revert) to finish it')
  if (lease.holder) return finding('migration-lease', 'ok', `the schema lease is held now by ${lease.holder}`)
  return finding('migration-lease', 'ok', 'the schema lease is free')
}

export const checkReplicas: Check = ({replicas}) =>
  replicas.map((replica) =>
    replica.state === 'in use'
      ? finding('replica', 'ok', `read replica ${replica.url} is in use (within the lag limit)`)
      : finding('replica', 'warn', `read replica ${replica.url} is skipped (${replica.state}: ${replica.reason}); reads go to the primary`, replica.state === 'lagging' ? 'check its replication (SHOW REPLICA STATUS), or raise --max-replica-lag' : 'check that it runs and that the URL and account are right'),
  )

export const checkSqlite: Check = ({facts}) => {
  if (!facts.sqlite) return null
  const {journalMode, foreignKeys} = facts.sqlite
  return [
    journalMode.toLowerCase() === 'wal' || journalMode.toLowerCase() === 'memory'
      ? finding('sqlite-journal', 'ok', `journal_mode is ${journalMode}`)
      : finding('sqlite-journal', 'warn', `journal_mode is ${journalMode}: readers block the writer`, 'stayctl sets WAL on its connections; a file on a network share or a read-only folder cannot use it: move the file'),
    foreignKeys
      ? finding('sqlite-foreign-keys', 'ok', 'foreign keys are enforced')
      : finding('sqlite-foreign-keys', 'fail', 'foreign keys are not enforced on this connection', 'PRAGMA foreign_keys=ON (stayctl sets it on each connection: check the sqlite3 build)'),
  ]
}

export const checkCalendarGaps: Check = ({calendars}) => {
  if (!calendars) return null
  const {withoutGaps, repaired} = calendars
  const fixed = repaired > 0 ? `; --repair gave ${repaired} ${repaired === 1 ? 'property its' : 'properties their'} gap rows` : ''
  if (withoutGaps.length === 0) return finding('calendar-gaps', 'ok', `every property has its free-gap rows (read by availability searches)${fixed}`)
  const n = withoutGaps.length
  const ids = withoutGaps.slice(0, 10).join(', ') + (n > 10 ? `, … (${n - 10} more)` : '')
  return finding(
    'calendar-gaps',
    'fail',
    `${n} ${n === 1 ? 'property has' : 'properties have'} no free-gap rows (id ${ids}): made outside stayctl, availability searches miss ${n === 1 ? 'it' : 'them'} until one of ${n === 1 ? 'its' : 'their'} stays is written`,
    'run `stayctl db doctor --repair` (it computes their calendars\' gaps from their bookings and blocks)',
  )
}

export const CHECKS: Check[] = [
  checkLocalInfile,
  checkMaxAllowedPacket,
  checkSqlMode,
  checkTimeZone,
  checkIsolation,
  checkCheckConstraints,
  checkClusterBinlog,
  checkWriteSet,
  checkNamedLocks,
  checkAutoIncrement,
  checkLease,
  checkReplicas,
  checkSqlite,
  checkCalendarGaps,
]

/** Every check over the facts: the report, pure. */
export function diagnose(input: DoctorInput): DoctorReport {
  const engine = identifyEngine(input.facts)
  const cluster = engine.cluster ? `, ${engine.cluster === 'galera' ? 'Galera' : 'Group Replication'} cluster` : ''
  const findings = [finding('engine', 'ok', `${engine.name} ${engine.version}${cluster}${engine.proxy ? ', through ProxySQL' : ''}`)]
  for (const check of CHECKS) findings.push(...[check(input, engine) ?? []].flat())
  const count = (status: DoctorStatus) => findings.filter((f) => f.status === status).length
  return {engine, findings, ok: count('ok'), warn: count('warn'), fail: count('fail')}
}

export interface DoctorOptions {
  /** Repair what can be repaired first (today: properties without free-gap rows), then report. */
  repair?: boolean
}

/** The doctor's report on the database in use (its primary), after a repair when asked. Admins only. */
export async function doctor(ctx: ServiceContext, options: DoctorOptions = {}): Promise<DoctorReport> {
  requireAdmin(ctx, options.repair ? 'repair the database' : 'examine the database set-up')
  const repaired = options.repair ? await repairGaps(ctx) : 0
  const facts = await engineFacts(ctx.db)
  const replicas = ctx.db.replicas ? await ctx.db.replicas.status() : []
  const calendars = {withoutGaps: await calendarsWithoutGaps(ctx), repaired}
  return diagnose({facts, replicas, imports: {batchRows: DEFAULT_BATCH, batchBytes: BATCH_BYTES}, calendars})
}

/** Gives every property without gap rows its rows, REPAIR_CHUNK a transaction, each with its audit event; returns how many. */
async function repairGaps(ctx: ServiceContext): Promise<number> {
  const ids = await calendarsWithoutGaps(ctx)
  for (let i = 0; i < ids.length; i += REPAIR_CHUNK) {
    const part = ids.slice(i, i + REPAIR_CHUNK)
    await inTransaction(ctx, async (transaction) => {
      await repairCalendars(ctx, transaction, part)
      await audit(ctx, transaction, {action: 'calendar.repair', entity: 'property', entityId: part.length === 1 ? part[0] : null, changes: {properties: part}})
    })
  }
  return ids.length
}
