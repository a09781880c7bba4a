/**
 * Importing a batch of rows given as objects instead of a file: what a remote client sends
 * the server, one batch per request. Each row goes through the entity's importer exactly as a
 * record of a file would (same field mapping, same checks, same writes); the batch is written
 * in one transaction, rolled back when `dryRun`, or when `atomic` and any row is rejected.
 * Rejections name the row by its index in `rows` and by `firstLine + index`, so a client
 * streaming a file can report its own line numbers.
 */
import type {Transaction} from 'sequelize'

import {ValidationError} from '../../errors.js'
import {audit} from '../audit.js'
import type {ServiceContext} from '../context.js'
import {inTransaction} from '../transaction.js'
import {FieldMapper, parseMapFlags} from './fields.js'
import {importerFor} from './index.js'
import {RowError, type BatchOutcome, type ImportEntity, type ParsedRow} from './types.js'
import {requireAdmin} from '../authz.js'

/** Rows per call: a request body stays well under the server's size limit. */
export const MAX_IMPORT_ROWS = 1000

export interface ImportRowsInput {
  entity: string
  /** Each row an object of column (or field) name → value, like a line of an NDJSON file. */
  rows: unknown[]
  /** Line number of the first row in the client's file (default 1). */
  firstLine?: number
  /** column=field pairs, as --map. */
  map?: string[]
  atomic?: boolean
  dryRun?: boolean
  upsert?: boolean
  /** Where the rows come from, for the audit trail (e.g. the client's file name). */
  source?: string
}

export interface RowRejection {
  /** 0-based index of the row in `rows`. */
  index: number
  /** `firstLine + index`. */
  line: number
  field?: string
  reason: string
}

export interface ImportRowsResult {
  entity: ImportEntity
  read: number
  inserted: number
  updated: number
  rejected: number
  dryRun: boolean
  atomic: boolean
  /** Whether the writes were kept (false for a dry run, or an atomic batch with rejections). */
  committed: boolean
  unknownColumns: string[]
  rejections: RowRejection[]
}

/** A row's values as text, as a file would give them; undefined when the row is not an object. */
function rowValues(row: unknown): Record<string, string | undefined> | undefined {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) return undefined
  const values: Record<string, string | undefined> = {}
  for (const [key, value] of Object.entries(row)) {
    values[key] = value === null || value === undefined ? undefined : typeof value === 'object' ? JSON.stringify(value) : String(value)
  }
  return values
}

/** Thrown inside the transaction to roll it back while keeping the outcome. */
class RollBack extends Error {
  constructor(readonly outcome: BatchOutcome) {
    super('rolled back')
  }
}

/** Imports one batch of rows of an entity. See the file comment for the guarantees. */
export async function importRows(ctx: ServiceContext, input: ImportRowsInput): Promise<ImportRowsResult> {
  requireAdmin(ctx, 'import data')
  const importer = importerFor(input.entity)
  if (!Array.isArray(input.rows)) throw new ValidationError('rows must be a list of objects', {details: {field: 'rows'}})
  if (input.rows.length > MAX_IMPORT_ROWS) {
    throw new ValidationError(`at most ${MAX_IMPORT_ROWS} rows per batch, got ${input.rows.length}`, {
      suggestion: 'send the rows in several batches',
      details: {field: 'rows'},
    })
  }
  const firstLine = input.firstLine ?? 1
  if (!Number.isInteger(firstLine) || firstLine < 1) throw new ValidationError('firstLine must be a positive whole number', {details: {field: 'firstLine'}})
  const mapper = new FieldMapper(importer.fields, parseMapFlags(input.map, importer.fields))
  const rejections: RowRejection[] = []
  const parsed: (ParsedRow<unknown> & {index: number})[] = []
  await Promise.all(
    input.rows.map(async (row, index) => {
      const line = firstLine + index
      const values = rowValues(row)
      if (!values) return void rejections.push({index, line, reason: 'each row must be a JSON object'})
      try {
        parsed.push({index, line, raw: row, record: await importer.parse(mapper.map(values), ctx)})
      } catch (error) {
        if (!(error instanceof RowError)) throw error
        rejections.push({index, line, field: error.field, reason: error.message})
      }
    }),
  )
  parsed.sort((a, b) => a.index - b.index)

  const write = async (transaction: Transaction): Promise<BatchOutcome> => {
    const outcome = parsed.length > 0 ? await importer.write(ctx, transaction, parsed, {upsert: Boolean(input.upsert)}) : {inserted: 0, updated: 0, rejected: []}
    const keep = !input.dryRun && !(input.atomic && rejections.length + outcome.rejected.length > 0)
    if (!keep) throw new RollBack(outcome)
    if (outcome.inserted + outcome.updated > 0) {
      await audit(ctx, transaction, {
        action: 'import.batch',
        entity: importer.entity.replace(/s$/, '').replace(/ie$/, 'y'),
        entityId: null,
        changes: {
          file: input.source ?? ctx.via,
          lines: [parsed[0]?.line, parsed.at(-1)?.line],
          inserted: outcome.inserted,
          updated: outcome.updated,
          rejected: rejections.length + outcome.rejected.length,
        },
      })
    }
    return outcome
  }

  let outcome: BatchOutcome
  let committed = true
  try {
    outcome = await inTransaction(ctx, write)
  } catch (error) {
    if (!(error instanceof RollBack)) throw error
    outcome = error.outcome
    committed = false
  }
  for (const r of outcome.rejected) {
    const row = parsed[r.index]
    rejections.push({index: row.index, line: row.line, field: r.field, reason: r.reason})
  }
  rejections.sort((a, b) => a.index - b.index)
  const keepCounts = committed || Boolean(input.dryRun)
  return {
    entity: importer.entity,
    read: input.rows.length,
    inserted: keepCounts ? outcome.inserted : 0,
    updated: keepCounts ? outcome.updated : 0,
    rejected: rejections.length,
    dryRun: Boolean(input.dryRun),
    atomic: Boolean(input.atomic),
    committed,
    unknownColumns: [...mapper.unknownColumns],
    rejections,
  }
}
