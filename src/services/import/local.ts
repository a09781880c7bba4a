/**
 * The local sink of the import pipeline: batches written into the database by the entity's
 * importer, one transaction per batch (or one for the whole file with `atomic`; rolled back
 * with `dryRun`), each with its `import.batch` audit event and, for a file, its checkpoint
 * (checkpoint.ts), so that `resume` skips exactly what earlier runs committed. On SQLite each
 * transaction takes its turn among the process's writers (services/transaction.ts): the one of
 * an atomic or dry run holds it to the end, and the process's other writes wait for it there.
 *
 * On MySQL, when the importer allows it, two batches are in flight: the next batch opens its
 * transaction and prepares while the previous one finishes, so the server never waits for the
 * client between two batches. Its own writes start once the previous batch's writes are done
 * (a lock can then only be waited for in file order, never in a cycle) or, for an importer that
 * reads what earlier batches wrote (bookings: the calendar), once the previous batch committed;
 * and it commits only after the previous batch committed: checkpoints stay in file order.
 *
 * On a Galera node, where a transaction is replicated as one write set of bounded size, batches
 * are cut to fit it, and an import in one transaction (atomic, dry run) that outgrows it stops
 * before it is refused (see db/write-set.ts).
 */
import path from 'node:path'

import type {Transaction} from 'sequelize'

import {UsageError} from '../../errors.js'
import {writeSetLimits, type WriteSetLimits} from '../../db/write-set.js'
import {audit} from '../audit.js'
import type {ServiceContext} from '../context.js'
import type {SourceRecord} from '../formats/records.js'
import {heldTransaction, inTransaction, type HeldTransaction} from '../transaction.js'
import {dropCheckpoint, fileKey, readCheckpoint, writeCheckpoint} from './checkpoint.js'
import type {FieldMapper} from './fields.js'
import {FIRST_BATCH, yieldToEventLoop, type BatchLimits, type Checkpoint, type ImportInput, type ImportPlan, type Prepared, type Rejection, type Sink, type Written} from './pipeline.js'
import {RefCache} from '../refs/resolver.js'
import {testPause} from '../../test-pause.js'
import {RowError, type EntityImporter, type ParsedRow, type WriteOptions} from './types.js'

/** A batch also closes at this much input, so wide rows keep batches (and memory) small. */
export const BATCH_BYTES = 4 * 1024 * 1024
/** Rows parsed between two turns of the event loop. */
const SLICE = 256
/**
 * Rows a record may write at most (its own, the guard row it raises, the total it moves, and
 * for a stay the free gaps it changes: one deleted, two inserted when it splits a gap; see
 * rules/gaps.ts), and a batch beyond them (checkpoint, audit).
 */
const ROWS_PER_RECORD = 6
const ROWS_PER_BATCH = 2
/** Bytes of write set a byte of input may become at most (row images, keys, guard rows). */
const WRITE_SET_PER_INPUT_BYTE = 4

/** A batch checked by the importer's row checks: the rows to write, and those it refused. */
export interface RowBatch extends Prepared {
  rows: ParsedRow<unknown>[]
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as {then?: unknown} | null)?.then === 'function'
}

/**
 * Validates and converts records with the importer's row checks. Synchronous parses (the
 * common case) cost no promise; the asynchronous ones (passwords to hash) run concurrently.
 * The event loop gets a turn every SLICE rows.
 */
export async function prepareRows(ctx: ServiceContext, importer: EntityImporter<unknown>, mapper: FieldMapper, records: SourceRecord[]): Promise<RowBatch> {
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
      if (!isPromise(parsed)) rows.push({line: record.line, raw: record.raw, record: parsed})
      else {
        const row = parsed.then((value) => void rows.push({line: record.line, raw: record.raw, record: value}), (error) => rowError(record, error))
        ;(waiting ??= []).push(row)
      }
    } catch (error) {
      rowError(record, error)
    }
  }
  if (waiting) {
    await Promise.all(waiting)
    rows.sort((a, b) => a.line - b.line)
    rejections.sort((a, b) => a.line - b.line)
  }
  return {rows, rejections}
}

export interface BatchWrite extends WriteOptions {
  /** Where the rows come from, for the audit trail. */
  source: string
  /** Runs after the importer wrote, before the audit event (a checkpoint; a rollback). */
  then?: (written: Written) => Promise<void> | void
}

/**
 * Writes a prepared batch in `transaction` with the importer, and its `import.batch` audit
 * event when it wrote anything; the rejections of the batch come back merged, by line.
 */
export async function writeRows(ctx: ServiceContext, transaction: Transaction, importer: EntityImporter<unknown>, batch: RowBatch, options: BatchWrite): Promise<Written> {
  const {rows} = batch
  // The importer waits for its turn itself (after preparing its data); without rows, here.
  if (rows.length === 0) await options.turn
  const {upsert, cache, turn} = options
  const outcome = rows.length > 0 ? await importer.write(ctx, transaction, rows, {upsert, ...(cache ? {cache} : {}), ...(turn ? {turn} : {})}) : undefined
  const rejections = [
    ...batch.rejections,
    ...(outcome?.rejected ?? []).map((r) => ({line: rows[r.index].line, field: r.field, reason: r.reason, raw: rows[r.index].raw})),
  ].sort((a, b) => a.line - b.line)
  const written = {inserted: outcome?.inserted ?? 0, updated: outcome?.updated ?? 0, rejections}
  await options.then?.(written)
  if (written.inserted + written.updated > 0) {
    await audit(ctx, transaction, {
      action: 'import.batch',
      entity: importer.entity.replace(/s$/, '').replace(/ie$/, 'y'),
      entityId: null,
      changes: {file: options.source, lines: [rows[0]?.line, rows.at(-1)?.line], inserted: written.inserted, updated: written.updated, rejected: rejections.length},
    })
  }
  return written
}

/** The batch size and bytes that fit the node's write-set limits. */
function fitWriteSet(limits: WriteSetLimits | undefined, batchSize: number): BatchLimits {
  let records = batchSize
  let bytes = BATCH_BYTES
  if (limits?.maxRows) records = Math.min(records, Math.max(1, Math.floor((limits.maxRows - ROWS_PER_BATCH) / ROWS_PER_RECORD)))
  if (limits?.loadDataSplit) records = Math.min(records, limits.loadDataSplit)
  if (limits?.maxBytes) bytes = Math.min(bytes, Math.max(1024, Math.floor(limits.maxBytes / WRITE_SET_PER_INPUT_BYTE)))
  return {records, first: FIRST_BATCH, bytes}
}

/** How a batch waits for the one before it when two are in flight. */
interface Previous {
  /** Its own writes are done (rejects if it failed). */
  wrote: Promise<void>
  /** It committed (rejects if it failed). */
  committed: Promise<void>
}

/** Writes batches into the database; see the file comment. */
class LocalSink implements Sink<RowBatch> {
  depth = 1
  earlier?: Checkpoint
  limits!: BatchLimits
  /** One transaction for everything (atomic, dry run, a folder's), or one per batch. */
  private whole?: Transaction
  /** The one transaction when this sink opened it (not a folder's): ended by finish or abort. */
  private own?: HeldTransaction
  private limitsOfNode?: WriteSetLimits
  /** Rows and input bytes the one transaction of an atomic or dry run holds so far, against the node's limits. */
  private readonly held = {rows: 0, bytes: 0}
  private readonly cache = new RefCache()
  private previous?: Previous
  private key?: string

  constructor(
    private readonly ctx: ServiceContext,
    private readonly plan: ImportPlan,
    private readonly input: ImportInput,
    private readonly outer: Transaction | undefined,
    readonly single: boolean,
  ) {}

  async open() {
    const {ctx, input, plan} = this
    this.key = this.single || input.file === '-' ? undefined : fileKey(plan.importer.entity, input.file)
    if (input.resume && this.key) this.earlier = await readCheckpoint(ctx, this.key)
    // A run that does not resume starts the file's report afresh.
    else if (this.key) await dropCheckpoint(ctx, this.key)
    this.limitsOfNode = await writeSetLimits(ctx.db)
    this.limits = fitWriteSet(this.limitsOfNode, plan.batchSize)
    // Last: it holds the process's writer turn until finish or abort, which the pipeline calls
    // only on a sink that opened; nothing after it here can fail.
    if (this.single && !this.outer) this.own = await heldTransaction(ctx)
    this.whole = this.outer ?? this.own?.transaction
    const pipelined = !this.whole && ctx.db.dialect === 'mysql' && Boolean(plan.importer.pipelined) && !input.upsert && input.maxErrors === undefined
    this.depth = pipelined ? 2 : 1
    return this
  }

  prepare(records: SourceRecord[]) {
    if (this.whole && this.limitsOfNode) this.hold(records)
    return prepareRows(this.ctx, this.plan.importer, this.plan.mapper, records)
  }

  /** Stops an import in one transaction before it outgrows the node's write set. */
  private hold(records: SourceRecord[]) {
    const {maxRows, maxBytes} = this.limitsOfNode!
    this.held.rows += records.length * ROWS_PER_RECORD + ROWS_PER_BATCH
    this.held.bytes += records.reduce((sum, r) => sum + (r.size ?? 0), 0) * WRITE_SET_PER_INPUT_BYTE
    if ((maxRows && this.held.rows > maxRows) || (maxBytes && this.held.bytes > maxBytes)) {
      throw new UsageError(
        `this import is too large for one transaction on this Galera node (wsrep_max_ws_rows ${maxRows ?? 'unlimited'}, wsrep_max_ws_size ${maxBytes ?? 'unlimited'} bytes); nothing was written`,
        {suggestion: 'import without --atomic/--dry-run (batch by batch), split the file, or raise the limits'},
      )
    }
  }

  private writeIn(transaction: Transaction, batch: RowBatch, done: number, previous?: Previous, wrote?: () => void) {
    const {ctx, input, key} = this
    return writeRows(ctx, transaction, this.plan.importer, batch, {
      upsert: Boolean(input.upsert),
      cache: this.cache,
      ...(previous ? {turn: this.plan.importer.pipelined === 'reads' ? previous.committed : previous.wrote} : {}),
      source: input.file === '-' ? 'stdin' : path.basename(input.file),
      then: async (written) => {
        wrote?.()
        // Between a batch's writes and its commit: what the next batch, pipelined, may and may not see.
        await testPause('import.batch.wrote')
        await previous?.committed
        if (key) await writeCheckpoint(ctx, transaction, {key, entity: this.plan.importer.entity, source: input.file, done, ...written})
      },
    })
  }

  write(batch: RowBatch, done: number): Promise<Written> {
    if (this.whole) return this.writeIn(this.whole, batch, done)
    if (this.depth === 1) return inTransaction(this.ctx, (transaction) => this.writeIn(transaction, batch, done))
    let wrote!: () => void
    let failed!: (error: unknown) => void
    const wroteGate = new Promise<void>((resolve, reject) => ((wrote = resolve), (failed = reject)))
    const previous = this.previous
    const result = inTransaction(this.ctx, (transaction) => this.writeIn(transaction, batch, done, previous, wrote))
    result.catch(failed)
    const committed = result.then(() => undefined)
    // Whoever waits on these handles their failure; these two only keep it from being "unhandled".
    wroteGate.catch(() => {})
    committed.catch(() => {})
    this.previous = {wrote: wroteGate, committed}
    return result
  }

  async finish(keep: boolean): Promise<boolean> {
    if (this.outer) return keep
    // In batches, the checkpoint stays, finished or not: `--resume` of a finished file then imports nothing and reports it as it was.
    if (!this.own) return true
    await this.own.end(keep)
    return keep
  }

  async abort() {
    await this.own?.end(false)
  }
}

/**
 * The local sink of an import of `input`. With `outer`, the whole file runs in the caller's
 * transaction (a folder imported atomically or dry): nothing is committed or rolled back here,
 * and the summary's `committed` says whether the caller should commit.
 */
export function localSink(ctx: ServiceContext, plan: ImportPlan, input: ImportInput, outer?: Transaction): Promise<Sink<RowBatch>> {
  return new LocalSink(ctx, plan, input, outer, Boolean(input.atomic || input.dryRun || outer)).open()
}
