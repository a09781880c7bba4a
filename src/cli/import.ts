/**
 * What `stayctl import` and `stayctl import all` share: the flags that choose how an import
 * writes (and their translation into the service's options), the error files of rejected
 * rows, the progress line on stderr and the summary line of a file.
 */
import fs from 'node:fs'
import v8 from 'node:v8'

import {Flags} from '@oclif/core'

import {LOCK_WAIT_MESSAGE, lockWaitTimedOut} from '../db/lock-wait.js'
import {ConflictError} from '../errors.js'
import type {ImportInput, ImportProgress, ImportSummary, Rejection} from '../services/import/index.js'
import {openRejectionsFile, type RejectionsFile} from '../services/import/rejections-file.js'

export type ImportModes = Pick<ImportInput, 'atomic' | 'dryRun' | 'upsert' | 'resume' | 'maxErrors' | 'batchSize'>

/** The mode flags of an import of one file, or of a folder (where atomic, dry run and --max-errors read per folder or file). */
export function importModeFlags(scope: 'file' | 'folder') {
  const folder = scope === 'folder'
  return {
    atomic: Flags.boolean({
      description: folder ? 'All or nothing, for the whole folder' : 'All or nothing: commit only if no row is rejected',
      exclusive: ['dry-run', 'resume'],
    }),
    'dry-run': Flags.boolean({description: folder ? 'Validate every file, write nothing' : 'Validate everything, write nothing', exclusive: ['atomic', 'resume']}),
    upsert: Flags.boolean({description: 'Update existing rows (matched by natural key) instead of rejecting them'}),
    resume: Flags.boolean({description: folder ? 'Skip the rows interrupted runs of these files committed' : 'Skip the rows an interrupted run of this same file committed'}),
    'max-errors': Flags.integer({description: folder ? 'Stop after this many rejected rows in one file' : 'Stop after this many rejected rows', min: 0}),
    'batch-size': Flags.integer({
      description:
        'Rows per batch and transaction (fewer when rows are wide: a batch holds at most 4 MiB; the first at most 1,000 rows)',
      default: 5000,
      min: 1,
      max: 100_000,
    }),
  }
}

/** The parsed mode flags as the import service's options. */
export function importModes(flags: {
  atomic?: boolean
  'dry-run'?: boolean
  upsert?: boolean
  resume?: boolean
  'max-errors'?: number
  'batch-size'?: number
}): ImportModes {
  return {
    atomic: flags.atomic,
    dryRun: flags['dry-run'],
    upsert: flags.upsert,
    resume: flags.resume,
    maxErrors: flags['max-errors'],
    batchSize: flags['batch-size'],
  }
}

/**
 * Error files by path, each created at its first rejected row. `finish` closes them and
 * removes the given paths that got no row in this run: a stale error file of an earlier run
 * would mislead.
 */
export class ErrorFiles {
  private readonly open = new Map<string, RejectionsFile>()

  /** Writes `rejection`, a row of `source` (a path, or '-'), to the error file `path`. */
  write(path: string, source: string, rejection: Rejection): void {
    let file = this.open.get(path)
    if (!file) this.open.set(path, (file = openRejectionsFile(path, source)))
    file.write(rejection)
  }

  /** The files that got rejected rows, in the order of their first one. */
  get written(): string[] {
    return [...this.open.keys()]
  }

  async finish(paths: Iterable<string>): Promise<void> {
    for (const file of this.open.values()) await file.close()
    for (const path of paths) if (!this.open.has(path)) fs.rmSync(path, {force: true})
  }
}

/** The progress line on stderr (people at a terminal only): rows read and written, rate, ETA. */
export class ProgressLine {
  private lastDraw = 0
  private entity?: string
  private started = 0

  constructor(private readonly enabled: boolean) {}

  /** Drawn for a terminal, not under CI or --json. */
  static forTerminal(json: boolean): ProgressLine {
    return new ProgressLine(Boolean(process.stderr.isTTY) && process.env.CI !== 'true' && !json)
  }

  draw(entity: string, p: ImportProgress): void {
    if (!this.enabled) return
    const now = performance.now()
    if (entity !== this.entity) {
      this.entity = entity
      this.started = now
    }
    if (now - this.lastDraw < 250) return
    this.lastDraw = now
    const seconds = (now - this.started) / 1000
    const rate = seconds > 0 ? p.read / seconds : 0
    const eta = p.totalBytes && p.bytesRead ? ((p.totalBytes - p.bytesRead) / p.bytesRead) * seconds : undefined
    process.stderr.write(
      `\r${entity}: ${p.read.toLocaleString()} read, ${(p.inserted + p.updated).toLocaleString()} written, ${p.rejected} rejected, ` +
        `${Math.round(rate).toLocaleString()} rows/s${eta === undefined ? '' : `, ETA ${Math.ceil(eta)} s`}   `,
    )
  }

  clear(): void {
    if (this.enabled) process.stderr.write('\r\x1b[K')
  }
}

/** What was done to rows, by the outcome: written, would be written (dry run), or rolled back. */
export function writtenVerb(summary: Pick<ImportSummary, 'dryRun' | 'committed'>): string {
  return summary.dryRun ? 'would write' : summary.committed ? 'wrote' : 'wrote nothing of'
}

/** A file's summary line: "users: 10 read, wrote 9 new and 0 updated, 1 rejected in 0.1 s." */
export function summaryLine(s: ImportSummary, verb = writtenVerb(s)): string {
  return (
    `${s.entity}: ${s.read} read, ${verb} ${s.inserted} new and ${s.updated} updated, ${s.rejected} rejected` +
    `${s.skipped ? `, ${s.skipped} skipped (resumed)` : ''} in ${s.seconds.toFixed(1)} s.`
  )
}

/** The exit code of a command stopped by Ctrl-C, as a shell gives it (128 + SIGINT). */
export const INTERRUPTED_EXIT = 130

/**
 * The first Ctrl-C asks the import to stop at the next batch (those in flight commit, and
 * their checkpoint with them); a second one ends the process at once, as Ctrl-C usually does.
 */
export function interruptOnSigint(): {signal: AbortSignal; release(): void} {
  const controller = new AbortController()
  const onSigint = () => {
    process.removeListener('SIGINT', onSigint)
    process.stderr.write('\nStopping after the batches in flight (Ctrl-C again to stop at once)…\n')
    controller.abort()
  }
  process.on('SIGINT', onSigint)
  return {signal: controller.signal, release: () => process.removeListener('SIGINT', onSigint)}
}

/** What an interrupted import kept, and how to go on. */
export function interruptedLine(s: ImportSummary, command: string): string {
  if (!s.committed) return 'Interrupted: nothing was written (the import was one transaction); run it again.'
  return `Interrupted: ${s.read} records of the file are done (${s.inserted} new, ${s.updated} updated, ${s.rejected} rejected, committed). Go on with: ${command} --resume`
}

/**
 * An import of a file or a folder, batch by batch, that stopped because another writer held the lock longer
 * than a write waits for it (db/lock-wait.ts): the batches committed before stay, and `--resume`
 * goes on from there, as after Ctrl-C. Any other error is returned as it is.
 */
export function resumable(error: unknown, modes: ImportModes, source: string, command: string): unknown {
  if (source === '-' || modes.atomic || modes.dryRun) return error
  if (!lockWaitTimedOut(error) && !(error instanceof ConflictError && lockWaitTimedOut(error.cause))) return error
  return new ConflictError(LOCK_WAIT_MESSAGE, {cause: error, suggestion: `the batches committed before it stay; go on with: ${command} --resume`})
}

/** From this size on (and for stdin, of unknown size) an import caps the heap's growth (capHeapGrowth). */
const LARGE_INPUT_BYTES = 32 * 1024 * 1024

/**
 * A large import allocates fast and keeps little: V8's heap may then grow by at most 2x its live
 * size after a full GC (it allows up to 4x), which keeps a 1,000,000-row import near 150 MB
 * instead of 230 MB, at no measurable cost in speed (V8 reads the flag at every GC). Only for
 * large inputs, and set back when the import ends (the returned function): V8 stamps code caches
 * with its flags, so the modules loaded while the flag is set refuse their caches, and caches
 * written with it set would be refused by every later start (src/cli/compile-cache.ts).
 */
export function capHeapGrowth(file: string): () => void {
  const size = file === '-' ? Infinity : (fs.statSync(file, {throwIfNoEntry: false})?.size ?? 0)
  if (size < LARGE_INPUT_BYTES) return () => {}
  v8.setFlagsFromString('--heap-growing-percent=100')
  return () => v8.setFlagsFromString('--heap-growing-percent=0')
}
