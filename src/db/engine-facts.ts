/**
 * What the database in use is and how it is set, as plain values (for `db doctor`): the engine's
 * version strings, the server's and this session's variables that stayctl depends on, whether a
 * ProxySQL sits in between, the SQLite pragmas. Nothing here judges; src/services/doctor.ts does.
 */
import {QueryTypes} from 'sequelize'

import type {Db} from './index.js'
import {readLeaseState, type LeaseState} from './lease.js'

export interface EngineFacts {
  dialect: 'mysql' | 'sqlite'
  /** VERSION() (MySQL family) or sqlite_version(). */
  version: string
  /** @@version_comment as the connection answers `SELECT @@version_comment LIMIT 1` (ProxySQL answers that itself). */
  versionComment: string
  /** Server (global) variables, by lower-case name; absent when the server has no such variable. */
  global: Record<string, string>
  /** This connection's (session) variables, by lower-case name. */
  session: Record<string, string>
  /** The schema lease (MySQL): null when no migration took it here yet. */
  lease: LeaseState | null
  /** SQLite: PRAGMA journal_mode and foreign_keys (on the connection stayctl uses). */
  sqlite?: {journalMode: string; foreignKeys: boolean}
}

/** The variables read, where the server has them (a missing one is simply absent). */
export const VARIABLES = [
  'local_infile',
  'max_allowed_packet',
  'sql_mode',
  'time_zone',
  'system_time_zone',
  'transaction_isolation',
  'tx_isolation',
  'check_constraint_checks',
  'binlog_format',
  'log_bin',
  'innodb_autoinc_lock_mode',
  'wsrep_on',
  'wsrep_provider',
  'wsrep_cluster_address',
  'wsrep_max_ws_rows',
  'wsrep_max_ws_size',
  'wsrep_load_data_splitting',
  'group_replication_group_name',
  'group_replication_transaction_size_limit',
  'group_replication_single_primary_mode',
  'tidb_enable_check_constraint',
  'tidb_txn_mode',
  'read_only',
  'gtid_mode',
  'gtid_strict_mode',
]

type Row = {Variable_name: string; Value: string}

async function variables(db: Db, scope: 'GLOBAL' | 'SESSION'): Promise<Record<string, string>> {
  const list = VARIABLES.map((name) => db.sequelize.escape(name)).join(', ')
  const rows = await db.sequelize.query<Row>(`SHOW ${scope} VARIABLES WHERE Variable_name IN (${list})`, {type: QueryTypes.SELECT, useMaster: true})
  return Object.fromEntries(rows.map((row) => [row.Variable_name.toLowerCase(), String(row.Value ?? '')]))
}

/** Reads the facts of the database `db` is connected to (its primary, when it has replicas). */
export async function engineFacts(db: Db): Promise<EngineFacts> {
  const one = async <T extends object>(sql: string) => (await db.sequelize.query<T>(sql, {type: QueryTypes.SELECT, useMaster: true}))[0]
  if (db.dialect === 'sqlite') {
    const {v} = await one<{v: string}>('SELECT sqlite_version() AS v')
    const {journal_mode: journalMode} = await one<{journal_mode: string}>('PRAGMA journal_mode')
    const {foreign_keys: foreignKeys} = await one<{foreign_keys: number}>('PRAGMA foreign_keys')
    return {dialect: 'sqlite', version: v, versionComment: '', global: {}, session: {}, lease: null, sqlite: {journalMode, foreignKeys: Number(foreignKeys) === 1}}
  }
  const {v} = await one<{v: string}>('SELECT VERSION() AS v')
  const comment = await one<Record<string, string>>('SELECT @@version_comment LIMIT 1')
  const [global, session] = await Promise.all([variables(db, 'GLOBAL'), variables(db, 'SESSION')])
  const lease = await readLeaseState(db.sequelize)
  return {dialect: 'mysql', version: v, versionComment: String(Object.values(comment ?? {})[0] ?? ''), global, session, lease}
}
