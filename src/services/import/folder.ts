/**
 * Importing a folder: `users.*`, `properties.*`, `bookings.*`, `reviews.*` and `payments.*`
 * (csv, json, ndjson or jsonl), each through the import pipeline, in that order, so that every file
 * finds the rows it refers to. With `atomic` or `dryRun` the whole folder is one transaction
 * (a dry run of bookings must see the properties the same run would have written); it is
 * committed only when no file rejected a row (atomic), and never for a dry run.
 */
import fs from 'node:fs'
import path from 'node:path'

import {UsageError, ValidationError} from '../../errors.js'
import type {ServiceContext} from '../context.js'
import {heldTransaction} from '../transaction.js'
import {importFile, type ImportInput, type ImportProgress, type ImportSummary, type Rejection} from './index.js'
import {IMPORT_ENTITIES, type ImportEntity} from './types.js'
import {requireAdmin} from '../authz.js'

const EXTENSIONS = ['.csv', '.json', '.ndjson', '.jsonl']

export interface FolderImportInput extends Pick<ImportInput, 'atomic' | 'dryRun' | 'upsert' | 'resume' | 'maxErrors' | 'batchSize'> {
  dir: string
  /** Called before each file is read (to open its error file, say). */
  onFile?: (entity: ImportEntity, file: string) => void
  onRejected?: (entity: ImportEntity, file: string, rejection: Rejection) => void
  onProgress?: (entity: ImportEntity, progress: ImportProgress) => void
}

/** The totals of the files, with the same meaning as in each file's summary. */
export interface FolderImportSummary
  extends Pick<ImportSummary, 'read' | 'inserted' | 'updated' | 'rejected' | 'skipped' | 'seconds' | 'dryRun' | 'atomic' | 'committed'> {
  dir: string
  /** One summary per file, in the order imported. */
  files: ImportSummary[]
  /** A file reached --max-errors; the files after it were not read. */
  stoppedEarly: boolean
}

/** The files of a folder import, in dependency order. */
export function folderFiles(dir: string): {entity: ImportEntity; file: string}[] {
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch {
    throw new ValidationError(`cannot read the folder ${dir}`, {suggestion: 'give a folder holding users.csv, properties.csv, …'})
  }
  const found: {entity: ImportEntity; file: string}[] = []
  for (const entity of IMPORT_ENTITIES) {
    const matches = names.filter((name) => {
      const ext = path.extname(name).toLowerCase()
      return EXTENSIONS.includes(ext) && path.basename(name, path.extname(name)).toLowerCase() === entity
    })
    if (matches.length > 1) throw new UsageError(`${dir} holds ${matches.join(' and ')}: keep one file per entity`)
    if (matches.length === 1) found.push({entity, file: path.join(dir, matches[0])})
  }
  if (found.length === 0) {
    throw new ValidationError(`${dir} holds none of ${IMPORT_ENTITIES.map((e) => `${e}.*`).join(', ')}`, {
      suggestion: `name the files after what they hold: ${IMPORT_ENTITIES.join(', ')} (.csv, .json or .ndjson)`,
    })
  }
  return found
}

/** The input of an import of one file of a folder. */
export type FolderFileInput = Omit<ImportInput, 'format' | 'map'>

/**
 * The pipeline run per file of a folder, in dependency order, until a file reaches
 * --max-errors: the files' summaries, and whether one stopped early. Local and remote alike.
 */
export async function importFiles(
  files: {entity: ImportEntity; file: string}[],
  input: FolderImportInput,
  importOne: (file: FolderFileInput) => Promise<ImportSummary>,
) {
  const summaries: ImportSummary[] = []
  const {atomic, dryRun, upsert, resume, maxErrors, batchSize} = input
  for (const {entity, file} of files) {
    input.onFile?.(entity, file)
    const summary = await importOne({
      entity,
      file,
      ...{atomic, dryRun, upsert, resume, maxErrors, batchSize},
      onRejected: (rejection) => input.onRejected?.(entity, file, rejection),
      onProgress: (progress) => input.onProgress?.(entity, progress),
    })
    summaries.push(summary)
    if (summary.stoppedEarly) return {summaries, stoppedEarly: true}
  }
  return {summaries, stoppedEarly: false}
}

/** Imports a folder in dependency order; see the file comment. */
export async function importFolder(ctx: ServiceContext, input: FolderImportInput): Promise<FolderImportSummary> {
  requireAdmin(ctx, 'import data')
  const started = performance.now()
  const files = folderFiles(input.dir)
  const outer = input.atomic || input.dryRun ? await heldTransaction(ctx) : undefined
  let run: Awaited<ReturnType<typeof importFiles>>
  try {
    run = await importFiles(files, input, (file) => importFile(ctx, file, outer?.transaction))
  } catch (error) {
    await outer?.end(false).catch(() => {})
    throw error
  }
  let committed = true
  if (outer) {
    committed = !input.dryRun && run.summaries.every((s) => s.committed)
    await outer.end(committed)
    for (const summary of run.summaries) {
      summary.committed = committed
      if (!committed && !input.dryRun) Object.assign(summary, {inserted: 0, updated: 0})
    }
  }
  return folderSummary(input.dir, run.summaries, started, {dryRun: Boolean(input.dryRun), atomic: Boolean(input.atomic), committed, stoppedEarly: run.stoppedEarly})
}

/** A folder import's summary: the per-file summaries and their totals (local and remote imports alike). */
export function folderSummary(
  dir: string,
  summaries: ImportSummary[],
  started: number,
  state: Pick<FolderImportSummary, 'dryRun' | 'atomic' | 'committed' | 'stoppedEarly'>,
): FolderImportSummary {
  const total = (field: 'read' | 'inserted' | 'updated' | 'rejected' | 'skipped') => summaries.reduce((sum, s) => sum + s[field], 0)
  return {
    dir,
    files: summaries,
    read: total('read'),
    inserted: total('inserted'),
    updated: total('updated'),
    rejected: total('rejected'),
    skipped: total('skipped'),
    seconds: Math.round(performance.now() - started) / 1000,
    ...state,
  }
}
