/**
 * The read seam: plain rows, on Sequelize's public API only (`sequelize.query` with
 * `QueryTypes.SELECT`, `Model.findAll({raw: true})`, `sequelize.literal`), for reads of many
 * rows per request (pages of the lists, the batched reads of src/services/relations.ts) and
 * for turning a model instance into the same row.
 *
 * Every row that reaches a view has ONE shape, made here (normalise): attributes by name,
 * date-times as ISO-8601 text ('2027-06-15T10:30:00.123Z'), booleans as booleans, calendar
 * dates as 'YYYY-MM-DD', DECIMAL as the driver gives it (money.ts reads both). MySQL formats
 * date-times in the select list (columnsOf); SQLite's stored text is reshaped after reading.
 * Errors are Sequelize's DatabaseError, and each statement is logged by Sequelize itself.
 */
import {DataTypes, QueryTypes, literal, type Attributes, type FindOptions, type Model, type ModelStatic, type Transaction} from 'sequelize'

import type {Db} from './index.js'

type Row = Record<string, unknown>

/** What reading needs of a Db. */
type Reader = Pick<Db, 'sequelize' | 'dialect'>

/** The row of a model as the views take it: its attributes, date-times as ISO-8601 text. */
type Plain<T> = T extends Date ? string : T
export type RowOf<M extends Model> = {[K in keyof Attributes<M>]: Plain<Attributes<M>[K]>}

/** Runs a SELECT: rows as the driver gives them, named by the select list (see readRows for the shape the views take). */
export async function selectRows(
  db: Reader,
  sql: string,
  options: {replacements?: unknown[]; transaction?: Transaction} = {},
): Promise<Row[]> {
  return db.sequelize.query<Row>(sql, {type: QueryTypes.SELECT, raw: true, replacements: options.replacements, transaction: options.transaction})
}

export interface Columns {
  /** The select list, quoted: each column as its attribute. */
  select: string
  /** The attribute of each column. */
  attributes: Map<string, string>
  /** The model the columns are of (normalise reshapes its rows). */
  model: ModelStatic<Model>
}

export interface ColumnOptions {
  /** The table's alias in the statement (default t). */
  alias?: string
  exclude?: string[]
  /** Only these attributes (default: all). */
  only?: ReadonlySet<string>
}

/**
 * SQL for the date-time `column` as ISO-8601 text, as Date.prototype.toISOString() writes it
 * ('2027-06-15T10:30:00.123Z'): what columnsOf selects on MySQL, and what normalise makes of
 * SQLite's stored text ('2027-06-15 10:30:00.123 +00:00'), for statements that shape rows in
 * the database (src/graphql/sql).
 */
export function isoDateTimeSql(dialect: Reader['dialect'], column: string): string {
  return dialect === 'mysql' ? `CONCAT(LEFT(DATE_FORMAT(${column}, '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z')` : `strftime('%Y-%m-%dT%H:%M:%fZ', ${column})`
}

/** By model (each Db has its own model classes, so the dialect is fixed per entry). */
const columnLists = new WeakMap<object, Map<string, Columns>>()

/**
 * The select list of `model`'s columns, each as its attribute, date-times as ISO-8601 text on
 * MySQL (normalise reshapes SQLite's stored text): computed once per model, alias and set of
 * attributes.
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
        ? `${isoDateTimeSql('mysql', `${table}.${q(column)}`)} AS ${q(attribute)}`
        : `${table}.${q(column)} AS ${q(attribute)}`,
    )
    columns = {select: select.join(', '), attributes: new Map(pairs.map(([attribute, column]) => [column, attribute])), model}
    byModel.set(key, columns)
  }
  return columns
}

/** The attributes of a model that normalise reshapes: date-times and booleans. */
interface Shape {
  dates: string[]
  booleans: string[]
}

const shapes = new WeakMap<object, Shape>()

function shapeOf(model: ModelStatic<Model>): Shape {
  let shape = shapes.get(model)
  if (!shape) {
    const attributes = Object.entries(model.getAttributes())
    shape = {
      dates: attributes.filter(([, spec]) => spec.type instanceof DataTypes.DATE).map(([attribute]) => attribute),
      booleans: attributes.filter(([, spec]) => spec.type instanceof DataTypes.BOOLEAN).map(([attribute]) => attribute),
    }
    shapes.set(model, shape)
  }
  return shape
}

/**
 * A date-time as ISO-8601 text, from whatever a read path holds: ISO text already (as
 * columnsOf selects on MySQL), Sequelize's SQLite text ('2027-06-15 10:30:00.123 +00:00'),
 * or a Date (a model instance). Cheap for the first two: no Date is made.
 */
function isoDateTime(value: unknown): unknown {
  if (typeof value === 'string') {
    if (value.length === 24 && value.charCodeAt(10) === 84 /* T */ && value.charCodeAt(23) === 90 /* Z */) return value
    if (value.length === 30 && value.endsWith(' +00:00')) return `${value.slice(0, 10)}T${value.slice(11, 23)}Z`
    return new Date(value).toISOString()
  }
  if (value instanceof Date || typeof value === 'number') return new Date(value).toISOString()
  return value
}

/** Reshapes rows of `model` in place into the one shape the views take (see the top of this file). */
export function normalise<R>(model: ModelStatic<Model>, rows: Row[]): R[] {
  const {dates, booleans} = shapeOf(model)
  for (const row of rows) {
    for (const attribute of dates) if (attribute in row) row[attribute] = isoDateTime(row[attribute])
    for (const attribute of booleans) {
      const value = row[attribute]
      if (value !== null && value !== undefined && typeof value !== 'boolean') row[attribute] = Boolean(Number(value))
    }
  }
  return rows as R[]
}

/** A model instance as the row the views take (the same shape as every read of this module). */
export function rowOf<M extends Model>(instance: M): RowOf<M> {
  const [row] = normalise<RowOf<M>>(instance.constructor as ModelStatic<Model>, [instance.get({plain: true}) as Row])
  return row
}

/** Runs `sql` (selecting `columns.select`): rows in the one shape the views take. */
export async function readRows<M>(db: Reader, columns: Columns, sql: string): Promise<M[]> {
  return normalise<M>(columns.model, await selectRows(db, sql))
}

/**
 * Whether findRows can read `model` with `options`: no includes, attributes or grouping
 * (findRows chooses the attributes), and no JSON column (whose values Sequelize parses).
 */
export function readsDirectly(model: ModelStatic<Model>, options: FindOptions): boolean {
  if (options.include || options.attributes || options.group) return false
  return Object.values(model.getAttributes()).every((spec) => !(spec.type instanceof DataTypes.JSON))
}

/**
 * The rows `model.findAll({...options, raw: true})` finds, in the one shape the views take.
 * `only`: the attributes to select (default all).
 */
export async function findRows<M>(model: ModelStatic<Model>, options: FindOptions, only?: ReadonlySet<string>): Promise<M[]> {
  const sequelize = model.sequelize!
  const db: Reader = {sequelize, dialect: sequelize.getDialect() === 'sqlite' ? 'sqlite' : 'mysql'}
  const columns = columnsOf(db, model, {alias: model.name, only})
  const rows = (await model.findAll({...options, attributes: [literal(columns.select)] as never, raw: true})) as unknown as Row[]
  return normalise<M>(model, rows)
}

/** A condition on one column of the table read: `[column, operator, value]`, the value escaped here. */
export type Condition = [column: string, operator: '=' | '<>' | '>' | '<', value: string | number]

export interface BatchRead {
  /** Only these attributes (default: all). */
  only?: ReadonlySet<string>
  exclude?: string[]
  conditions?: Condition[]
  /** A condition over the table's own columns, used as it is (visibility: src/services/authz.ts). */
  rule?: string
}

/**
 * The table of `model` for a FROM clause. On SQLite quoted the standard way ("name"), not with
 * Sequelize's backticks: before a SELECT whose FROM names a backticked table, Sequelize's SQLite
 * dialect first reads that table's PRAGMA table_info (to parse values that raw rows keep as
 * they are), a statement more per batched read.
 */
export function fromTable(db: Reader, model: ModelStatic<Model>): string {
  const name = model.getTableName() as string
  return db.dialect === 'sqlite' ? `"${name.replace(/"/g, '""')}"` : db.sequelize.getQueryInterface().quoteIdentifier(name)
}

const integerList = (ids: readonly number[]) => [...new Set(ids.map(Number))].filter(Number.isInteger).join(', ')

function whereOf(db: Reader, conditions: Condition[], rule: string | undefined): string[] {
  const q = (name: string) => db.sequelize.getQueryInterface().quoteIdentifier(name)
  const where = conditions.map(([column, operator, value]) => `t.${q(column)} ${operator} ${db.sequelize.escape(value)}`)
  return rule ? [...where, rule] : where
}

/** The rows of `model` whose id is among `ids` (in no order), in one statement. */
export async function rowsByIds<R>(db: Reader, model: ModelStatic<Model>, ids: readonly number[], read: BatchRead = {}): Promise<R[]> {
  const list = integerList(ids)
  if (!list) return []
  const columns = columnsOf(db, model, {exclude: read.exclude ?? [], only: read.only})
  const table = fromTable(db, model)
  const where = [`t.id IN (${list})`, ...whereOf(db, read.conditions ?? [], read.rule)].join(' AND ')
  return readRows<R>(db, columns, `SELECT ${columns.select} FROM ${table} t WHERE ${where}`)
}

/**
 * For each parent, the first `limit` rows (in `order`) of `model` whose `column` points at
 * it, in one statement: ROW_NUMBER() over the foreign key (MySQL 8 / MariaDB 10.2 / SQLite
 * 3.25), so a parent with many children costs no more than one with few. Ordered by parent.
 */
export async function firstRowsPerParent<R>(
  db: Reader,
  model: ModelStatic<Model>,
  parent: {column: string; ids: readonly number[]},
  order: string[],
  limit: number,
  read: BatchRead = {},
): Promise<R[]> {
  const q = (name: string) => db.sequelize.getQueryInterface().quoteIdentifier(name)
  const list = integerList(parent.ids)
  if (!list) return []
  const columns = columnsOf(db, model, {only: read.only, exclude: read.exclude})
  const where = [`t.${q(parent.column)} IN (${list})`, ...whereOf(db, read.conditions ?? [], read.rule)].join(' AND ')
  const sql =
    `SELECT ${[...columns.attributes.values()].map(q).join(', ')} FROM (SELECT ${columns.select}, ROW_NUMBER() OVER (PARTITION BY t.${q(parent.column)} ORDER BY ${order.map((c) => `t.${q(c)}`).join(', ')}) AS rn__` +
    ` FROM ${fromTable(db, model)} t WHERE ${where}) ranked WHERE rn__ <= ${Number(limit)}` +
    ` ORDER BY ${[parent.column, ...order].map((c) => q(columns.attributes.get(c) ?? c)).join(', ')}`
  return readRows<R>(db, columns, sql)
}
