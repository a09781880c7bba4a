/**
 * Schema operations: migrate, rollback, reset, create and drop the database, and scaffold a
 * migration (status is in schema-status.ts, re-exported here). Every change of schema runs under the schema lock (see db/lock.ts and
 * db/lease.ts), and re-reads what is applied once the lock is held, so concurrent runners
 * apply each migration exactly once, also on a multi-primary cluster. A runner killed at any
 * moment leaves work the next one finishes (see runStep in db/migrator.ts); db status names a
 * migration whose runner died half-way.
 */
import fs from 'node:fs'
import path from 'node:path'

import type mysql from 'mysql2/promise'
import {RerunBehavior} from 'umzug'

import type {DatabaseTarget} from '../config/database-url.js'
import {ConflictError, NotFoundError, UsageError, ValidationError} from '../errors.js'
import {mysqlConnection, translateConnectionError} from '../db/connection.js'
import type {Db} from '../db/index.js'
import {LEASE_TABLE, readLeaseState} from '../db/lease.js'
import {metaStorage} from '../db/meta-storage.js'
import {packageRoot} from '../db/migration-files.js'
import {lockOptions, withSchemaLock, type SchemaLease} from '../db/lock.js'
import {createRunner, dryRunMigrations, runnerFailure, timeSteps, type RunnerKind} from '../db/migrator.js'

export {status, type SeederStatusEntry, type StatusEntry, type StatusResult} from './schema-status.js'

export interface SchemaEvents {
  /** A migration starts or finishes; durationMs is set when it finished. */
  onMigration?: (event: {name: string; direction: 'up' | 'down'; durationMs?: number}) => void
  /** Another runner holds the schema lock; we wait for it. */
  onLockWait?: (holder: string) => void
  /** We took the schema lock over from a runner that died or stopped renewing it. */
  onLockTakeover?: (holder: string, how: 'expired' | 'gone') => void
  lockTimeoutSeconds?: number
}


export interface AppliedMigration {
  name: string
  durationMs: number
}

export interface MigrateResult {
  database: string
  applied: AppliedMigration[]
  /** True when there was nothing to do. */
  upToDate: boolean
}

export interface DryRunMigrateResult {
  database: string
  dryRun: true
  pending: {name: string; statements: string[]}[]
}

function assertKnown(names: string[], name: string | undefined, what: string) {
  if (name !== undefined && !names.includes(name)) {
    throw new NotFoundError(`no ${what} named "${name}"`, {
      suggestion: `run \`stayctl db status\` to see the names (known: ${names.slice(-3).join(', ')}${names.length > 3 ? ', …' : ''})`,
    })
  }
}

/** Runs the umzug runner in one direction, timing each step. */
function run(db: Db, kind: RunnerKind, direction: 'up' | 'down', lease: SchemaLease, events: SchemaEvents) {
  const runner = createRunner(db.sequelize, kind, {lease})
  const applied: AppliedMigration[] = timeSteps(runner, direction, (event) => events.onMigration?.(event))
  return {runner, applied}
}

/** Awaits umzug, turning a failed migration into a one-line MigrationFailedError. */
async function failingClearly<T>(db: Db, work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (error) {
    throw runnerFailure(error, 'migrations', db.dialect)
  }
}

/** Applies pending migrations (up to and including `to`), or shows their SQL with dryRun. */
export async function migrate(
  db: Db,
  options: {to?: string; dryRun?: boolean},
  events: SchemaEvents = {},
): Promise<MigrateResult | DryRunMigrateResult> {
  assertKnown(
    createRunner(db.sequelize, 'migrations').files.map((f) => f.name),
    options.to,
    'migration',
  )
  if (options.dryRun) {
    const result = await dryRunMigrations(db, {to: options.to})
    return {database: db.target.display, dryRun: true, pending: result.migrations}
  }
  return withSchemaLock(db.target, (lease) => applyPending(db, lease, options, events), lockOptions(events, 'db migrate'))
}

/** migrate, under the lease: first a migration whose rollback was interrupted, then the pending ones. */
async function applyPending(db: Db, lease: SchemaLease, options: {to?: string}, events: SchemaEvents): Promise<MigrateResult> {
  const {runner, applied} = run(db, 'migrations', 'up', lease, events)
  const executed = (await runner.umzug.executed()).map((m) => m.name)
  const interrupted = (await readLeaseState(db.sequelize))?.step
  if (interrupted?.direction === 'down' && executed.includes(interrupted.name)) {
    // Still recorded as applied, but its down() had started: apply it again, so the schema agrees.
    await failingClearly(db, runner.umzug.up({migrations: [interrupted.name], rerun: RerunBehavior.ALLOW}))
  }
  if (options.to && executed.includes(options.to)) {
    return {database: db.target.display, applied, upToDate: applied.length === 0}
  }
  await failingClearly(db, runner.umzug.up(options.to ? {to: options.to} : {}))
  return {database: db.target.display, applied, upToDate: applied.length === 0}
}

export interface RollbackResult {
  database: string
  reverted: AppliedMigration[]
}

/** Reverts the last `step` migrations, or down to and including `to`, or all of them. */
/**
 * The seeders' record (SequelizeData) says what demo data is in the tables; once a rollback
 * dropped the tables it went into, that record would make `db seed` skip seeding an empty
 * database. It is forgotten with them.
 */
async function forgetSeedersOfDroppedTables(db: Db): Promise<void> {
  const qi = db.sequelize.getQueryInterface()
  const seeders = metaStorage(db.sequelize, 'seeders')
  if ((await qi.tableExists('users')) || !(await seeders.exists())) return
  await qi.bulkDelete(seeders.tableName, {})
}

export async function rollback(
  db: Db,
  options: {step?: number; to?: string; all?: boolean},
  events: SchemaEvents = {},
): Promise<RollbackResult> {
  if (options.step !== undefined && (!Number.isInteger(options.step) || options.step < 1)) {
    throw new ValidationError(`--step must be a positive integer, got ${options.step}`)
  }
  return withSchemaLock(
    db.target,
    async (lease) => {
      const {runner, applied} = run(db, 'migrations', 'down', lease, events)
      // The stored names, not umzug.executed(): that one leaves out names it has no file for.
      const executed = await runner.storage.executed()
      if (options.to !== undefined && !executed.includes(options.to)) {
        assertKnown(runner.files.map((f) => f.name), options.to, 'migration')
        throw new ConflictError(`migration "${options.to}" is not applied, so there is nothing to roll back to`)
      }
      const known = new Set(runner.files.map((f) => f.name))
      const unknown = executed.filter((name) => !known.has(name))
      if (unknown.length > 0 && (options.all || options.to)) {
        throw new ConflictError(
          `cannot roll back: ${unknown.length} applied migration(s) have no file here (${unknown[0]}…)`,
          {suggestion: 'roll back with the tool that applied them, or remove their rows from SequelizeMeta'},
        )
      }
      const interrupted = (await readLeaseState(db.sequelize))?.step
      if (interrupted?.direction === 'up' && known.has(interrupted.name) && !executed.includes(interrupted.name)) {
        // Half-applied by a runner that died: revert what it did first (its down() skips what is not there).
        await failingClearly(db, runner.umzug.down({migrations: [interrupted.name], rerun: RerunBehavior.ALLOW}))
      }
      await failingClearly(
        db,
        runner.umzug.down(options.all ? {to: 0} : options.to ? {to: options.to} : {step: options.step ?? 1}),
      )
      await forgetSeedersOfDroppedTables(db)
      return {database: db.target.display, reverted: applied}
    },
    lockOptions(events, 'db rollback'),
  )
}

/**
 * Drops every table of the database (FK checks off), then migrates from scratch, all under
 * one hold of the schema lock. The lease table stays: it is the lock being held.
 */
export async function reset(db: Db, events: SchemaEvents = {}): Promise<MigrateResult & {dropped: string[]}> {
  return withSchemaLock(
    db.target,
    async (lease) => {
      await lease.confirm()
      const qi = db.sequelize.getQueryInterface()
      const tables = ((await qi.showAllTables()) as unknown[])
        .map((t) => (typeof t === 'string' ? t : (t as {tableName: string}).tableName))
        .filter((table) => table !== LEASE_TABLE)
      if (db.dialect === 'mysql') {
        // One connection for all of it, so that FOREIGN_KEY_CHECKS=0 covers every DROP.
        await db.sequelize.transaction(async (transaction) => {
          await db.sequelize.query('SET FOREIGN_KEY_CHECKS = 0', {transaction})
          for (const table of tables) await db.sequelize.query(`DROP TABLE IF EXISTS ${qi.quoteIdentifier(table)}`, {transaction})
          await db.sequelize.query('SET FOREIGN_KEY_CHECKS = 1', {transaction})
        })
      } else {
        await db.sequelize.query('PRAGMA foreign_keys = OFF')
        try {
          for (const table of tables) await db.sequelize.query(`DROP TABLE IF EXISTS ${qi.quoteIdentifier(table)}`)
        } finally {
          await db.sequelize.query('PRAGMA foreign_keys = ON')
        }
      }
      const result = await applyPending(db, lease, {}, events)
      return {...result, dropped: tables}
    },
    lockOptions(events, 'db reset'),
  )
}

export interface DatabaseLifecycleResult {
  database: string
  created?: boolean
  dropped?: boolean
  /** False when it already existed (create) or did not exist (drop). */
  changed: boolean
}

/** Creates the MySQL database (utf8mb4) or the SQLite file, if missing. */
export async function createDatabase(target: DatabaseTarget): Promise<DatabaseLifecycleResult> {
  if (target.dialect === 'sqlite') {
    if (target.storage === ':memory:') return {database: target.display, created: false, changed: false}
    const existed = fs.existsSync(target.storage)
    try {
      fs.mkdirSync(path.dirname(target.storage), {recursive: true})
      if (!existed) fs.closeSync(fs.openSync(target.storage, 'a'))
    } catch (error) {
      throw translateConnectionError(error, target)
    }
    return {database: target.display, created: !existed, changed: !existed}
  }
  const connection = await mysqlConnection(target, {database: false})
  try {
    const [rows] = await connection.query<mysql.RowDataPacket[]>(
      'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [target.database],
    )
    if (rows.length > 0) return {database: target.display, created: false, changed: false}
    await connection.query(
      `CREATE DATABASE ${connection.escapeId(target.database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    )
    return {database: target.display, created: true, changed: true}
  } finally {
    await connection.end()
  }
}

/** The name a user must type to confirm `db drop`: the database name, or the SQLite file name. */
export function confirmationName(target: DatabaseTarget): string {
  return target.dialect === 'mysql' ? target.database : path.basename(target.storage)
}

/** Drops the MySQL database or deletes the SQLite file (with its -wal and -shm). */
export async function dropDatabase(target: DatabaseTarget, confirm: string): Promise<DatabaseLifecycleResult> {
  const expected = confirmationName(target)
  if (confirm !== expected) {
    throw new UsageError(`confirmation "${confirm}" does not match the database name "${expected}"`, {
      suggestion: `type the name exactly, or pass --confirm ${expected}`,
    })
  }
  if (target.dialect === 'sqlite') {
    if (target.storage === ':memory:') return {database: target.display, dropped: false, changed: false}
    const existed = fs.existsSync(target.storage)
    for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(target.storage + suffix, {force: true})
    return {database: target.display, dropped: existed, changed: existed}
  }
  const connection = await mysqlConnection(target, {database: false})
  try {
    const [rows] = await connection.query<mysql.RowDataPacket[]>(
      'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [target.database],
    )
    if (rows.length === 0) return {database: target.display, dropped: false, changed: false}
    await connection.query(`DROP DATABASE ${connection.escapeId(target.database)}`)
    return {database: target.display, dropped: true, changed: true}
  } finally {
    await connection.end()
  }
}

export interface NewMigrationResult {
  name: string
  path: string
}

/** Timestamp in migration-name form, UTC: 2026.11.21T10.00.00 */
export function migrationTimestamp(date = new Date()): string {
  const iso = date.toISOString()
  return `${iso.slice(0, 4)}.${iso.slice(5, 7)}.${iso.slice(8, 10)}T${iso.slice(11, 13)}.${iso.slice(14, 16)}.${iso.slice(17, 19)}`
}

const SCAFFOLD = `import {DataTypes, tableOptions, type MigrationFn} from '../src/db/migration-kit.js'

// Use context.queryInterface only: never import the models, which will change after this file.
export const up: MigrationFn = async ({context}) => {
  const {queryInterface} = context
  void DataTypes
  void tableOptions
  void queryInterface
}

export const down: MigrationFn = async ({context}) => {
  const {queryInterface} = context
  void queryInterface
}
`

/** Writes migrations/<timestamp>.<slug>.ts with typed up() and down(). */
export function newMigration(
  rawName: string,
  options: {dir?: string; now?: Date; packageRoot?: string} = {},
): NewMigrationResult {
  const slug = rawName
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
  if (!slug) throw new ValidationError(`"${rawName}" makes no usable migration name`, {suggestion: 'use letters and digits, e.g. add-index-to-bookings'})
  const root = options.packageRoot ?? packageRoot()
  // An installed stayctl (…/node_modules/stayctl): a file written there is lost at the next
  // install, and its migrations are the compiled ones in dist/, so it would never run.
  if (options.dir === undefined && root.split(path.sep).includes('node_modules')) {
    throw new UsageError(`stayctl is installed (${root}): it does not write migrations into its own package`, {
      suggestion: 'write it into your checkout of stayctl with --dir, e.g. --dir ./migrations',
    })
  }
  const dir = options.dir ?? path.join(root, 'migrations')
  fs.mkdirSync(dir, {recursive: true})
  const name = `${migrationTimestamp(options.now)}.${slug}`
  const file = path.join(dir, `${name}.ts`)
  if (fs.existsSync(file)) throw new ConflictError(`${file} already exists`)
  fs.writeFileSync(file, SCAFFOLD, {flag: 'wx'})
  return {name, path: file}
}
