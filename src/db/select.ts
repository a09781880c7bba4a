/**
 * Plain SELECTs straight on the driver, on a connection from Sequelize's own pool, for reads
 * of many rows per request (the batched reads of src/services/relations.ts). Sequelize's
 * result handling costs more than the statement there: it copies every row of a raw query and
 * calls its type-cast hook (a closure and a parser lookup) for every value.
 *
 * Rows come back as the driver gives them, named by the select list: MySQL with DATE and
 * DATETIME as text (dateStrings), DECIMAL as text, integers as numbers; SQLite as stored.
 * Never inside a transaction. Each statement is logged like Sequelize's (`Executing
 * (default): …`), so SQL logs and statement counts see it. Errors are Sequelize's
 * DatabaseError, as from sequelize.query().
 */
import {DataTypes, DatabaseError, Utils, literal, type FindOptions, type Model, type ModelStatic} from 'sequelize'

import type {Db} from './index.js'

type Row = Record<string, unknown>

/** What reading needs of a Db. */
type Reader = Pick<Db, 'sequelize' | 'dialect'>

interface MysqlConnection {
  query(options: {sql: string; typeCast: (field: unknown, next: () => unknown) => unknown; dateStrings: boolean}, callback: (error: Error | null, rows: Row[]) => void): unknown
}

interface SqliteConnection {
  all(sql: string, callback: (error: Error | null, rows: Row[]) => void): unknown
}

interface ConnectionManager {
  getConnection(options: {type: string}): Promise<unknown>
  releaseConnection(connection: unknown): void
}

/** Overrides Sequelize's per-value hook on its connections: the driver's own conversion. */
const driverCast = (_field: unknown, next: () => unknown) => next()

export async function selectRows(db: Reader, sql: string): Promise<Row[]> {
  const {sequelize} = db
  const internals = sequelize as unknown as {options: {logging?: unknown}; connectionManager: ConnectionManager}
  if (typeof internals.options.logging === 'function') (internals.options.logging as (sql: string) => void)(`Executing (default): ${sql}`)
  const manager = internals.connectionManager
  const connection = await manager.getConnection({type: 'SELECT'})
  try {
    return await new Promise<Row[]>((resolve, reject) => {
      const done = (error: Error | null, rows: Row[]) => (error ? reject(new DatabaseError(Object.assign(error, {sql}) as never)) : resolve(rows))
      if (db.dialect === 'mysql') (connection as MysqlConnection).query({sql, typeCast: driverCast, dateStrings: true}, done)
      else (connection as SqliteConnection).all(sql, done)
    })
  } finally {
    manager.releaseConnection(connection)
  }
}

export interface Columns {
  /** The select list, quoted: each column as its attribute. */
  select: string
  /** The attribute of each column. */
  attributes: Map<string, string>
  /** Attributes holding date-times. */
  dates: string[]
}

export interface ColumnOptions {
  /** The table's alias in the statement (default t). */
  alias?: string
  exclude?: string[]
  /** Only these attributes (default: all). */
  only?: ReadonlySet<string>
}

/** By model (each Db has its own model classes, so the dialect is fixed per entry). */
const columnLists = new WeakMap<object, Map<string, Columns>>()

/**
 * The select list of `model`'s columns, each as its attribute, date-times as ISO-8601 text
 * (MySQL formats them in the list; readRows reshapes SQLite's stored text): computed once per
 * model, alias and set of attributes.
 */
export function columnsOf(db: Reader, model: ModelStatic<Model>, {alias = 't', exclude = [], only}: ColumnOptions = {}): Columns {
  const byModel = columnLists.get(model) ?? new Map<string, Columns>()
  columnLists.set(model, byModel)
  const key = `${alias}|${exclude.join(',')}|${only ? [...only].sort().join(',') : '*'}`
  let columns = byModel.get(key)
  if (!columns) {
    const q = (name: string) => db.sequelize.getQueryInterface().quoteIdentifier(name)
    const pairs = Object.entries(model.getAttributes())
      .filter(([attribute]) => !exclude.includes(attribute) && (!only || only.has(attribute)))
      .map(([attribute, spec]) => [attribute, spec.field ?? attribute, spec.type instanceof DataTypes.DATE] as [string, string, boolean])
    const table = q(alias)
    // MySQL: '2027-06-15T10:30:00.123Z', as Date.prototype.toISOString() writes it.
    const select = pairs.map(([attribute, column, isDate]) =>
      isDate && db.dialect === 'mysql'
        ? `CONCAT(LEFT(DATE_FORMAT(${table}.${q(column)}, '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z') AS ${q(attribute)}`
        : `${table}.${q(column)} AS ${q(attribute)}`,
    )
    columns = {
      select: select.join(', '),
      attributes: new Map(pairs.map(([attribute, column]) => [column, attribute])),
      dates: db.dialect === 'sqlite' ? pairs.filter(([, , isDate]) => isDate).map(([attribute]) => attribute) : [],
    }
    byModel.set(key, columns)
  }
  return columns
}

/** How Sequelize stores a DATE in SQLite ('2027-06-15 10:30:00.123 +00:00') as ISO-8601, cheaply. */
function isoDate(value: unknown): unknown {
  return typeof value === 'string' && value.length === 30 && value.endsWith(' +00:00') ? `${value.slice(0, 10)}T${value.slice(11, 23)}Z` : value
}

/** Runs `sql` (selecting `columns.select`): rows named by attribute, date-times as ISO text. */
export async function readRows<M>(db: Reader, columns: Columns, sql: string): Promise<M[]> {
  const rows = await selectRows(db, sql)
  if (columns.dates.length > 0) {
    for (const row of rows) for (const attribute of columns.dates) row[attribute] = isoDate(row[attribute])
  }
  return rows as M[]
}

/**
 * Whether findRows can read `model` with `options`: all attributes, no includes, no grouping
 * or lock, outside a transaction, and no JSON column (whose values Sequelize parses).
 */
export function readsDirectly(model: ModelStatic<Model>, options: FindOptions): boolean {
  if (options.include || options.attributes || options.group || options.lock || options.transaction) return false
  return Object.values(model.getAttributes()).every((spec) => !(spec.type instanceof DataTypes.JSON))
}

/**
 * The rows `model.findAll({...options, raw: true})` finds, in the statement Sequelize writes
 * for it, read with readRows: named by attribute, date-times as ISO text (where Sequelize
 * would give MySQL's as Dates; the views take both). For SQLite this also spares what
 * Sequelize does around each SELECT (a PRAGMA table_info statement, a stack trace).
 * Only where readsDirectly says so. `only`: the attributes to select (default all).
 */
export async function findRows<M>(model: ModelStatic<Model>, options: FindOptions, only?: ReadonlySet<string>): Promise<M[]> {
  const sequelize = model.sequelize!
  const db: Reader = {sequelize, dialect: sequelize.getDialect() === 'sqlite' ? 'sqlite' : 'mysql'}
  const columns = columnsOf(db, model, {alias: model.name, only})
  const mapped = Utils.mapFinderOptions({...options, where: Utils.cloneDeep(options.where), attributes: [literal(columns.select)]} as never, model) as FindOptions
  const sql = (sequelize.getQueryInterface() as unknown as {queryGenerator: {selectQuery(table: unknown, options: object, model: unknown): string}}).queryGenerator.selectQuery(
    model.getTableName(),
    {...mapped, model},
    model,
  )
  return readRows<M>(db, columns, sql)
}

