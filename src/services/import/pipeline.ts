/**
 * The one import pipeline: source → records → batches → sink. It reads a file as a stream of
 * records (formats/records.ts), cuts them into batches (records and bytes, as the sink allows), and
 * hands each batch to a sink, which prepares it and writes it: a local sink writes into the
 * database (local.ts), a remote one sends it to a server (remote/transfer.ts). What every
 * import does the same way is here, once: the order of batches, pipelining (the next batch is
 * read and prepared while the sink writes the current one, at most `depth` batches in flight),
 * --max-errors, the rejections (in file order, earlier runs' first when resumed), the counts,
 * progress and the summary.
 */
import {UsageError, ValidationError} from '../../errors.js'
import type {FileFormat} from '../formats/format.js'
import {openInput, readRecordChunks, type SourceRecord} from '../formats/records.js'
import type {FieldMapper} from './fields.js'
import type {EntityImporter, ImportEntity} from './types.js'

/** Gives the event loop a turn (socket replies of a batch being written are handled then). */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

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
  /** Ctrl-C: no new batch starts; those in flight commit (in batches; --atomic and dry runs keep nothing), and the summary says `interrupted`. */
  signal?: AbortSignal
}

export interface ImportSummary {
  entity: ImportEntity
  file: string
  format: FileFormat
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
  /** Stopped by `signal` (Ctrl-C): what is committed stays, and `--resume` goes on from there. */
  interrupted: boolean
  unknownColumns: string[]
}

export const DEFAULT_BATCH = 5000
/** The first batch is at most this long, so that the database starts early. */
export const FIRST_BATCH = 1000

/** What an import reads and how: its importer, format, column mapping and batch size, checked. */
export interface ImportPlan {
  importer: EntityImporter<unknown>
  format: FileFormat
  mapper: FieldMapper
  batchSize: number
}

/** Where batches are cut: at `records` (the first at `first`), at `bytes` of input, never beyond `fits` bytes of `sizeOf`. */
export interface BatchLimits {
  records: number
  first: number
  bytes: number
  fits?: number
  sizeOf?: (record: SourceRecord) => number
}

/** A batch made ready to write; the rows it refused already (broken, or failing the row checks). */
export interface Prepared {
  rejections: Rejection[]
}

/** What a sink did with a batch. `refused`: more rejections than the budget allowed, nothing written. */
export interface Written {
  inserted: number
  updated: number
  /** All the batch's rejections (those of `Prepared` included), by line. */
  rejections: Rejection[]
  refused?: boolean
}

/** What earlier, interrupted runs of a file committed and reported: records done, rows written, the rows rejected. */
export interface Checkpoint {
  done: number
  inserted: number
  updated: number
  rejections: Rejection[]
}

export interface Sink<B extends Prepared> {
  limits: BatchLimits
  /** Batches that may be written at once (1: one after the other). */
  depth: number
  /** The whole file is one transaction (atomic, dry run): kept or not by `finish`. */
  single: boolean
  /** A resumed run: what to skip and report first. */
  earlier?: Checkpoint
  prepare(records: SourceRecord[]): Promise<B>
  /** Writes a batch; `done` is the file's records done once it commits, `budget` the rejections it may still have before writing. */
  write(batch: B, done: number, budget: number | undefined): Promise<Written>
  /** The end of a run (all batches written): commits when `keep` (single) and says whether the writes stay. */
  finish(keep: boolean, stoppedEarly: boolean): Promise<boolean>
  /** A failed run: lets go of what `finish` would have. */
  abort(): Promise<void>
}

/** Refuses a missing required column, named in the header of a file. */
export function headerCheck(mapper: FieldMapper) {
  return (columns: string[]) => {
    const missing = mapper.missingRequired(columns)
    if (missing.length > 0) {
      throw new ValidationError(`the file has no column for ${missing.join(', ')}`, {
        suggestion: `name the column in the header, or map it with --map <column>=${missing[0]}`,
      })
    }
  }
}

/**
 * Collects records into batches (see BatchLimits), dropping the first `skip` (a resumed run),
 * each handed to `onSkipped`. The event loop gets a turn after every chunk of the file.
 */
export async function* batches(
  chunks: AsyncIterable<SourceRecord[]>,
  limits: BatchLimits,
  skip: number,
  onSkipped?: (record: SourceRecord) => void,
): AsyncGenerator<SourceRecord[]> {
  let batch: SourceRecord[] = []
  let bytes = 0
  let size = Math.min(limits.records, limits.first)
  for await (const chunk of chunks) {
    for (const record of chunk) {
      if (skip > 0) {
        skip -= 1
        onSkipped?.(record)
        continue
      }
      const recordBytes = limits.sizeOf ? limits.sizeOf(record) : (record.size ?? 0)
      if (limits.fits !== undefined && batch.length > 0 && bytes + recordBytes > limits.fits) {
        yield batch
        ;[batch, bytes, size] = [[], 0, limits.records]
      }
      batch.push(record)
      bytes += recordBytes
      if (batch.length >= size || bytes >= limits.bytes) {
        yield batch
        ;[batch, bytes, size] = [[], 0, limits.records]
      }
    }
    await yieldToEventLoop()
  }
  if (batch.length > 0) yield batch
}

/** Imports `input` through `sink`; what stays is the sink's to say (see Sink). */
export async function runPipeline<B extends Prepared>(
  plan: ImportPlan,
  input: ImportInput,
  openSink: () => Promise<Sink<B>>,
): Promise<ImportSummary> {
  const started = performance.now()
  if (input.resume && input.file === '-') throw new UsageError('--resume needs a file, not stdin')
  const {stream, size} = openInput(input.file)
  const sink = await openSink().catch((error: unknown) => {
    stream.destroy()
    throw error
  })
  const run = new Run(input, sink, () => ({bytesRead: (stream as {bytesRead?: number}).bytesRead, totalBytes: size}))
  let committed: boolean
  try {
    const records = readRecordChunks(stream, plan.format, {onHeader: headerCheck(plan.mapper), fieldOf: (column) => plan.mapper.fieldOf(column)})
    await run.all(batches(records, sink.limits, run.skipped, run.skippedRecord))
    const stopped = run.stoppedEarly || run.interrupted
    const keep = !input.dryRun && !(input.atomic && (run.counts.rejected > 0 || stopped))
    committed = await sink.finish(keep, stopped)
  } catch (error) {
    // Batches may still be in flight (the failure came from reading, preparing or a batch before them): let them end.
    await Promise.allSettled(run.inFlight)
    await sink.abort().catch(() => {})
    throw error
  } finally {
    stream.destroy()
  }
  const counts = committed || input.dryRun ? run.counts : {...run.counts, inserted: 0, updated: 0}
  return {
    entity: plan.importer.entity,
    file: input.file,
    format: plan.format,
    ...counts,
    skipped: run.skipped,
    seconds: Math.round(performance.now() - started) / 1000,
    dryRun: Boolean(input.dryRun),
    atomic: Boolean(input.atomic),
    committed,
    stoppedEarly: run.stoppedEarly,
    interrupted: run.interrupted,
    unknownColumns: [...plan.mapper.unknownColumns],
  }
}

/** One run's state: counts, batches in flight, whether --max-errors stopped it. */
class Run<B extends Prepared> {
  readonly counts: {read: number; inserted: number; updated: number; rejected: number}
  readonly skipped: number
  /** Batches being written, oldest first. */
  readonly inFlight: Promise<Written>[] = []
  stoppedEarly = false
  interrupted = false
  private readonly maxErrors: number | undefined
  private readonly depth: number
  /** Earlier runs' rejections by line, not reported yet (see skippedRecord). */
  private readonly earlier = new Map<number, Rejection[]>()

  constructor(
    private readonly input: ImportInput,
    private readonly sink: Sink<B>,
    private readonly bytes: () => Pick<ImportProgress, 'bytesRead' | 'totalBytes'>,
  ) {
    const earlier = sink.earlier
    this.skipped = earlier?.done ?? 0
    this.maxErrors = input.maxErrors
    this.depth = input.maxErrors === undefined ? sink.depth : 1
    // A resumed run reports the whole file: what earlier runs committed, then its own.
    this.counts = {read: this.skipped, inserted: earlier?.inserted ?? 0, updated: earlier?.updated ?? 0, rejected: earlier?.rejections.length ?? 0}
    for (const rejection of earlier?.rejections ?? []) this.earlier.set(rejection.line, [...(this.earlier.get(rejection.line) ?? []), rejection])
  }

  /**
   * A record an earlier run committed, read again while skipping it: its rejections (the
   * checkpoint keeps no rows) are reported with the row as read, in file order, before the
   * rejections of this run.
   */
  readonly skippedRecord = (record: SourceRecord) => {
    const rejections = this.earlier.get(record.line)
    if (!rejections) return
    this.earlier.delete(record.line)
    for (const rejection of rejections) this.input.onRejected?.({...rejection, raw: record.raw})
  }

  /** Earlier rejections of lines the skipping did not meet (none, the file being the one checkpointed): reported without a row. */
  private reportUnmet() {
    for (const rejections of this.earlier.values()) for (const rejection of rejections) this.input.onRejected?.(rejection)
    this.earlier.clear()
  }

  private reject(rejection: Rejection) {
    this.counts.rejected += 1
    this.input.onRejected?.(rejection)
  }

  /** Reports up to --max-errors and one beyond it, then stops. */
  private stopWith(rejections: Rejection[]) {
    for (const rejection of rejections.slice(0, Math.max(0, this.maxErrors! - this.counts.rejected + 1))) this.reject(rejection)
    this.stoppedEarly = true
  }

  private async flush() {
    const written = await this.inFlight.shift()!
    if (written.refused) return this.stopWith(written.rejections)
    this.counts.inserted += written.inserted
    this.counts.updated += written.updated
    for (const rejection of written.rejections) this.reject(rejection)
    this.input.onProgress?.({...this.counts, ...this.bytes()})
    if (this.maxErrors !== undefined && this.counts.rejected > this.maxErrors) this.stoppedEarly = true
  }

  /** Prepares and writes every batch, in file order, until the end or --max-errors. */
  async all(source: AsyncIterable<SourceRecord[]>) {
    let done = this.skipped
    for await (const records of source) {
      // The first batch comes after every skipped record.
      this.reportUnmet()
      if (this.input.signal?.aborted) {
        this.interrupted = true
        break
      }
      const count = records.length
      this.counts.read += count
      const batch = await this.sink.prepare(records)
      // The records as read are not needed any more: let them die young, not wait for a batch to commit.
      records.length = 0
      while (this.inFlight.length >= this.depth) await this.flush()
      const budget = this.maxErrors === undefined ? undefined : this.maxErrors - this.counts.rejected - batch.rejections.length
      // Report up to the limit, then stop: nothing of this batch is written.
      if (budget !== undefined && budget < 0) return this.stopWith(batch.rejections)
      done += count
      const written = this.sink.write(batch, done, budget)
      // Awaited in flush; until then a failure must not count as an unhandled rejection.
      written.catch(() => {})
      this.inFlight.push(written)
      if (this.maxErrors !== undefined) {
        await this.flush()
        if (this.stoppedEarly) return
      }
    }
    this.reportUnmet()
    while (this.inFlight.length > 0) await this.flush()
  }
}
