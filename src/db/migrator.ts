/**
 * The two umzug runners (migrations and seeders), their files, their checksums and the
 * dry run. Nothing here prints: progress goes to the `onEvent` callback of the caller.
 */
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import type {QueryInterface, Sequelize} from 'sequelize'
import {MigrationError, Umzug} from 'umzug'

import {MigrationFailedError} from '../errors.js'
import {createSequelize} from './connection.js'
import type {Db} from './index.js'
import type {MigrationContext} from './migration-kit.js'
import {MetaStorage, type MetaContext} from './meta-storage.js'

export type RunnerKind = 'migrations' | 'seeders'

export interface MigrationFile {
  name: string
  /** The file that is executed (compiled .js, or .ts when running from sources). */
  runPath: string
  /** sha256 of the TypeScript source (line endings normalised), else of the run file. */
  checksum: string
}

const here = path.dirname(fileURLToPath(import.meta.url))
const compiled = import.meta.url.endsWith('.js')
/** The package root: two levels above src/db, three above dist/src/db. */
export const packageRoot = path.resolve(here, compiled ? '../../..' : '../..')

export function runDir(kind: RunnerKind): string {
  return path.resolve(here, '../..', kind)
}

export function sourceDir(kind: RunnerKind): string {
  return path.join(packageRoot, kind)
}

function checksumOf(file: string): string {
  const text = fs.readFileSync(file, 'utf8').replace(/\r\n/g, '\n')
  return createHash('sha256').update(text).digest('hex')
}

const RUNNABLE = /^(\d{4}\.\d{2}\.\d{2}T\d{2}\.\d{2}\.\d{2}\.[\w-]+)\.(js|ts)$/

/** The migration (or seeder) files, sorted by their timestamped names. */
export function discoverFiles(kind: RunnerKind): MigrationFile[] {
  const dir = runDir(kind)
  if (!fs.existsSync(dir)) return []
  const files: MigrationFile[] = []
  for (const entry of fs.readdirSync(dir).sort()) {
    const match = RUNNABLE.exec(entry)
    if (!match || entry.endsWith('.d.ts')) continue
    const name = match[1]
    const runPath = path.join(dir, entry)
    const source = path.join(sourceDir(kind), `${name}.ts`)
    files.push({name, runPath, checksum: checksumOf(fs.existsSync(source) ? source : runPath)})
  }
  return files
}

export interface RunnerContext extends MigrationContext, MetaContext {
  sequelize: Sequelize
  /** Seeders only: the options of this `db seed` run. */
  seed?: unknown
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

export function createRunner(
  sequelize: Sequelize,
  kind: RunnerKind,
  options: {readOnly?: boolean; seed?: unknown} = {},
): Runner {
  const files = discoverFiles(kind)
  const storage = new MetaStorage(sequelize, kind === 'migrations' ? 'SequelizeMeta' : 'SequelizeData', options.readOnly)
  const context: RunnerContext = {
    sequelize,
    queryInterface: sequelize.getQueryInterface() as QueryInterface,
    dialect: sequelize.getDialect() as 'mysql' | 'sqlite',
    checksums: new Map(files.map((f) => [f.name, f.checksum])),
    details: new Map(),
    seed: options.seed,
  }
  const load = async (file: MigrationFile) => (await import(pathToFileURL(file.runPath).href)) as MigrationModule
  const umzug = new Umzug<RunnerContext>({
    context,
    storage,
    logger: undefined,
    migrations: files.map((file) => ({
      name: file.name,
      path: file.runPath,
      up: async ({context: ctx}) => (await load(file)).up({name: file.name, context: ctx}),
      down: async ({context: ctx}) => {
        const module = await load(file)
        if (!module.down) throw new Error(`${file.name} has no down()`)
        await module.down({name: file.name, context: ctx})
      },
    })),
  })
  return {umzug, storage, files, context}
}

/**
 * umzug reports a failure as "Migration X (up) failed: Original error: …"; this says it in one
 * line, with the database's own message and the state the schema may have been left in.
 * Other errors pass through untouched.
 */
export function runnerFailure(error: unknown, kind: RunnerKind, dialect: 'mysql' | 'sqlite'): unknown {
  if (!(error instanceof MigrationError)) return error
  const {name, direction} = error.migration
  const cause = error.cause as (Error & {original?: Error}) | undefined
  const reason = ((cause?.original ?? cause)?.message ?? String(error.cause)).split('\n')[0]
  const what = kind === 'migrations' ? 'migration' : 'seeder'
  const command = {
    migrations: {up: 'db migrate', down: 'db rollback'},
    seeders: {up: 'db seed', down: 'db seed --undo'},
  }[kind][direction]
  const state =
    kind === 'migrations' && dialect === 'mysql'
      ? 'MySQL cannot roll back DDL, so it may be partly applied'
      : 'it may be partly applied'
  return new MigrationFailedError(`${direction === 'up' ? what : `reverting ${what}`} ${name} failed: ${reason}`, {
    suggestion: `${state}: compare the database with the ${what}, repair it by hand, then run \`stayctl ${command}\` again`,
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
    sequelize = createSequelize({dialect: 'sqlite', storage: copy, display: `sqlite:${copy}`})
    cleanup = async () => {
      await sequelize.close()
      fs.rmSync(tmp, {recursive: true, force: true})
    }
  } else {
    sequelize = createSequelize(db.target)
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
