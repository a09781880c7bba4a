/**
 * Exports: one entity as CSV, JSON or NDJSON, streamed in id-ordered keyset pages (bounded
 * memory, each page one indexed range scan) from one consistent snapshot (a REPEATABLE READ
 * transaction on MySQL, a read transaction on SQLite). Rows carry natural keys instead of ids
 * (usernames; a property's name and owner; a booking's externalRef and its property, guest
 * and dates; a refund's charge by transaction id), in the columns `stayctl import` reads, so
 * an export imports again unchanged into an empty database. Timestamps are written to the
 * second, which both databases keep exactly. Password hashes are left out unless asked for.
 */
import {once} from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import type {Writable} from 'node:stream'

import {QueryTypes, Transaction} from 'sequelize'

import {UsageError, ValidationError} from '../errors.js'
import type {ServiceContext} from './context.js'
import {parseDate} from './dates.js'
import {IMPORT_ENTITIES, type ImportEntity} from './import/types.js'
import {formatCents, parseAmount, toCents} from './money.js'
import {requireAdmin} from './authz.js'

export const EXPORT_ENTITIES = IMPORT_ENTITIES
export type ExportFormat = 'csv' | 'json' | 'ndjson'

type ColumnType = 'text' | 'bool' | 'int' | 'money' | 'date' | 'timestamp'

interface Column {
  /** The field name, as `stayctl import` reads it. */
  name: string
  sql: string
  type: ColumnType
}

interface EntitySpec {
  from: string
  columns: Column[]
}

const col = (name: string, sql: string, type: ColumnType = 'text'): Column => ({name, sql, type})
const PROPERTY_OWNER = 'JOIN users o ON o.id = p.owner_id'

const SPECS: Record<ImportEntity, EntitySpec> = {
  users: {
    from: 'users x',
    columns: [
      col('username', 'x.username'),
      col('email', 'x.email'),
      col('firstName', 'x.first_name'),
      col('lastName', 'x.last_name'),
      col('isActive', 'x.is_active', 'bool'),
      col('isAdmin', 'x.is_admin', 'bool'),
      col('createdAt', 'x.created_at', 'timestamp'),
    ],
  },
  properties: {
    from: 'properties x JOIN users o ON o.id = x.owner_id',
    columns: [
      col('owner', 'o.username'),
      col('name', 'x.name'),
      col('description', 'x.description'),
      col('address', 'x.address'),
      col('pricePerNight', 'x.price_per_night', 'money'),
      col('cancellationPolicy', 'x.cancellation_policy'),
      col('isListed', 'x.is_listed', 'bool'),
      col('createdAt', 'x.created_at', 'timestamp'),
    ],
  },
  bookings: {
    from: `bookings x JOIN properties p ON p.id = x.property_id ${PROPERTY_OWNER} JOIN users g ON g.id = x.guest_id`,
    columns: [
      col('externalRef', 'x.external_ref'),
      col('property', 'p.name'),
      col('propertyOwner', 'o.username'),
      col('guest', 'g.username'),
      col('startDate', 'x.start_date', 'date'),
      col('endDate', 'x.end_date', 'date'),
      col('status', 'x.status'),
      col('totalPrice', 'x.total_price', 'money'),
      col('createdAt', 'x.created_at', 'timestamp'),
    ],
  },
  reviews: {
    from: `reviews x JOIN properties p ON p.id = x.property_id ${PROPERTY_OWNER} JOIN users r ON r.id = x.reviewer_id`,
    columns: [
      col('property', 'p.name'),
      col('propertyOwner', 'o.username'),
      col('reviewer', 'r.username'),
      col('rating', 'x.rating', 'int'),
      col('comment', 'x.comment'),
      col('createdAt', 'x.created_at', 'timestamp'),
    ],
  },
  payments: {
    from:
      `payments x JOIN bookings b ON b.id = x.booking_id JOIN properties p ON p.id = b.property_id ${PROPERTY_OWNER}` +
      ' JOIN users g ON g.id = b.guest_id LEFT JOIN payments c ON c.id = x.refund_of_id',
    columns: [
      col('transactionId', 'x.transaction_id'),
      col('kind', 'x.kind'),
      col('booking', 'b.external_ref'),
      col('property', 'p.name'),
      col('propertyOwner', 'o.username'),
      col('guest', 'g.username'),
      col('startDate', 'b.start_date', 'date'),
      col('endDate', 'b.end_date', 'date'),
      col('refundOf', 'c.transaction_id'),
      col('amount', 'x.amount', 'money'),
      col('status', 'x.status'),
      col('paymentDate', 'x.payment_date', 'timestamp'),
      col('reason', 'x.reason'),
      col('idempotencyKey', 'x.idempotency_key'),
      col('createdAt', 'x.created_at', 'timestamp'),
    ],
  },
}

const PASSWORD_HASH = col('passwordHash', 'x.password_hash')

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
  format: ExportFormat
  output: string | null
  rows: number
  passwordHashes: boolean
  seconds: number
}

type Value = string | number | boolean | null

/** '2026-11-21T10:00:00Z' from a DATETIME as either driver returns it (SQLite: text). */
function timestamp(value: unknown): string | null {
  if (value === null || value === undefined) return null
  let date: Date
  if (value instanceof Date) date = value
  else {
    const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(String(value).trim())
    date = match ? new Date(`${match[1]}T${match[2]}${match[3] ?? 'Z'}`) : new Date(String(value))
  }
  if (Number.isNaN(date.getTime())) throw new Error(`cannot read the timestamp "${String(value)}"`)
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z')
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

function csvField(value: Value): string {
  if (value === null) return ''
  const text = String(value)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function exportFormatOf(output: string | undefined, explicit?: string): ExportFormat {
  if (explicit) {
    if (!['csv', 'json', 'ndjson'].includes(explicit)) throw new UsageError(`unknown format "${explicit}": use csv, json or ndjson`)
    return explicit as ExportFormat
  }
  const ext = output ? path.extname(output).toLowerCase() : ''
  if (ext === '.json') return 'json'
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson'
  return 'csv'
}

/** Streams one entity out; see the file comment. */
export async function exportEntity(ctx: ServiceContext, input: ExportInput): Promise<ExportSummary> {
  // Every column of every row, emails (and hashes, if asked) included: an admin's job.
  requireAdmin(ctx, 'export data')
  const started = performance.now()
  if (!(EXPORT_ENTITIES as readonly string[]).includes(input.entity)) {
    throw new UsageError(`cannot export "${input.entity}"; choose one of ${EXPORT_ENTITIES.join(', ')}`)
  }
  const entity = input.entity as ImportEntity
  const format = exportFormatOf(input.output, input.format)
  const spec = SPECS[entity]
  const hashes = entity === 'users' && Boolean(input.includePasswordHashes)
  const columns = hashes ? [...spec.columns, PASSWORD_HASH] : spec.columns
  const where = parseWhere(input.where ?? [], columns)
  const pageSize = input.pageSize ?? 1000
  if (!input.output && !input.stream) throw new UsageError('give a file to export to')

  const temporary = input.output ? `${input.output}.${process.pid}.partial` : undefined
  const out: Writable = temporary ? fs.createWriteStream(temporary, {encoding: 'utf8'}) : input.stream!
  // A reader that goes away (`| head`) fails the next write: stop there, with its error.
  let failed: Error | undefined
  out.on('error', (error: Error) => (failed ??= error))
  const write = async (chunk: string) => {
    if (failed) throw failed
    if (chunk !== '' && !out.write(chunk)) await once(out, 'drain')
  }

  const transaction = await ctx.db.sequelize.transaction(
    ctx.db.dialect === 'mysql' ? {isolationLevel: Transaction.ISOLATION_LEVELS.REPEATABLE_READ} : {type: Transaction.TYPES.DEFERRED},
  )
  let rows = 0
  try {
    // MySQL may otherwise start from a joined table and sort every page: read x in id order, join the rest.
    const hint = ctx.db.dialect === 'mysql' ? 'STRAIGHT_JOIN ' : ''
    const select = `SELECT ${hint}x.id AS __id, ${columns.map((c, i) => `${c.sql} AS c${i}`).join(', ')} FROM ${spec.from} WHERE x.id > ?${where.sql} ORDER BY x.id LIMIT ?`
    if (format === 'csv') await write(columns.map((c) => c.name).join(',') + '\r\n')
    if (format === 'json') await write('[')
    let after = 0
    for (;;) {
      const page = await ctx.db.sequelize.query<Record<string, unknown>>(select, {
        replacements: [after, ...where.values, pageSize],
        transaction,
        type: QueryTypes.SELECT,
      })
      let chunk = ''
      for (const row of page) {
        const values = columns.map((c, i) => convert(row[`c${i}`], c.type))
        if (format === 'csv') chunk += values.map(csvField).join(',') + '\r\n'
        else {
          const object = JSON.stringify(Object.fromEntries(columns.map((c, i) => [c.name, values[i]])))
          chunk += format === 'ndjson' ? `${object}\n` : `${rows === 0 ? '\n' : ',\n'}${object}`
        }
        rows += 1
      }
      await write(chunk)
      if (page.length < pageSize) break
      after = Number(page.at(-1)!.__id)
    }
    if (format === 'json') await write(rows === 0 ? ']\n' : '\n]\n')
    await transaction.commit()
  } catch (error) {
    await transaction.rollback().catch(() => {})
    if (temporary) {
      out.destroy()
      fs.rmSync(temporary, {force: true})
    }
    throw error
  }
  if (temporary) {
    const closed = once(out, 'close')
    out.end()
    await closed
    fs.renameSync(temporary, input.output!)
  }
  return {
    entity,
    format,
    output: input.output ?? null,
    rows,
    passwordHashes: hashes,
    seconds: Math.round(performance.now() - started) / 1000,
  }
}
