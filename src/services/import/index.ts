/**
 * The import runner: reads records from a file (streaming, bounded memory), validates each
 * with the entity's rules, and writes them in batches, one transaction per batch (or one for
 * the whole file with `atomic`; rolled back with `dryRun`). Rejected rows go to `onRejected`
 * with their line and reason and never stop the good ones, unless `maxErrors` is reached.
 *
 * Parsing the next batch overlaps with writing the current one. After each committed batch a
 * checkpoint (records consumed so far) is stored in the same transaction, so `resume` skips
 * exactly what earlier runs committed, even after SIGKILL.
 */
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import {QueryTypes, Transaction} from 'sequelize'

import {UsageError, ValidationError} from '../../errors.js'
import {audit} from '../audit.js'
import type {ServiceContext} from '../context.js'
import {inTransaction} from '../transaction.js'
import {FieldMapper, parseMapFlags} from './fields.js'
import {formatOf, openInput, readRecords, type ImportFormat, type SourceRecord} from './source.js'
import {IMPORT_ENTITIES, RowError, type EntityImporter, type ImportEntity, type ParsedRow} from './types.js'
import {usersImporter} from './users.js'
import {bookingsImporter} from './bookings.js'
import {paymentsImporter} from './payments.js'
import {propertiesImporter} from './properties.js'
import {RefCache} from './refs.js'
import {reviewsImporter} from './reviews.js'

const IMPORTERS: Partial<Record<ImportEntity, EntityImporter<unknown>>> = {
  users: usersImporter as EntityImporter<unknown>,
  properties: propertiesImporter as EntityImporter<unknown>,
  bookings: bookingsImporter as EntityImporter<unknown>,
  reviews: reviewsImporter as EntityImporter<unknown>,
  payments: paymentsImporter as EntityImporter<unknown>,
}

export function importerFor(entity: string): EntityImporter<unknown> {
  const importer = IMPORTERS[entity as ImportEntity]
  if (!importer) {
    throw new UsageError(`cannot import "${entity}"; choose one of ${IMPORT_ENTITIES.filter((e) => IMPORTERS[e]).join(', ')}`)
  }
  return importer
}

export interface Rejection {
  /** Line (CSV, NDJSON) or record number (JSON) where the row starts. */
  line: number
  field?: string
  reason: string
  /** The row as read. */
  raw: unknown
}

export interface ImportProgress {
  read: number
  inserted: number
  updated: number
  rejected: number
  /** Bytes of the file read so far, and its size, when known (for an ETA). */
  bytesRead?: number
  totalBytes?: number
}

export interface ImportInput {
  entity: string
  /** A path, or '-' for stdin. */
  file: string
  format?: string
  /** --map column=field pairs. */
  map?: string[]
  atomic?: boolean
  dryRun?: boolean
  upsert?: boolean
  /** Skip the records a previous run of this file committed. */
  resume?: boolean
  /** Stop after this many rejected rows. */
  maxErrors?: number
  /** Records per batch (default 5,000). */
  batchSize?: number
  onRejected?: (rejection: Rejection) => void
  onProgress?: (progress: ImportProgress) => void
}

export interface ImportSummary {
  entity: ImportEntity
  file: string
  format: ImportFormat
  read: number
  inserted: number
  updated: number
  rejected: number
  /** Records skipped because an earlier run committed them (--resume). */
  skipped: number
  seconds: number
  dryRun: boolean
  atomic: boolean
  /** Nothing was written: atomic or dry run with rejections, or a dry run. */
  committed: boolean
  stoppedEarly: boolean
  unknownColumns: string[]
}

const DEFAULT_BATCH = 5000

function fileKey(entity: string, file: string): string | undefined {
  if (file === '-') return undefined
  const stat = fs.statSync(file)
  return createHash('sha256').update(`${entity}\0${path.resolve(file)}\0${stat.size}\0${stat.mtimeMs}`).digest('hex')
}

async function readCheckpoint(ctx: ServiceContext, key: string): Promise<number> {
  const rows = await ctx.db.sequelize.query<{records_done: number}>(
    'SELECT records_done FROM import_checkpoints WHERE file_key = ?',
    {replacements: [key], type: QueryTypes.SELECT},
  )
  return rows[0] ? Number(rows[0].records_done) : 0
}

async function writeCheckpoint(ctx: ServiceContext, transaction: Transaction, key: string, entity: string, source: string, done: number) {
  const {sequelize} = ctx.db
  await sequelize.query('DELETE FROM import_checkpoints WHERE file_key = ?', {replacements: [key], transaction})
  await sequelize.query(
    'INSERT INTO import_checkpoints (file_key, entity, source, records_done, updated_at) VALUES (?, ?, ?, ?, ?)',
    {replacements: [key, entity, source.slice(0, 500), done, new Date()], transaction, type: QueryTypes.INSERT},
  )
}

/** Collects records into batches of `size`. */
async function* batches(records: AsyncIterable<SourceRecord>, size: number): AsyncGenerator<SourceRecord[]> {
  let batch: SourceRecord[] = []
  for await (const record of records) {
    batch.push(record)
    if (batch.length >= size) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}

interface PreparedBatch {
  rows: ParsedRow<unknown>[]
  rejections: Rejection[]
  /** Source records this batch covers (good and bad), for the checkpoint. */
  consumed: number
}

/**
 * Imports a file of one entity. See the file comment for the guarantees. With `outer`, the
 * whole file runs in the caller's transaction (a folder imported atomically or dry): nothing
 * is committed or rolled back here, and `committed` says whether the caller should commit.
 */
export async function importFile(ctx: ServiceContext, input: ImportInput, outer?: Transaction): Promise<ImportSummary> {
  const started = performance.now()
  const importer = importerFor(input.entity)
  const format = formatOf(input.file, input.format)
  const mapper = new FieldMapper(importer.fields, parseMapFlags(input.map, importer.fields))
  const batchSize = input.batchSize ?? DEFAULT_BATCH
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ValidationError('batch size must be a positive integer')
  const single = Boolean(input.atomic || input.dryRun || outer)
  const cache = new RefCache()
  const key = single ? undefined : fileKey(importer.entity, input.file)
  const skip = input.resume && key ? await readCheckpoint(ctx, key) : 0
  if (input.resume && input.file === '-') throw new UsageError('--resume needs a file, not stdin')

  const {stream, size} = openInput(input.file)
  const counts = {read: 0, inserted: 0, updated: 0, rejected: 0}
  const progress = () =>
    input.onProgress?.({...counts, bytesRead: (stream as {bytesRead?: number}).bytesRead, totalBytes: size})
  let stoppedEarly = false
  let consumedTotal = 0
  let headerChecked = format !== 'csv'

  const reject = (rejection: Rejection) => {
    counts.rejected += 1
    input.onRejected?.(rejection)
  }

  async function prepare(records: SourceRecord[]): Promise<PreparedBatch> {
    const rejections: Rejection[] = []
    const rows: ParsedRow<unknown>[] = []
    await Promise.all(
      records.map(async (record) => {
        if (record.broken) {
          rejections.push({line: record.line, reason: record.broken, raw: record.raw})
          return
        }
        if (!headerChecked) {
          const missing = mapper.missingRequired(Object.keys(record.values))
          if (missing.length > 0) {
            throw new ValidationError(`the file has no column for ${missing.join(', ')}`, {
              suggestion: `name the column in the header, or map it with --map <column>=${missing[0]}`,
            })
          }
          headerChecked = true
        }
        try {
          const record_ = await importer.parse(mapper.map(record.values), ctx)
          rows.push({line: record.line, raw: record.raw, record: record_})
        } catch (error) {
          if (!(error instanceof RowError)) throw error
          rejections.push({line: record.line, field: error.field, reason: error.message, raw: record.raw})
        }
      }),
    )
    rows.sort((a, b) => a.line - b.line)
    return {rows, rejections, consumed: records.length}
  }

  interface Written {
    rejections: Rejection[]
    inserted: number
    updated: number
    consumed: number
  }

  async function write(batch: PreparedBatch, transaction: Transaction): Promise<Written> {
    const outcome =
      batch.rows.length > 0 ? await importer.write(ctx, transaction, batch.rows, {upsert: Boolean(input.upsert), cache}) : {inserted: 0, updated: 0, rejected: []}
    const rejections = [
      ...batch.rejections,
      ...outcome.rejected.map((r) => ({line: batch.rows[r.index].line, field: r.field, reason: r.reason, raw: batch.rows[r.index].raw})),
    ].sort((a, b) => a.line - b.line)
    // Counted once the batch commits (in flush): inTransaction may run this twice after a deadlock.
    if (key) await writeCheckpoint(ctx, transaction, key, importer.entity, input.file, skip + consumedTotal + batch.consumed)
    if (outcome.inserted + outcome.updated > 0) {
      await audit(ctx, transaction, {
        action: 'import.batch',
        entity: importer.entity.replace(/s$/, '').replace(/ie$/, 'y'),
        entityId: null,
        changes: {
          file: input.file === '-' ? 'stdin' : path.basename(input.file),
          lines: [batch.rows[0]?.line, batch.rows.at(-1)?.line],
          inserted: outcome.inserted,
          updated: outcome.updated,
          rejected: rejections.length,
        },
      })
    }
    return {rejections, inserted: outcome.inserted, updated: outcome.updated, consumed: batch.consumed}
  }

  const flush = (written: Written) => {
    consumedTotal += written.consumed
    counts.inserted += written.inserted
    counts.updated += written.updated
    for (const rejection of written.rejections) reject(rejection)
    progress()
  }

  // One transaction for everything (atomic, dry run), or one per batch.
  let whole: Transaction | undefined
  if (outer) whole = outer
  else if (single) {
    whole = await ctx.db.sequelize.transaction(
      ctx.db.dialect === 'sqlite' ? {type: Transaction.TYPES.IMMEDIATE} : {isolationLevel: Transaction.ISOLATION_LEVELS.READ_COMMITTED},
    )
  }
  const writeBatch = (batch: PreparedBatch) =>
    whole ? write(batch, whole) : inTransaction(ctx, (transaction) => write(batch, transaction))

  let committed = false
  try {
    let toSkip = skip
    const records = readRecords(stream, format)
    let pending: Promise<Written> | undefined
    for await (const raw of batches(records, batchSize)) {
      let batchRecords = raw
      if (toSkip > 0) {
        const dropped = Math.min(toSkip, batchRecords.length)
        batchRecords = batchRecords.slice(dropped)
        toSkip -= dropped
        if (batchRecords.length === 0) continue
      }
      counts.read += batchRecords.length
      const prepared = await prepare(batchRecords)
      if (pending) flush(await pending)
      if (input.maxErrors !== undefined && counts.rejected + prepared.rejections.length > input.maxErrors) {
        // Report up to the limit, then stop: nothing of this batch is written.
        for (const rejection of prepared.rejections.slice(0, Math.max(0, input.maxErrors - counts.rejected + 1))) reject(rejection)
        pending = undefined
        stoppedEarly = true
        break
      }
      pending = writeBatch(prepared)
      if (input.maxErrors !== undefined) {
        flush(await pending)
        pending = undefined
        if (counts.rejected > input.maxErrors) {
          stoppedEarly = true
          break
        }
      }
    }
    if (pending) flush(await pending)
    if (whole) {
      const keep = !input.dryRun && !(input.atomic && (counts.rejected > 0 || stoppedEarly))
      if (outer) committed = keep
      else if (!keep) await whole.rollback()
      else {
        await whole.commit()
        committed = true
      }
    } else {
      committed = true
      if (key && !stoppedEarly) await ctx.db.sequelize.query('DELETE FROM import_checkpoints WHERE file_key = ?', {replacements: [key]})
    }
  } catch (error) {
    if (whole && !outer) await whole.rollback().catch(() => {})
    throw error
  } finally {
    stream.destroy()
  }
  if (!committed) {
    counts.inserted = input.dryRun ? counts.inserted : 0
    counts.updated = input.dryRun ? counts.updated : 0
  }
  return {
    entity: importer.entity,
    file: input.file,
    format,
    ...counts,
    skipped: skip,
    seconds: Math.round(performance.now() - started) / 1000,
    dryRun: Boolean(input.dryRun),
    atomic: Boolean(input.atomic),
    committed,
    stoppedEarly,
    unknownColumns: [...mapper.unknownColumns],
  }
}
