/**
 * Importing a batch of rows given as objects instead of a file: what a remote client sends
 * the server, one batch per request (the remote sink of the pipeline). Each row goes through
 * the local sink's steps exactly as a record of a file would (same field mapping, same checks,
 * same writes and audit); the batch is written in one transaction, rolled back when `dryRun`,
 * or when `atomic` and any row is rejected, and not written at all when the row checks reject
 * more than `maxErrors`. Rejections name the row by its index in `rows` and by
 * `firstLine + index`, so a client streaming a file can report its own line numbers.
 */
import {ValidationError} from '../../errors.js'
import {requireAdmin} from '../authz.js'
import type {ServiceContext} from '../context.js'
import {objectValues, type SourceRecord} from '../formats/records.js'
import {inTransaction} from '../transaction.js'
import {FieldMapper, parseMapFlags} from './fields.js'
import {importerFor} from './index.js'
import {prepareRows, writeRows} from './local.js'
import type {Written} from './pipeline.js'
import type {ImportEntity} from './types.js'

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
  /** Write nothing when the row checks reject more rows than this (what is left of a client's --max-errors). */
  maxErrors?: number
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
  /** The row checks rejected more than `maxErrors` rows: nothing was written. */
  stoppedEarly: boolean
  unknownColumns: string[]
  rejections: RowRejection[]
}

/** Thrown inside the transaction to roll it back while keeping what it did. */
class RollBack extends Error {
  constructor(readonly written: Written) {
    super('rolled back')
  }
}

function checkInput(input: ImportRowsInput): number {
  if (!Array.isArray(input.rows)) throw new ValidationError('rows must be a list of objects', {details: {field: 'rows'}})
  if (input.rows.length > MAX_IMPORT_ROWS) {
    throw new ValidationError(`at most ${MAX_IMPORT_ROWS} rows per batch, got ${input.rows.length}`, {
      suggestion: 'send the rows in several batches',
      details: {field: 'rows'},
    })
  }
  const firstLine = input.firstLine ?? 1
  if (!Number.isInteger(firstLine) || firstLine < 1) throw new ValidationError('firstLine must be a positive whole number', {details: {field: 'firstLine'}})
  if (input.maxErrors !== undefined && !(Number.isInteger(input.maxErrors) && input.maxErrors >= 0)) {
    throw new ValidationError('maxErrors must be a whole number, 0 or more', {details: {field: 'maxErrors'}})
  }
  return firstLine
}

/** Imports one batch of rows of an entity. See the file comment for the guarantees. */
export async function importRows(ctx: ServiceContext, input: ImportRowsInput): Promise<ImportRowsResult> {
  requireAdmin(ctx, 'import data')
  const importer = importerFor(input.entity)
  const firstLine = checkInput(input)
  const mapper = new FieldMapper(importer.fields, parseMapFlags(input.map, importer.fields))
  const records = input.rows.map((raw, index): SourceRecord => {
    const values = objectValues(raw)
    return values ? {line: firstLine + index, values, raw} : {line: firstLine + index, values: {}, raw, broken: 'each row must be a JSON object'}
  })
  const batch = await prepareRows(ctx, importer, mapper, records)
  const stoppedEarly = input.maxErrors !== undefined && batch.rejections.length > input.maxErrors
  let written: Written = {inserted: 0, updated: 0, rejections: batch.rejections}
  let committed = false
  if (!stoppedEarly) {
    const keep = (w: Written) => !input.dryRun && !(input.atomic && w.rejections.length > 0)
    const then = (w: Written) => {
      if (!keep(w)) throw new RollBack(w)
    }
    try {
      written = await inTransaction(ctx, (transaction) => writeRows(ctx, transaction, importer, batch, {upsert: Boolean(input.upsert), source: input.source ?? ctx.via, then}))
      committed = true
    } catch (error) {
      if (!(error instanceof RollBack)) throw error
      written = error.written
    }
  }
  const keepCounts = committed || Boolean(input.dryRun)
  return {
    entity: importer.entity,
    read: input.rows.length,
    inserted: keepCounts ? written.inserted : 0,
    updated: keepCounts ? written.updated : 0,
    rejected: written.rejections.length,
    dryRun: Boolean(input.dryRun),
    atomic: Boolean(input.atomic),
    committed,
    stoppedEarly,
    unknownColumns: [...mapper.unknownColumns],
    rejections: written.rejections.map((r) => ({index: r.line - firstLine, line: r.line, field: r.field, reason: r.reason})),
  }
}
