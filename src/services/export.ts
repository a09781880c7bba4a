/**
 * Exports: one entity as CSV, JSON or NDJSON, streamed in id-ordered keyset pages (bounded
 * memory, each page one indexed range scan) from one consistent snapshot (a REPEATABLE READ
 * transaction on MySQL, a read transaction on SQLite). Rows carry natural keys instead of ids
 * (usernames; a property's name and owner; a booking's externalRef and its property, guest
 * and dates; a refund's charge by transaction id), in the columns `stayctl import` reads, so
 * an export imports again unchanged into an empty database. Timestamps are written to the
 * second, which both databases keep exactly. Password hashes are left out unless asked for.
 * In CSV, a cell a spreadsheet would run as a formula starts with a `'` that import removes
 * (formats/cells.ts); JSON and NDJSON hold the values as they are. The files are written by
 * the record writer of formats/writer.ts.
 */
import {once} from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import type {Writable} from 'node:stream'

import {QueryTypes, Transaction} from 'sequelize'

import {BOOKING_STATUSES, CANCELLATION_POLICIES, PAYMENT_KINDS, PAYMENT_STATUSES} from '../domain.js'
import {UsageError, ValidationError} from '../errors.js'
import {requireAdmin} from './authz.js'
import type {ServiceContext} from './context.js'
import {parseDate} from './dates.js'
import {fileFormatOf, type FileFormat} from './formats/format.js'
import {recordWriter, type RecordWriter} from './formats/writer.js'
import {IMPORT_ENTITIES, type ImportEntity} from './import/types.js'
import {formatCents, parseAmount, toCents} from './money.js'

export const EXPORT_ENTITIES = IMPORT_ENTITIES

type ColumnType = 'text' | 'bool' | 'int' | 'money' | 'date' | 'timestamp'

interface Column {
  /** The field name, as `stayctl import` reads it. */
  name: string
  sql: string
  type: ColumnType
  /** The values the column can hold, where it is an enumeration (a --where filter must name one). */
  values?: readonly string[]
}

interface EntitySpec {
  from: string
  columns: Column[]
}

/** The type of a field, the same in every entity; text where it is not named here. */
const TYPE_OF: Record<string, ColumnType> = {
  isActive: 'bool',
  isAdmin: 'bool',
  isListed: 'bool',
  rating: 'int',
  pricePerNight: 'money',
  totalPrice: 'money',
  amount: 'money',
  startDate: 'date',
  endDate: 'date',
  paymentDate: 'timestamp',
  createdAt: 'timestamp',
}

/** The columns of an entity in export order, from field name → SQL; TYPE_OF gives their types, `enums` the values of enumerations. */
function columns(sql: Record<string, string>, enums: Record<string, readonly string[]> = {}): Column[] {
  return Object.entries(sql).map(([name, expression]) => ({name, sql: expression, type: TYPE_OF[name] ?? 'text', values: enums[name]}))
}

const PROPERTY_OWNER = 'JOIN users o ON o.id = p.owner_id'

const SPECS: Record<ImportEntity, EntitySpec> = {
  users: {
    from: 'users x',
    columns: columns({
      username: 'x.username', email: 'x.email', firstName: 'x.first_name', lastName: 'x.last_name',
      isActive: 'x.is_active', isAdmin: 'x.is_admin', createdAt: 'x.created_at',
    }),
  },
  properties: {
    from: 'properties x JOIN users o ON o.id = x.owner_id',
    columns: columns({
      owner: 'o.username', name: 'x.name', description: 'x.description', address: 'x.address',
      pricePerNight: 'x.price_per_night', cancellationPolicy: 'x.cancellation_policy', isListed: 'x.is_listed', createdAt: 'x.created_at',
    }, {cancellationPolicy: CANCELLATION_POLICIES}),
  },
  bookings: {
    from: `bookings x JOIN properties p ON p.id = x.property_id ${PROPERTY_OWNER} JOIN users g ON g.id = x.guest_id`,
    columns: columns({
      externalRef: 'x.external_ref', property: 'p.name', propertyOwner: 'o.username', guest: 'g.username',
      startDate: 'x.start_date', endDate: 'x.end_date', status: 'x.status', totalPrice: 'x.total_price', createdAt: 'x.created_at',
    }, {status: BOOKING_STATUSES}),
  },
  reviews: {
    from: `reviews x JOIN properties p ON p.id = x.property_id ${PROPERTY_OWNER} JOIN users r ON r.id = x.reviewer_id`,
    columns: columns({
      property: 'p.name', propertyOwner: 'o.username', reviewer: 'r.username',
      rating: 'x.rating', comment: 'x.comment', createdAt: 'x.created_at',
    }),
  },
  payments: {
    from:
      `payments x JOIN bookings b ON b.id = x.booking_id JOIN properties p ON p.id = b.property_id ${PROPERTY_OWNER}` +
      ' JOIN users g ON g.id = b.guest_id LEFT JOIN payments c ON c.id = x.refund_of_id',
    columns: columns({
      transactionId: 'x.transaction_id', kind: 'x.kind', booking: 'b.external_ref', property: 'p.name', propertyOwner: 'o.username',
      guest: 'g.username', startDate: 'b.start_date', endDate: 'b.end_date', refundOf: 'c.transaction_id', amount: 'x.amount',
      status: 'x.status', paymentDate: 'x.payment_date', reason: 'x.reason', idempotencyKey: 'x.idempotency_key', createdAt: 'x.created_at',
    }, {kind: PAYMENT_KINDS, status: PAYMENT_STATUSES}),
  },
  blocks: {
    from: `blocks x JOIN properties p ON p.id = x.property_id ${PROPERTY_OWNER}`,
    columns: columns({
      property: 'p.name', propertyOwner: 'o.username', startDate: 'x.start_date', endDate: 'x.end_date',
      reason: 'x.reason', source: 'x.source', sourceUid: 'x.source_uid', createdAt: 'x.created_at',
    }),
  },
}

const PASSWORD_HASH: Column = {name: 'passwordHash', sql: 'x.password_hash', type: 'text'}

export interface ExportInput {
  entity: string
  /** Default: from the output file's extension, else csv. */
  format?: string
  /** A file to write (replaced only once the export is complete); else `stream`. */
  output?: string
  stream?: Writable
  /** field=value filters, ANDed; `field=` matches an empty (null) field. */
  where?: string[]
  includePasswordHashes?: boolean
  /** Rows per page (default 1,000). */
  pageSize?: number
}

export interface ExportSummary {
  entity: ImportEntity
  format: FileFormat
  output: string | null
  rows: number
  passwordHashes: boolean
  seconds: number
}

export type ExportValue = string | number | boolean | null
type Value = ExportValue

/**
 * '2026-11-21T10:00:00Z', or '2026-11-21T10:00:00.301Z' when there are milliseconds, from a
 * DATETIME(3) as either driver returns it (SQLite: text): the instant stored, nothing dropped.
 */
function timestamp(value: unknown): string | null {
  if (value === null || value === undefined) return null
  let date: Date
  if (value instanceof Date) date = value
  else {
    const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(String(value).trim())
    date = match ? new Date(`${match[1]}T${match[2]}${match[3] ?? 'Z'}`) : new Date(String(value))
  }
  if (Number.isNaN(date.getTime())) throw new Error(`cannot read the timestamp "${String(value)}"`)
  return date.toISOString().replace('.000Z', 'Z')
}

function convert(value: unknown, type: ColumnType): Value {
  if (value === null || value === undefined) return null
  switch (type) {
    case 'bool':
      return Boolean(Number(value))
    case 'int':
      return Number(value)
    case 'money':
      return formatCents(toCents(value as string | number))
    case 'date':
      return value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10)
    case 'timestamp':
      return timestamp(value)
    default:
      return String(value)
  }
}

/** The value a --where filter compares with, in the column's type. */
function filterValue(column: Column, text: string): Value {
  if (text === '') return null
  if (column.values) {
    const value = text.toLowerCase()
    if (column.values.includes(value)) return value
    throw new ValidationError(`--where ${column.name}=${text}: ${column.name} is one of ${column.values.join(', ')}`, {details: {field: column.name}})
  }
  switch (column.type) {
    case 'bool': {
      const v = text.toLowerCase()
      if (['true', '1', 'yes'].includes(v)) return 1
      if (['false', '0', 'no'].includes(v)) return 0
      throw new ValidationError(`--where ${column.name}=${text}: say true or false`, {details: {field: column.name}})
    }
    case 'int':
      if (!/^-?\d+$/.test(text)) throw new ValidationError(`--where ${column.name}=${text}: not a whole number`, {details: {field: column.name}})
      return Number(text)
    case 'money':
      return formatCents(parseAmount(text, column.name))
    case 'date':
      return parseDate(text, column.name)
    default:
      return text
  }
}

function parseWhere(pairs: string[], columns: Column[]): {sql: string; values: Value[]} {
  const clauses: string[] = []
  const values: Value[] = []
  for (const pair of pairs) {
    const at = pair.indexOf('=')
    const name = at < 0 ? '' : pair.slice(0, at).trim()
    const column = columns.find((c) => c.name.toLowerCase() === name.toLowerCase() && c.type !== 'timestamp' && c !== PASSWORD_HASH)
    if (!column) {
      const fields = columns.filter((c) => c.type !== 'timestamp' && c !== PASSWORD_HASH).map((c) => c.name)
      throw new UsageError(`--where "${pair}" is not field=value with one of: ${fields.join(', ')}`)
    }
    const value = filterValue(column, pair.slice(at + 1).trim())
    if (value === null) clauses.push(`${column.sql} IS NULL`)
    else {
      clauses.push(`${column.sql} = ?`)
      values.push(value)
    }
  }
  return {sql: clauses.map((c) => ` AND ${c}`).join(''), values}
}

/** The format --format names, else the output file's extension says; CSV otherwise. */
const exportFormatOf = (output: string | undefined, explicit?: string): FileFormat => fileFormatOf(output, explicit, {invalid: UsageError, otherwise: 'csv'})

/** What an export reads: the entity, its columns (with the hashes when asked) and the filters. */
interface ExportPlan {
  entity: ImportEntity
  spec: EntitySpec
  columns: Column[]
  hashes: boolean
  where: {sql: string; values: Value[]}
}

function exportEntityOf(name: string): ImportEntity {
  if (!(EXPORT_ENTITIES as readonly string[]).includes(name)) {
    throw new UsageError(`cannot export "${name}"; choose one of ${EXPORT_ENTITIES.join(', ')}`)
  }
  return name as ImportEntity
}

/**
 * Checks an export's input (entity, format, filters) as exportEntity does, in the same order,
 * without a database: a remote export runs it before asking the server for anything.
 */
export function checkExportInput(input: Pick<ExportInput, 'entity' | 'format' | 'output' | 'where' | 'includePasswordHashes'>) {
  exportEntityOf(input.entity)
  const format = exportFormatOf(input.output, input.format)
  const plan = planExport(input)
  return {format, entity: plan.entity, columns: plan.columns.map((c) => c.name), passwordHashes: plan.hashes}
}

function planExport(input: {entity: string; where?: string[]; includePasswordHashes?: boolean}): ExportPlan {
  const entity = exportEntityOf(input.entity)
  const spec = SPECS[entity]
  const hashes = entity === 'users' && Boolean(input.includePasswordHashes)
  const columns = hashes ? [...spec.columns, PASSWORD_HASH] : spec.columns
  return {entity, spec, columns, hashes, where: parseWhere(input.where ?? [], columns)}
}

/** Up to `limit` rows with an id above `after`, in id order, each with its id and its values in column order. */
async function readRows(ctx: ServiceContext, plan: ExportPlan, after: number, limit: number, transaction?: Transaction) {
  // MySQL may otherwise start from a joined table and sort every page: read x in id order, join the rest.
  const hint = ctx.db.dialect === 'mysql' ? 'STRAIGHT_JOIN ' : ''
  const select =
    `SELECT ${hint}x.id AS __id, ${plan.columns.map((c, i) => `${c.sql} AS c${i}`).join(', ')} FROM ${plan.spec.from}` +
    ` WHERE x.id > ?${plan.where.sql} ORDER BY x.id LIMIT ?`
  const rows = await ctx.db.sequelize.query<Record<string, unknown>>(select, {
    replacements: [after, ...plan.where.values, limit],
    transaction,
    type: QueryTypes.SELECT,
  })
  return rows.map((row) => ({id: Number(row.__id), values: plan.columns.map((c, i) => convert(row[`c${i}`], c.type))}))
}

/**
 * The text of an export file, piece by piece: `header()`, then `rows(values)` for each page
 * (values in column order), then `footer()`; CSV cells that would run as formulas quoted.
 * Local and remote exports both write through it, so they write the same bytes.
 */
export function exportFormatter(format: FileFormat, columns: string[]): RecordWriter {
  return recordWriter(format, columns, {neutralise: true})
}

/** The output file's folder must be there (exit 3 naming it), rather than a driver-like ENOENT. */
function requireFolder(file: string): void {
  const folder = path.dirname(path.resolve(file))
  const stat = fs.statSync(folder, {throwIfNoEntry: false})
  if (!stat) throw new ValidationError(`cannot write ${file}: the folder ${folder} does not exist`, {suggestion: 'create it first, or give another --output'})
  if (!stat.isDirectory()) throw new ValidationError(`cannot write ${file}: ${folder} is not a folder`)
}

/** A failure to write the output file, named and explained (exit 3). */
function fileError(error: Error & {code?: string}, file: string): Error {
  const reasons: Record<string, string> = {EACCES: 'permission denied', EROFS: 'read-only file system', ENOSPC: 'no space left on the device', EISDIR: 'it is a folder'}
  const reason = error.code ? reasons[error.code] : undefined
  return reason ? new ValidationError(`cannot write ${file}: ${reason}`, {cause: error}) : error
}

/**
 * Where an export goes: a file (written as `<file>.<pid>.partial`, renamed over the file only
 * once complete, removed on failure) or a stream. `write` waits for the stream to drain, and
 * fails with the stream's error (a reader that went away: EPIPE). A file holding password
 * hashes (`hashes`) is its owner's alone (0600), whatever the umask and whatever file it replaces.
 */
export function exportOutput(input: Pick<ExportInput, 'output' | 'stream'>, hashes: boolean) {
  if (!input.output && !input.stream) throw new UsageError('give a file to export to')
  if (input.output) requireFolder(input.output)
  const temporary = input.output ? `${input.output}.${process.pid}.partial` : undefined
  const out: Writable = temporary ? fs.createWriteStream(temporary, {encoding: 'utf8', ...(hashes ? {mode: 0o600} : {})}) : input.stream!
  let failed: Error | undefined
  out.on('error', (error: Error) => (failed ??= temporary ? fileError(error, input.output!) : error))
  return {
    async write(chunk: string): Promise<void> {
      if (failed) throw failed
      if (chunk !== '' && !out.write(chunk)) await once(out, 'drain')
    },
    async finish(): Promise<void> {
      if (!temporary) return
      const closed = once(out, 'close')
      out.end()
      await closed
      fs.renameSync(temporary, input.output!)
    },
    abort(): void {
      if (!temporary) return
      out.destroy()
      fs.rmSync(temporary, {force: true})
    },
  }
}

/** Streams one entity out; see the file comment. */
export async function exportEntity(ctx: ServiceContext, input: ExportInput): Promise<ExportSummary> {
  const started = performance.now()
  requireAdmin(ctx, 'export data')
  exportEntityOf(input.entity)
  const format = exportFormatOf(input.output, input.format)
  const plan = planExport(input)
  const pageSize = input.pageSize ?? 1000
  const out = exportOutput(input, plan.hashes)
  const text = exportFormatter(format, plan.columns.map((c) => c.name))

  const transaction = await ctx.db.sequelize.transaction(
    // readOnly: Sequelize takes its connection from the read pool, so an export reads a replica in use (src/db/replicas.ts).
    ctx.db.dialect === 'mysql' ? {isolationLevel: Transaction.ISOLATION_LEVELS.REPEATABLE_READ, readOnly: true} : {type: Transaction.TYPES.DEFERRED},
  )
  try {
    await out.write(text.header())
    let after = 0
    for (;;) {
      const page = await readRows(ctx, plan, after, pageSize, transaction)
      await out.write(text.rows(page.map((row) => row.values)))
      if (page.length < pageSize) break
      after = page.at(-1)!.id
    }
    await out.write(text.footer())
    await transaction.commit()
  } catch (error) {
    await transaction.rollback().catch(() => {})
    out.abort()
    throw error
  }
  await out.finish()
  return {
    entity: plan.entity,
    format,
    output: input.output ?? null,
    rows: text.count,
    passwordHashes: plan.hashes,
    seconds: Math.round(performance.now() - started) / 1000,
  }
}

export interface ExportPageInput {
  entity: string
  /** field=value filters, as for exportEntity. */
  where?: string[]
  includePasswordHashes?: boolean
  /** The endCursor of the page before; none for the first page. */
  after?: number
  /** Rows per page, 1–5,000 (default 1,000). */
  first?: number
}

export interface ExportPage {
  entity: ImportEntity
  /** Column names, in order (the header of a CSV export). */
  columns: string[]
  /** Each row's values in column order, as exportEntity writes them. */
  rows: Value[][]
  /** The last row's id, to pass as `after`; null when the page is empty. */
  endCursor: number | null
  hasNextPage: boolean
}

export const MAX_EXPORT_PAGE = 5000

/**
 * One page of an export, in id order, for a remote client that writes the file itself with
 * exportFormatter (the same bytes as exportEntity). Admins only: with includePasswordHashes
 * the page holds password hashes. Each page is its own read, not one snapshot for them all.
 */
export async function exportPage(ctx: ServiceContext, input: ExportPageInput): Promise<ExportPage> {
  requireAdmin(ctx, 'export data')
  const plan = planExport(input)
  const first = input.first ?? 1000
  if (!Number.isInteger(first) || first < 1 || first > MAX_EXPORT_PAGE) {
    throw new ValidationError(`first must be from 1 to ${MAX_EXPORT_PAGE}, got ${input.first}`, {details: {field: 'first'}})
  }
  const after = input.after ?? 0
  if (!Number.isInteger(after) || after < 0) throw new ValidationError(`after must be a cursor of an earlier page, got ${input.after}`, {details: {field: 'after'}})
  const rows = await readRows(ctx, plan, after, first + 1)
  const page = rows.slice(0, first)
  return {
    entity: plan.entity,
    columns: plan.columns.map((c) => c.name),
    rows: page.map((row) => row.values),
    endCursor: page.length > 0 ? page.at(-1)!.id : null,
    hasNextPage: rows.length > first,
  }
}
