/**
 * The import runner: reads records from a file (streaming, bounded memory), validates each
 * with the entity's rules, and writes them in batches, one transaction per batch (or one for
 * the whole file with `atomic`; rolled back with `dryRun`). Rejected rows go to `onRejected`
 * with their line and reason and never stop the good ones, unless `maxErrors` is reached.
 *
 * Parsing the next batch overlaps with writing the current one: the file is read a chunk at a
 * time, as far as the batch being prepared needs (backpressure: at most the batch in the
 * database, the next one and a chunk are in memory), and the parsing gives the event loop a
 * turn every few hundred rows, so the replies of the batch in flight are answered at once
 * and the database is kept busy. Batches close at `batchSize` records or BATCH_BYTES of
 * input, whichever comes first. After each committed batch a checkpoint (records consumed so
 * far) is stored in the same transaction, so `resume` skips exactly what earlier runs
 * committed, even after SIGKILL; with it go what the batch wrote and the rows it rejected, so
 * that a resumed run reports the whole file (earlier rejections first, in the error file too).
 * On a Galera node, where a transaction is replicated as one
 * write set of bounded size, batches are cut to fit it, and an import in one transaction
 * (atomic, dry run) that outgrows it stops before it is refused (see db/write-set.ts).
 */
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import {QueryTypes, type Transaction} from 'sequelize'

import {UsageError, ValidationError} from '../../errors.js'
import {audit} from '../audit.js'
import type {ServiceContext} from '../context.js'
import {writeSetLimits, type WriteSetLimits} from '../../db/write-set.js'
import {inTransaction, transactionOptions} from '../transaction.js'
import {FieldMapper, parseMapFlags, withTextChecks} from './fields.js'
import {formatOf, openInput, readRecordChunks, yieldToEventLoop, type ImportFormat, type SourceRecord} from './source.js'
import {IMPORT_ENTITIES, RowError, type EntityImporter, type ImportEntity, type ParsedRow} from './types.js'
import {usersImporter} from './users.js'
import {bookingsImporter} from './bookings.js'
import {paymentsImporter} from './payments.js'
import {propertiesImporter} from './properties.js'
import {RefCache} from './refs.js'
import {reviewsImporter} from './reviews.js'
import {requireAdmin} from '../authz.js'

// Each row is checked for text no field takes before its importer reads it (withTextChecks).
const IMPORTERS: Partial<Record<ImportEntity, EntityImporter<unknown>>> = {
  users: withTextChecks(usersImporter) as EntityImporter<unknown>,
  properties: withTextChecks(propertiesImporter) as EntityImporter<unknown>,
  bookings: withTextChecks(bookingsImporter) as EntityImporter<unknown>,
  reviews: withTextChecks(reviewsImporter) as EntityImporter<unknown>,
  payments: withTextChecks(paymentsImporter) as EntityImporter<unknown>,
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

export const DEFAULT_BATCH = 5000
/** A batch also closes at this much input, so wide rows keep batches (and memory) small. */
const BATCH_BYTES = 4 * 1024 * 1024
/** Rows parsed between two turns of the event loop. */
const SLICE = 256
/** The first batch is at most this long, so that the database starts early. */
export const FIRST_BATCH = 1000
/** Rows a record may write at most (its own, the guard row it raises, the total it moves), and a batch beyond them (checkpoint, audit). */
const ROWS_PER_RECORD = 3
const ROWS_PER_BATCH = 2
/** Bytes of write set a byte of input may become at most (row images, keys, guard rows). */
const WRITE_SET_PER_INPUT_BYTE = 4

/**
 * The batch size and bytes that fit the node's write-set limits, and what a whole import in one
 * transaction may hold there.
 */
function fitWriteSet(limits: WriteSetLimits | undefined, batchSize: number) {
  let records = batchSize
  let bytes = BATCH_BYTES
  if (limits?.maxRows) records = Math.min(records, Math.max(1, Math.floor((limits.maxRows - ROWS_PER_BATCH) / ROWS_PER_RECORD)))
  if (limits?.loadDataSplit) records = Math.min(records, limits.loadDataSplit)
  if (limits?.maxBytes) bytes = Math.min(bytes, Math.max(1024, Math.floor(limits.maxBytes / WRITE_SET_PER_INPUT_BYTE)))
  return {records, bytes, limits}
}

function fileKey(entity: string, file: string): string | undefined {
  if (file === '-') return undefined
  const stat = fs.statSync(file)
  return createHash('sha256').update(`${entity}\0${path.resolve(file)}\0${stat.size}\0${stat.mtimeMs}`).digest('hex')
}

/** What earlier, interrupted runs of a file committed and reported: records done, rows written, the rows rejected. */
interface Checkpoint {
  done: number
  inserted: number
  updated: number
  rejections: Rejection[]
}

async function readCheckpoint(ctx: ServiceContext, key: string): Promise<Checkpoint> {
  const [row] = await ctx.db.sequelize.query<{records_done: number; inserted: number; updated: number}>(
    'SELECT records_done, inserted, updated FROM import_checkpoints WHERE file_key = ?',
    {replacements: [key], type: QueryTypes.SELECT},
  )
  if (!row) return {done: 0, inserted: 0, updated: 0, rejections: []}
  const rejected = await ctx.db.sequelize.query<{line: number; field: string | null; reason: string; row_json: string | null}>(
    'SELECT line, field, reason, row_json FROM import_rejections WHERE file_key = ? ORDER BY line, id',
    {replacements: [key], type: QueryTypes.SELECT},
  )
  return {
    done: Number(row.records_done),
    inserted: Number(row.inserted),
    updated: Number(row.updated),
    rejections: rejected.map((r) => ({
      line: Number(r.line),
      ...(r.field === null ? {} : {field: r.field}),
      reason: r.reason,
      raw: r.row_json === null ? undefined : (JSON.parse(r.row_json) as unknown),
    })),
  }
}

/** Rejected rows per INSERT of their record. */
const REJECTIONS_PER_INSERT = 200

/**
 * Records how far the import got and what it reported, inside the batch's transaction: the
 * records done (absolute: batches commit in file order), what the batch wrote (added up), and
 * the batch's rejected rows.
 */
async function writeCheckpoint(
  ctx: ServiceContext,
  transaction: Transaction,
  checkpoint: {key: string; entity: string; source: string; done: number; inserted: number; updated: number; rejections: Rejection[]},
) {
  const {key, rejections} = checkpoint
  const upsert =
    ctx.db.dialect === 'mysql'
      ? 'ON DUPLICATE KEY UPDATE records_done = VALUES(records_done), updated_at = VALUES(updated_at), inserted = inserted + VALUES(inserted),' +
        ' updated = updated + VALUES(updated), rejected = rejected + VALUES(rejected)'
      : 'ON CONFLICT (file_key) DO UPDATE SET records_done = excluded.records_done, updated_at = excluded.updated_at,' +
        ' inserted = inserted + excluded.inserted, updated = updated + excluded.updated, rejected = rejected + excluded.rejected'
  await ctx.db.sequelize.query(
    `INSERT INTO import_checkpoints (file_key, entity, source, records_done, updated_at, inserted, updated, rejected) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ${upsert}`,
    {
      replacements: [key, checkpoint.entity, checkpoint.source.slice(0, 500), checkpoint.done, new Date(), checkpoint.inserted, checkpoint.updated, rejections.length],
      transaction,
      type: QueryTypes.INSERT,
    },
  )
  for (let i = 0; i < rejections.length; i += REJECTIONS_PER_INSERT) {
    const part = rejections.slice(i, i + REJECTIONS_PER_INSERT)
    await ctx.db.sequelize.query(
      `INSERT INTO import_rejections (file_key, line, field, reason, row_json) VALUES ${part.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
      {
        replacements: part.flatMap((r) => [key, r.line, r.field ?? null, r.reason, r.raw === undefined ? null : JSON.stringify(r.raw)]),
        transaction,
        type: QueryTypes.INSERT,
      },
    )
  }
}

/** Forgets a finished import's checkpoint and the rejected rows kept with it. */
async function dropCheckpoint(ctx: ServiceContext, key: string) {
  await ctx.db.sequelize.transaction(transactionOptions(ctx.db.dialect), async (transaction) => {
    await ctx.db.sequelize.query('DELETE FROM import_rejections WHERE file_key = ?', {replacements: [key], transaction})
    await ctx.db.sequelize.query('DELETE FROM import_checkpoints WHERE file_key = ?', {replacements: [key], transaction})
  })
}

/**
 * Collects records into batches of `size` records or BATCH_BYTES (the first one at most
 * FIRST_BATCH), dropping the first `skip` (a resumed run). The event loop gets a turn after
 * every chunk of the file.
 */
async function* batches(chunks: AsyncIterable<SourceRecord[]>, batchSize: number, skip: number, batchBytes = BATCH_BYTES): AsyncGenerator<SourceRecord[]> {
  let batch: SourceRecord[] = []
  let bytes = 0
  let size = Math.min(batchSize, FIRST_BATCH)
  for await (const chunk of chunks) {
    for (const record of chunk) {
      if (skip > 0) {
        skip -= 1
        continue
      }
      batch.push(record)
      bytes += record.size ?? 0
      if (batch.length >= size || bytes >= batchBytes) {
        yield batch
        batch = []
        bytes = 0
        size = batchSize
      }
    }
    await yieldToEventLoop()
  }
  if (batch.length > 0) yield batch
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as {then?: unknown} | null)?.then === 'function'
}

interface PreparedBatch {
  rows: ParsedRow<unknown>[]
  rejections: Rejection[]
  /** Source records this batch covers (good and bad), for the checkpoint. */
  consumed: number
  /** Records of the file done once this batch commits (the checkpoint it writes). */
  doneAfter?: number
}

/** What an import of `input` reads and how (its importer, format, column mapping, batch size), checked. */
export function importPlan(input: Pick<ImportInput, 'entity' | 'file' | 'format' | 'map' | 'batchSize'>) {
  const importer = importerFor(input.entity)
  const format = formatOf(input.file, input.format)
  const mapper = new FieldMapper(importer.fields, parseMapFlags(input.map, importer.fields))
  const batchSize = input.batchSize ?? DEFAULT_BATCH
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ValidationError('batch size must be a positive integer')
  return {importer, format, mapper, batchSize}
}

/**
 * Imports a file of one entity. See the file comment for the guarantees. With `outer`, the
 * whole file runs in the caller's transaction (a folder imported atomically or dry): nothing
 * is committed or rolled back here, and `committed` says whether the caller should commit.
 */
export async function importFile(ctx: ServiceContext, input: ImportInput, outer?: Transaction): Promise<ImportSummary> {
  requireAdmin(ctx, 'import data')
  const started = performance.now()
  const {importer, format, mapper, batchSize} = importPlan(input)
  const single = Boolean(input.atomic || input.dryRun || outer)
  const cache = new RefCache()
  if (input.resume && input.file === '-') throw new UsageError('--resume needs a file, not stdin')
  const {stream, size} = openInput(input.file)
  let key: string | undefined
  let earlier: Checkpoint | undefined
  try {
    key = single ? undefined : fileKey(importer.entity, input.file)
    if (input.resume && key) earlier = await readCheckpoint(ctx, key)
    // A run that does not resume starts the file's report afresh.
    else if (key) await dropCheckpoint(ctx, key)
  } catch (error) {
    stream.destroy()
    throw error
  }

  const fit = fitWriteSet(await writeSetLimits(ctx.db).catch((error: unknown) => {
    stream.destroy()
    throw error
  }), batchSize)
  /** Rows and input bytes the one transaction of an atomic or dry run holds so far, against the node's limits. */
  const held = {rows: 0, bytes: 0}
  const skip = earlier?.done ?? 0
  // A resumed run reports the whole file: what earlier runs committed, then its own.
  const counts = {read: skip, inserted: earlier?.inserted ?? 0, updated: earlier?.updated ?? 0, rejected: 0}
  const progress = () =>
    input.onProgress?.({...counts, bytesRead: (stream as {bytesRead?: number}).bytesRead, totalBytes: size})
  let stoppedEarly = false

  const reject = (rejection: Rejection) => {
    counts.rejected += 1
    input.onRejected?.(rejection)
  }
  // The rows earlier runs rejected come first, as they did then: the error file covers the whole file.
  for (const rejection of earlier?.rejections ?? []) reject(rejection)

  const checkHeader = (columns: string[]) => {
    const missing = mapper.missingRequired(columns)
    if (missing.length > 0) {
      throw new ValidationError(`the file has no column for ${missing.join(', ')}`, {
        suggestion: `name the column in the header, or map it with --map <column>=${missing[0]}`,
      })
    }
  }

  /**
   * Validates and converts a batch. Synchronous parses (the common case) cost no promise; the
   * asynchronous ones (passwords to hash) run concurrently. The loop yields every SLICE rows.
   */
  async function prepare(records: SourceRecord[]): Promise<PreparedBatch> {
    const rejections: Rejection[] = []
    const rows: ParsedRow<unknown>[] = []
    const rowError = (record: SourceRecord, error: unknown) => {
      if (!(error instanceof RowError)) throw error
      rejections.push({line: record.line, field: error.field, reason: error.message, raw: record.raw})
    }
    let waiting: Promise<void>[] | undefined
    for (let i = 0; i < records.length; i++) {
      if (i % SLICE === SLICE - 1) await yieldToEventLoop()
      const record = records[i]
      if (record.broken) {
        rejections.push({line: record.line, reason: record.broken, raw: record.raw})
        continue
      }
      try {
        const parsed = importer.parse(record.mapped ? record.values : mapper.map(record.values), ctx)
        if (isPromise(parsed)) {
          ;(waiting ??= []).push(
            parsed.then(
              (value) => void rows.push({line: record.line, raw: record.raw, record: value}),
              (error) => rowError(record, error),
            ),
          )
        } else {
          rows.push({line: record.line, raw: record.raw, record: parsed})
        }
      } catch (error) {
        rowError(record, error)
      }
    }
    if (waiting) {
      await Promise.all(waiting)
      rows.sort((a, b) => a.line - b.line)
    }
    return {rows, rejections, consumed: records.length}
  }

  interface Written {
    rejections: Rejection[]
    inserted: number
    updated: number
  }

  /** How a batch waits for the one before it when two are in flight (see `writeBatch`). */
  interface Order {
    /** The previous batch's own writes are done (rejects if it failed). */
    previousWrote?: Promise<void>
    /** The previous batch committed (rejects if it failed). */
    previousCommitted?: Promise<void>
    /** Marks this batch's own writes done. */
    wrote(): void
  }

  async function write(batch: PreparedBatch, transaction: Transaction, order?: Order): Promise<Written> {
    // The importer waits for its turn itself (after preparing its data); without rows, here.
    const turn = order?.previousWrote
    if (batch.rows.length === 0) await turn
    const outcome =
      batch.rows.length > 0
        ? await importer.write(ctx, transaction, batch.rows, {upsert: Boolean(input.upsert), cache, ...(turn ? {turn} : {})})
        : {inserted: 0, updated: 0, rejected: []}
    order?.wrote()
    await order?.previousCommitted
    const rejections = [
      ...batch.rejections,
      ...outcome.rejected.map((r) => ({line: batch.rows[r.index].line, field: r.field, reason: r.reason, raw: batch.rows[r.index].raw})),
    ].sort((a, b) => a.line - b.line)
    if (key) {
      await writeCheckpoint(ctx, transaction, {
        key,
        entity: importer.entity,
        source: input.file,
        done: batch.doneAfter ?? 0,
        inserted: outcome.inserted,
        updated: outcome.updated,
        rejections,
      })
    }
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
    return {rejections, inserted: outcome.inserted, updated: outcome.updated}
  }

  const flush = (written: Written) => {
    counts.inserted += written.inserted
    counts.updated += written.updated
    for (const rejection of written.rejections) reject(rejection)
    progress()
  }

  // One transaction for everything (atomic, dry run), or one per batch.
  let whole: Transaction | undefined
  if (outer) whole = outer
  else if (single) {
    whole = await ctx.db.sequelize.transaction(transactionOptions(ctx.db.dialect))
  }

  // Two batches in flight on MySQL, when the importer allows it: the next batch opens its
  // transaction and prepares while the previous one finishes, so the server never waits for
  // the client between two batches. Its own writes start once the previous batch's writes
  // are done (a lock can then only be waited for in file order, never in a cycle), and it
  // commits only after the previous batch committed: checkpoints stay in file order.
  const pipelined =
    !whole && ctx.db.dialect === 'mysql' && Boolean(importer.pipelined) && !input.upsert && input.maxErrors === undefined
  let previous: {wrote: Promise<void>; committed: Promise<void>} | undefined
  const writeBatch = (batch: PreparedBatch): Promise<Written> => {
    if (whole) return write(batch, whole)
    if (!pipelined) return inTransaction(ctx, (transaction) => write(batch, transaction))
    let wrote!: () => void
    let failed!: (error: unknown) => void
    const wroteGate = new Promise<void>((resolve, reject) => ((wrote = resolve), (failed = reject)))
    const order: Order = {previousWrote: previous?.wrote, previousCommitted: previous?.committed, wrote}
    const result = inTransaction(ctx, (transaction) => write(batch, transaction, order))
    result.catch(failed)
    const committed = result.then(() => undefined)
    // Whoever waits on these handles their failure; these two only keep it from being "unhandled".
    wroteGate.catch(() => {})
    committed.catch(() => {})
    previous = {wrote: wroteGate, committed}
    return result
  }

  let committed = false
  /** Batches being written, oldest first. */
  const inFlight: Promise<Written>[] = []
  try {
    const records = readRecordChunks(stream, format, {onHeader: checkHeader, fieldOf: (column) => mapper.fieldOf(column)})
    let consumed = skip
    for await (const batchRecords of batches(records, fit.records, skip, fit.bytes)) {
      counts.read += batchRecords.length
      if (whole && fit.limits) {
        held.rows += batchRecords.length * ROWS_PER_RECORD + ROWS_PER_BATCH
        held.bytes += batchRecords.reduce((sum, r) => sum + (r.size ?? 0), 0) * WRITE_SET_PER_INPUT_BYTE
        if ((fit.limits.maxRows && held.rows > fit.limits.maxRows) || (fit.limits.maxBytes && held.bytes > fit.limits.maxBytes)) {
          throw new UsageError(
            `this import is too large for one transaction on this Galera node (wsrep_max_ws_rows ${fit.limits.maxRows ?? 'unlimited'}, wsrep_max_ws_size ${fit.limits.maxBytes ?? 'unlimited'} bytes); nothing was written`,
            {suggestion: 'import without --atomic/--dry-run (batch by batch), split the file, or raise the limits'},
          )
        }
      }
      const prepared = await prepare(batchRecords)
      // The records as read are not needed any more: let them die young, not wait for a batch to commit.
      batchRecords.length = 0
      while (inFlight.length >= (pipelined ? 2 : 1)) flush(await inFlight.shift()!)
      if (input.maxErrors !== undefined && counts.rejected + prepared.rejections.length > input.maxErrors) {
        // Report up to the limit, then stop: nothing of this batch is written.
        for (const rejection of prepared.rejections.slice(0, Math.max(0, input.maxErrors - counts.rejected + 1))) reject(rejection)
        stoppedEarly = true
        break
      }
      consumed += prepared.consumed
      prepared.doneAfter = consumed
      const written = writeBatch(prepared)
      // Awaited below; until then a failure must not count as an unhandled rejection.
      written.catch(() => {})
      inFlight.push(written)
      if (input.maxErrors !== undefined) {
        flush(await inFlight.shift()!)
        if (counts.rejected > input.maxErrors) {
          stoppedEarly = true
          break
        }
      }
    }
    while (inFlight.length > 0) flush(await inFlight.shift()!)
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
      if (key && !stoppedEarly) await dropCheckpoint(ctx, key)
    }
  } catch (error) {
    // Batches may still be in flight (the failure came from reading, parsing or a batch before them): let them end.
    await Promise.allSettled(inFlight)
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
