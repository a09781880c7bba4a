/**
 * The two umzug runners (migrations and seeders) and the dry run; their files and checksums
 * are in migration-files.ts. Nothing here prints: progress goes to the `onEvent` callback of
 * the caller.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {Transaction, type QueryInterface, type Sequelize} from 'sequelize'
import {MigrationError, Umzug} from 'umzug'

import {MigrationFailedError, isStayctlError} from '../errors.js'
import {testPause} from '../test-pause.js'
import {createSequelize} from './connection.js'
import type {Db} from './index.js'
import type {SchemaLease} from './lease.js'
import type {MigrationContext} from './migration-kit.js'
import {discoverFiles, type MigrationFile, type RunnerKind} from './migration-files.js'
import {metaStorage, type MetaContext, type MetaStorage} from './meta-storage.js'
import {stepInterface} from './step-interface.js'

export {discoverFiles, runDir, sourceDir, type MigrationFile, type RunnerKind} from './migration-files.js'

export interface RunnerContext extends MigrationContext, MetaContext {
  sequelize: Sequelize
  /** Seeders only: the options of this `db seed` run. */
  seed?: unknown
  /** The step's transaction, where there is one (SQLite migrations, every seeder). */
  transaction?: Transaction
}

export interface Runner {
  umzug: Umzug<RunnerContext>
  storage: MetaStorage
  files: MigrationFile[]
  context: RunnerContext
}

interface MigrationModule {
  up: (params: {name: string; context: RunnerContext}) => Promise<void>
  down?: (params: {name: string; context: RunnerContext}) => Promise<void>
}

export interface RunnerOptions {
  /** Dry run: write nothing, not even the meta table. */
  readOnly?: boolean
  seed?: unknown
  /**
   * The schema lease the runner holds. With it, each step is made safe to kill (see
   * runStep); without it (dry run) steps run as the files say, with resumable operations.
   */
  lease?: SchemaLease
}

export function createRunner(sequelize: Sequelize, kind: RunnerKind, options: RunnerOptions = {}): Runner {
  const files = discoverFiles(kind)
  const storage = metaStorage(sequelize, kind, options.readOnly)
  const dialect = sequelize.getDialect() as 'mysql' | 'sqlite'
  const context: RunnerContext = {
    sequelize,
    queryInterface: sequelize.getQueryInterface() as QueryInterface,
    dialect,
    checksums: new Map(files.map((f) => [f.name, f.checksum])),
    details: new Map(),
    seed: options.seed,
  }
  const load = async (file: MigrationFile) => (await import(pathToFileURL(file.runPath).href)) as MigrationModule
  const step = (file: MigrationFile, direction: 'up' | 'down') => async ({context: ctx}: {context: RunnerContext}) => {
    const module = await load(file)
    const fn = direction === 'up' ? module.up : module.down
    if (!fn) throw new Error(`${file.name} has no ${direction}()`)
    await runStep({kind, name: file.name, direction, fn, context: ctx, storage, lease: options.lease})
  }
  const umzug = new Umzug<RunnerContext>({
    context,
    storage,
    logger: undefined,
    migrations: files.map((file) => ({name: file.name, path: file.runPath, up: step(file, 'up'), down: step(file, 'down')})),
  })
  if (options.lease && !options.readOnly) {
    // The meta table is made before any step's transaction: SQLite would make it on another connection.
    umzug.on('beforeCommand', () => storage.ensureTable())
  }
  return {umzug, storage, files, context}
}

/**
 * One migration or seeder, run so that killing the runner at any moment leaves nothing the
 * next run cannot finish:
 * - the runner first confirms it still holds the lease (and, for a migration on a server,
 *   records there which one it starts, for db status);
 * - SQLite migrations and every seeder run in ONE transaction with their SequelizeMeta or
 *   SequelizeData row and the lease fence: all of it commits, or none;
 * - MySQL migrations (DDL commits by itself) run with resumable operations, then record
 *   their row and the fence in one transaction: a rerun skips what the dead one did.
 */
async function runStep(step: {
  kind: RunnerKind
  name: string
  direction: 'up' | 'down'
  fn: NonNullable<MigrationModule['down']>
  context: RunnerContext
  storage: MetaStorage
  lease?: SchemaLease
}): Promise<void> {
  const {kind, name, direction, fn, context, storage, lease} = step
  const mysql = context.dialect === 'mysql'
  const migration = kind === 'migrations'
  if (!lease) {
    const view = stepInterface(context.queryInterface, {resumable: mysql && migration})
    await fn({name, context: {...context, ...view}})
    return
  }
  await lease.confirm(migration && mysql ? {name, direction} : undefined)
  const recordIn = async (transaction: Transaction) => {
    if (direction === 'up') await storage.record(name, context, transaction)
    else await storage.unrecord(name, transaction)
    await lease.fence(transaction, context.sequelize)
  }
  if (migration && mysql) {
    const view = stepInterface(context.queryInterface, {resumable: true, pausable: true, check: () => lease.check()})
    await fn({name, context: {...context, ...view}})
    await testPause('migration:step')
    await context.sequelize.transaction((transaction) => recordIn(transaction))
    return
  }
  // SQLite takes the write lock at BEGIN: the step never waits half-way for another writer.
  await context.sequelize.transaction(mysql ? {} : {type: Transaction.TYPES.IMMEDIATE}, async (transaction) => {
    // A runner that lost the lock while we waited for SQLite's write lock may have done it.
    if ((await storage.has(name, transaction)) === (direction === 'up')) {
      storage.settle(name)
      return
    }
    // SQLite checks a foreign key at each statement: a DROP TABLE of rows that refer to each
    // other (a refund to its charge), or a table rebuilt under rows that refer to it, would
    // fail half-way. Checked at COMMIT instead, once the step is whole (the pragma ends with it).
    if (migration && !mysql) await context.sequelize.query('PRAGMA defer_foreign_keys = ON', {transaction})
    const view = stepInterface(context.queryInterface, {transaction, pausable: migration, check: () => lease.check()})
    await fn({name, context: {...context, ...view, transaction}})
    await testPause(migration ? 'migration:step' : 'seeder:record')
    await recordIn(transaction)
  })
}

/** A step (migration or seeder) the runner applied or reverted, and how long it took. */
export interface TimedStep {
  name: string
  durationMs: number
}

/** A step starting (no duration) or ending. */
export interface StepEvent {
  name: string
  direction: 'up' | 'down'
  durationMs?: number
}

/**
 * Times each step `runner` applies or reverts: `report` hears of it as it starts and as it
 * ends; the list returned fills in, in order, as steps end.
 */
export function timeSteps(runner: Runner, direction: 'up' | 'down', report: (event: StepEvent) => void): TimedStep[] {
  const steps: TimedStep[] = []
  const started = new Map<string, number>()
  runner.umzug.on(direction === 'up' ? 'migrating' : 'reverting', ({name}) => {
    started.set(name, performance.now())
    report({name, direction})
  })
  runner.umzug.on(direction === 'up' ? 'migrated' : 'reverted', ({name}) => {
    const durationMs = Math.round(performance.now() - (started.get(name) ?? performance.now()))
    steps.push({name, durationMs})
    report({name, direction, durationMs})
  })
  return steps
}

/**
 * umzug reports a failure as "Migration X (up) failed: Original error: …"; this says it in one
 * line, with the database's own message and the state the schema may have been left in.
 * Other errors pass through untouched.
 */
export function runnerFailure(error: unknown, kind: RunnerKind, dialect: 'mysql' | 'sqlite'): unknown {
  if (!(error instanceof MigrationError)) return error
  if (isStayctlError(error.cause)) return error.cause
  const {name, direction} = error.migration
  const cause = error.cause as (Error & {original?: Error}) | undefined
  const reason = ((cause?.original ?? cause)?.message ?? String(error.cause)).split('\n')[0]
  const what = kind === 'migrations' ? 'migration' : 'seeder'
  const command = {
    migrations: {up: 'db migrate', down: 'db rollback'},
    seeders: {up: 'db seed', down: 'db seed --undo'},
  }[kind][direction]
  const suggestion =
    kind === 'migrations' && dialect === 'mysql'
      ? `MySQL cannot roll back DDL, so it may be partly applied: fix the cause, then run \`stayctl ${command}\` again; it skips the steps already done`
      : `it ran in one transaction, so none of it was applied: fix the cause, then run \`stayctl ${command}\` again`
  return new MigrationFailedError(`${direction === 'up' ? what : `reverting ${what}`} ${name} failed: ${reason}`, {
    suggestion,
    details: {[what]: name, direction},
    cause: error,
  })
}

const READ_ONLY_SQL = /^\s*(SELECT|SHOW|DESCRIBE|EXPLAIN|WITH|PRAGMA\s+[\w.]+\s*(\(|;|$))/i

export interface DryRunResult {
  /** The migrations that would run, each with the statements it would execute. */
  migrations: {name: string; statements: string[]}[]
}

/**
 * Runs the pending migrations without changing the database, recording the SQL.
 * MySQL: reads run for real, writes are recorded and skipped (DDL cannot be rolled back).
 * SQLite: the migrations run for real on a snapshot (VACUUM INTO a temporary file), so
 * statements that depend on earlier ones (a table rebuild) are the ones that would run.
 */
export async function dryRunMigrations(db: Db, options: {to?: string}): Promise<DryRunResult> {
  const result: DryRunResult = {migrations: []}
  let current: {name: string; statements: string[]} | undefined
  let sequelize: Sequelize
  let cleanup = async () => {}
  if (db.target.dialect === 'sqlite') {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stayctl-dry-run-'))
    const copy = path.join(tmp, 'snapshot.sqlite')
    if (db.target.storage !== ':memory:') {
      await db.sequelize.query('VACUUM INTO ?', {replacements: [copy]})
    }
    sequelize = await createSequelize({dialect: 'sqlite', storage: copy, display: `sqlite:${copy}`})
    cleanup = async () => {
      await sequelize.close()
      fs.rmSync(tmp, {recursive: true, force: true})
    }
  } else {
    sequelize = await createSequelize(db.target)
    cleanup = () => sequelize.close()
  }
  const execute = sequelize.query.bind(sequelize) as (...args: unknown[]) => Promise<unknown>
  const skipWrites = db.target.dialect === 'mysql'
  // Every statement passes here: reads run, writes are recorded (and on MySQL not run).
  ;(sequelize as unknown as {query: unknown}).query = async (sql: unknown, queryOptions?: {type?: string}) => {
    const text = typeof sql === 'string' ? sql : String((sql as {query: string}).query)
    if (READ_ONLY_SQL.test(text)) return execute(sql, queryOptions)
    current?.statements.push(text.trim().replace(/;?$/, ';'))
    if (!skipWrites) return execute(sql, queryOptions)
    return queryOptions?.type === 'SELECT' ? [] : [[], 0]
  }
  try {
    const runner = createRunner(sequelize, 'migrations', {readOnly: true})
    runner.umzug.on('migrating', ({name}) => {
      current = {name, statements: []}
      result.migrations.push(current)
    })
    runner.umzug.on('migrated', () => {
      current = undefined
    })
    const alreadyApplied = options.to && (await runner.umzug.executed()).some((m) => m.name === options.to)
    if (!alreadyApplied) await runner.umzug.up(options.to ? {to: options.to} : {})
  } catch (error) {
    throw runnerFailure(error, 'migrations', db.target.dialect)
  } finally {
    await cleanup()
  }
  return result
}
