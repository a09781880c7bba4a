/**
 * The queryInterface a migration or seeder step gets from the runner, made of the real one:
 *
 * - Bound to the step's transaction (SQLite migrations, every seeder): every statement runs in
 *   it, also the several statements of SQLite's table rebuilds (addConstraint, changeColumn…),
 *   which Sequelize would otherwise send on its 'default' connection, outside the transaction.
 *   A step's own `sequelize.transaction(fn)` runs `fn` in that same transaction, so that the
 *   runner can add the SequelizeMeta/SequelizeData row and the lease fence before it commits.
 * - Resumable (MySQL, where DDL cannot be rolled back): the operations that would fail when a
 *   killed runner already did them — addIndex, addConstraint, addColumn, removeIndex,
 *   removeConstraint, removeColumn, renameColumn, renameTable, createTable — first look in
 *   information_schema for what exists (by name), and count the database's own "already exists"
 *   / "does not exist" errors as done: a dead client's ALTER may still be finishing on the
 *   server when the next runner starts. createTable and dropTable already say IF (NOT) EXISTS.
 *   A rerun replays the migration from its first operation, so each operation must lead toward
 *   the end state: renaming (or retyping) what the same migration added is not resumable; put
 *   such a change in a migration of its own. Data statements (UPDATE backfills) must be safe to
 *   run twice, e.g. `UPDATE … SET x = … WHERE x IS NULL`.
 * - Checked: before each operation the runner's lease must not be known lost.
 * - Pausable (tests only): `migration:step` before each operation, see src/test-pause.ts.
 * - On SQLite, a sized TEXT (`TEXT('medium')`, for MySQL's column types) is plain TEXT, SQLite's
 *   only kind: what Sequelize would create anyway, without its warning on every fresh database.
 */
import {DataTypes, QueryTypes, type DataType, type ModelAttributeColumnOptions, type QueryInterface, type Sequelize, type Transaction} from 'sequelize'

import {testPause} from '../test-pause.js'
import {errnoOf} from './lease.js'

// What MySQL and MariaDB answer when the thing is already there, or already gone.
const ER_TABLE_EXISTS = 1050
const ER_DUP_FIELDNAME = 1060
const ER_DUP_KEYNAME = 1061
const ER_CANT_DROP_FIELD_OR_KEY = 1091
const ER_BAD_TABLE = 1051
/** MariaDB: duplicate CHECK constraint name; MySQL: duplicate foreign key name. */
const ER_DUP_CONSTRAINT_NAME = 1826
/** MySQL 8: duplicate CHECK constraint name. */
const ER_CHECK_CONSTRAINT_DUP_NAME = 3822
/** MySQL 8: dropping a constraint that is not there. */
const ER_CONSTRAINT_NOT_FOUND = 3940
/** "Can't create table (errno: 121 Duplicate key…)": a foreign key name in use, on MariaDB. */
const ER_CANT_CREATE_TABLE = 1005

type TableName = string | {tableName: string}
const nameOf = (table: TableName) => (typeof table === 'string' ? table : table.tableName)

export interface StepInterfaceOptions {
  /** Run every statement in this transaction. */
  transaction?: Transaction
  /** Make the schema operations idempotent (MySQL). */
  resumable?: boolean
  /** Pause at `migration:step` before each schema operation (tests). */
  pausable?: boolean
  /** Called before each schema operation: throws when the runner lost its lease. */
  check?: () => Promise<void>
}

/** A view of `sequelize` whose statements all run in `transaction`. */
function boundSequelize(sequelize: Sequelize, transaction: Transaction, queryInterface: () => QueryInterface): Sequelize {
  return new Proxy(sequelize, {
    get(target, property, receiver) {
      if (property === 'query') {
        return (sql: unknown, options?: {transaction?: Transaction | null}) =>
          target.query(sql as string, {...options, transaction: options?.transaction ?? transaction})
      }
      if (property === 'transaction') {
        // sequelize.transaction(fn) or (options, fn): fn joins the step's transaction.
        return (first: unknown, second?: unknown) => {
          const fn = (typeof first === 'function' ? first : second) as ((t: Transaction) => Promise<unknown>) | undefined
          if (!fn) throw new Error('a step runs in the runner\'s transaction: call sequelize.transaction with a callback')
          return fn(transaction)
        }
      }
      if (property === 'getQueryInterface') return queryInterface
      return Reflect.get(target, property, receiver) as unknown
    },
  })
}

type Method = (...args: never[]) => Promise<unknown>
/** What an operation does instead of `original`, given the arguments it was called with. */
type Operation = (original: Method, args: unknown[]) => Promise<unknown>
const call = (original: Method, args: unknown[]) => original(...(args as never[]))

/** Runs `run`; an error that says it was done already counts as done. */
async function unlessDone(codes: number[], run: () => Promise<unknown>): Promise<unknown> {
  try {
    return await run()
  } catch (error) {
    const errno = errnoOf(error)
    if (errno !== undefined && codes.includes(errno)) return undefined
    if (errno === ER_CANT_CREATE_TABLE && codes.includes(ER_DUP_CONSTRAINT_NAME) && /errno: 121/.test(String((error as Error).message))) {
      return undefined
    }
    throw error
  }
}

/** Questions to information_schema about what the schema has, by name. */
function schemaProbes(sequelize: Sequelize) {
  const exists = async (sql: string, replacements: unknown[]) => {
    const rows = await sequelize.query(`${sql} LIMIT 1`, {type: QueryTypes.SELECT, replacements})
    return rows.length > 0
  }
  return {
    tableExists: (table: TableName) =>
      exists('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [nameOf(table)]),
    columnExists: (table: TableName, column: string) =>
      exists('SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?', [
        nameOf(table),
        column,
      ]),
    indexExists: (table: TableName, index: string) =>
      exists('SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ?', [
        nameOf(table),
        index,
      ]),
    constraintExists: (table: TableName, constraint: string) =>
      exists(
        'SELECT 1 FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CONSTRAINT_NAME = ?',
        [nameOf(table), constraint],
      ),
  }
}

/** The schema operations made resumable (MySQL): see the top of this file. */
function resumableOperations(sequelize: Sequelize): Partial<Record<keyof QueryInterface, Operation>> {
  const {tableExists, columnExists, indexExists, constraintExists} = schemaProbes(sequelize)
  return {
    createTable: (original, args) => unlessDone([ER_TABLE_EXISTS], () => call(original, args)),
    dropTable: (original, args) => unlessDone([ER_BAD_TABLE], () => call(original, args)),
    async addColumn(original, args) {
      const [table, column] = args as [TableName, string]
      if (await columnExists(table, column)) return undefined
      return unlessDone([ER_DUP_FIELDNAME], () => call(original, args))
    },
    async removeColumn(original, args) {
      const [table, column] = args as [TableName, string]
      if (!(await columnExists(table, column))) return undefined
      return unlessDone([ER_CANT_DROP_FIELD_OR_KEY], () => call(original, args))
    },
    async renameColumn(original, args) {
      const [table, before, after] = args as [TableName, string, string]
      if (!(await columnExists(table, before)) && (await columnExists(table, after))) return undefined
      return call(original, args)
    },
    async renameTable(original, args) {
      const [before, after] = args as [TableName, TableName]
      if (!(await tableExists(before)) && (await tableExists(after))) return undefined
      return unlessDone([ER_TABLE_EXISTS], () => call(original, args))
    },
    async addIndex(original, args) {
      const [table, attributes, options] = args as [TableName, unknown, {name?: string} | undefined]
      const name = Array.isArray(attributes) ? options?.name : (attributes as {name?: string} | undefined)?.name
      if (name && (await indexExists(table, name))) return undefined
      return unlessDone([ER_DUP_KEYNAME], () => call(original, args))
    },
    async removeIndex(original, args) {
      const [table, index] = args as [TableName, unknown]
      if (typeof index === 'string' && !(await indexExists(table, index))) return undefined
      return unlessDone([ER_CANT_DROP_FIELD_OR_KEY], () => call(original, args))
    },
    async addConstraint(original, args) {
      const [table, constraint] = args as [TableName, {name?: string; type?: string}]
      if (constraint?.name && (await constraintExists(table, constraint.name))) return undefined
      return unlessDone([ER_DUP_KEYNAME, ER_DUP_CONSTRAINT_NAME, ER_CHECK_CONSTRAINT_DUP_NAME], () => call(original, args))
    },
    async removeConstraint(original, args) {
      const [table, constraint] = args as [TableName, string]
      if (!(await constraintExists(table, constraint))) return undefined
      return unlessDone([ER_CANT_DROP_FIELD_OR_KEY, ER_CONSTRAINT_NOT_FOUND], () => call(original, args))
    },
  }
}

type Attribute = DataType | ModelAttributeColumnOptions

/** `attribute` with a sized TEXT type made plain TEXT (SQLite has one TEXT); others as they are. */
function plainText(attribute: Attribute): Attribute {
  const sized = (type: unknown) => (type as {key?: string; options?: {length?: string}} | undefined)?.options?.length && (type as {key?: string}).key === 'TEXT'
  if (sized(attribute)) return DataTypes.TEXT
  const column = attribute as ModelAttributeColumnOptions
  return typeof attribute === 'object' && 'type' in column && sized(column.type) ? {...column, type: DataTypes.TEXT} : attribute
}

/** The column definitions of SQLite's createTable, addColumn and changeColumn with plainText types. */
const SQLITE_COLUMNS: Partial<Record<keyof QueryInterface, Operation>> = {
  createTable: (original, [table, attributes, ...rest]) =>
    call(original, [table, Object.fromEntries(Object.entries(attributes as Record<string, Attribute>).map(([k, a]) => [k, plainText(a)])), ...rest]),
  addColumn: (original, [table, key, attribute, ...rest]) => call(original, [table, key, plainText(attribute as Attribute), ...rest]),
  changeColumn: (original, [table, key, attribute, ...rest]) => call(original, [table, key, plainText(attribute as Attribute), ...rest]),
}

/** The operations that pause and check before they run, resumable or not. */
const STEP_OPERATIONS = [
  'createTable',
  'dropTable',
  'addColumn',
  'removeColumn',
  'changeColumn',
  'renameColumn',
  'renameTable',
  'addIndex',
  'removeIndex',
  'addConstraint',
  'removeConstraint',
  'bulkInsert',
  'bulkUpdate',
  'bulkDelete',
] as const

/** The queryInterface (and its sequelize) for one step; see the top of this file. */
export function stepInterface(
  queryInterface: QueryInterface,
  options: StepInterfaceOptions,
): {queryInterface: QueryInterface; sequelize: Sequelize} {
  const base = queryInterface
  const step = Object.create(base) as QueryInterface
  const sequelize = options.transaction ? boundSequelize(base.sequelize, options.transaction, () => step) : base.sequelize
  Object.defineProperty(step, 'sequelize', {value: sequelize})

  const override = (name: keyof QueryInterface, body: Operation) => {
    const original = (base[name] as unknown as Method).bind(step)
    Object.defineProperty(step, name, {
      value: async (...args: unknown[]) => {
        if (options.pausable) await testPause('migration:step')
        await options.check?.()
        return body(original, args)
      },
    })
  }

  if (base.sequelize.getDialect() === 'sqlite') {
    for (const [name, body] of Object.entries(SQLITE_COLUMNS)) override(name as keyof QueryInterface, body)
  }
  if (options.resumable) {
    for (const [name, body] of Object.entries(resumableOperations(sequelize))) override(name as keyof QueryInterface, body)
  }
  if (options.pausable || options.check) {
    // The operations not made resumable above still get their pause and check.
    for (const name of STEP_OPERATIONS) if (!Object.hasOwn(step, name)) override(name, call)
  }
  return {queryInterface: step, sequelize}
}
