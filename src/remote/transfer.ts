/**
 * Import and export against a remote `stayctl serve`, for the remote backend: the same input
 * as the local operations and the same results (summary, rejections with their lines, exit
 * codes, file bytes).
 *
 * Import: the import pipeline (services/import/pipeline.ts) with a remote sink. The file is
 * read here, as a local import reads it (same readers, header check, --map, broken records),
 * and its rows go to the server in batches through the `importRows` mutation, one request at a
 * time and in file order, each committed on its own like a local batch. The server checks the
 * rows (and --max-errors, given what is left of it); its rejections name rows by index: they
 * are given back their line and the row as read, and merged with the ones found here, by line. Batches close where a local
 * import's do up to 1,000 rows (the server's limit per request, also its first batch), and a
 * request stays under the server's body limit. What the server cannot do across requests is
 * refused before anything is sent: --resume (it keeps no checkpoints of remote runs), and
 * --atomic or --dry-run of more than one request's worth of rows or of a folder (one
 * transaction cannot span requests).
 *
 * Export: the server is asked for pages (`exportPage`) and this side writes the file with the
 * local export's formatter and output (a file appears only complete). Unlike a local export,
 * the pages are separate reads, not one snapshot.
 */
import path from 'node:path'

import {UsageError, ValidationError} from '../errors.js'
import {checkExportInput, exportFormatter, exportOutput, type ExportInput, type ExportSummary, type ExportValue} from '../services/export.js'
import type {FieldValues, SourceRecord} from '../services/formats/records.js'
import {folderFiles, folderSummary, importFiles, type FolderImportInput, type FolderImportSummary} from '../services/import/folder.js'
import {importPlan} from '../services/import/index.js'
import {FIRST_BATCH, runPipeline, type BatchLimits, type ImportInput, type ImportPlan, type ImportSummary, type Prepared, type Rejection, type Sink, type Written} from '../services/import/pipeline.js'
import {MAX_IMPORT_ROWS, type ImportRowsResult} from '../services/import/rows.js'
import type {RemoteClient} from './client.js'

/** JSON of the rows of one request, at most: the server takes bodies up to 1 MiB. */
export const MAX_REQUEST_ROW_BYTES = 768 * 1024

const IMPORT_ROWS = /* GraphQL */ `
  mutation ImportRows($input: ImportRowsInput!) {
    importRows(input: $input) {
      inserted
      updated
      committed
      stoppedEarly
      rejections { index field reason }
    }
  }
`

type BatchResult = Pick<ImportRowsResult, 'inserted' | 'updated' | 'committed' | 'stoppedEarly'> & {rejections: {index: number; field: string | null; reason: string}[]}

/** A batch to send: each record with its values by field name. */
interface Outgoing extends Prepared {
  rows: {record: SourceRecord; values: FieldValues}[]
}

const byLine = (a: Rejection, b: Rejection) => a.line - b.line

/**
 * The remote sink: each batch is one `importRows` request, in file order, one at a time. The
 * server checks the rows; here only what cannot be sent is rejected (a broken record, a row
 * larger than a request). With --atomic or --dry-run the whole file is one request.
 */
class RemoteSink implements Sink<Outgoing> {
  readonly depth = 1
  readonly limits: BatchLimits
  private readonly source: string

  constructor(
    private readonly client: RemoteClient,
    private readonly plan: ImportPlan,
    private readonly input: ImportInput,
    readonly single: boolean,
  ) {
    this.source = input.file === '-' ? 'stdin' : path.basename(input.file)
    const cap = Math.min(plan.batchSize, MAX_IMPORT_ROWS)
    const sizeOf = (record: SourceRecord) => (record.broken ? 0 : JSON.stringify(this.values(record)).length)
    // One batch beyond a request's rows stands for "too many" (see prepare).
    this.limits = single
      ? {records: MAX_IMPORT_ROWS + 1, first: MAX_IMPORT_ROWS + 1, bytes: Infinity, sizeOf}
      : {records: cap, first: FIRST_BATCH, bytes: Infinity, fits: MAX_REQUEST_ROW_BYTES, sizeOf}
  }

  private values(record: SourceRecord): FieldValues {
    return record.mapped ? record.values : this.plan.mapper.map(record.values)
  }

  /** What one request may not hold (--atomic or --dry-run of more than one): refused before anything is sent. */
  private tooLarge(what: string, suggestion: string): never {
    const flag = this.input.atomic ? 'atomic' : 'dry-run'
    throw new UsageError(`--${flag} over the API takes at most ${what} (one request), and ${this.input.file} has more`, {suggestion})
  }

  async prepare(records: SourceRecord[]): Promise<Outgoing> {
    if (this.single && records.length > MAX_IMPORT_ROWS) {
      this.tooLarge(`${MAX_IMPORT_ROWS} rows`, 'split the file, import it without that flag (--upsert makes a re-run safe), or run the import where the database is')
    }
    const rejections: Rejection[] = []
    const rows: Outgoing['rows'] = []
    let bytes = 0
    for (const record of records) {
      if (record.broken) {
        rejections.push({line: record.line, reason: record.broken, raw: record.raw})
        continue
      }
      const values = this.values(record)
      const size = JSON.stringify(values).length
      if (size > MAX_REQUEST_ROW_BYTES) {
        rejections.push({line: record.line, reason: `the row is larger than a request to the server may be (${MAX_REQUEST_ROW_BYTES / 1024} KiB)`, raw: record.raw})
        continue
      }
      rows.push({record, values})
      bytes += size
    }
    if (this.single && bytes > MAX_REQUEST_ROW_BYTES) {
      this.tooLarge(`${MAX_REQUEST_ROW_BYTES / 1024} KiB of rows`, 'split the file, or import it without that flag (--upsert makes a re-run safe)')
    }
    return {rows, rejections}
  }

  /** One request; the server's rejections come back with their line and row as read, merged with those found here. */
  async write(batch: Outgoing, _done: number, budget: number | undefined): Promise<Written> {
    const {rows, rejections} = batch
    if (rows.length === 0) return {inserted: 0, updated: 0, rejections}
    // Rows rejected here make an atomic import keep nothing: the server only checks the rest.
    const dryRun = this.input.dryRun || (this.single && rejections.length > 0)
    const {importRows: result} = await this.client.request<{importRows: BatchResult}>(IMPORT_ROWS, {
      input: {
        entity: this.plan.importer.entity,
        rows: rows.map((row) => row.values),
        firstLine: rows[0].record.line,
        upsert: Boolean(this.input.upsert),
        source: this.source,
        ...(this.input.atomic ? {atomic: true} : {}),
        ...(dryRun ? {dryRun: true} : {}),
        ...(budget === undefined ? {} : {maxErrors: budget}),
      },
    })
    const theirs = result.rejections.map((r): Rejection => {
      const {record} = rows[r.index]
      return {line: record.line, ...(r.field === null ? {} : {field: r.field}), reason: r.reason, raw: record.raw}
    })
    return {inserted: result.inserted, updated: result.updated, rejections: [...rejections, ...theirs].sort(byLine), refused: result.stoppedEarly}
  }

  /** The server kept the one request's writes exactly when `keep` holds (it saw the same rejections). */
  finish(keep: boolean): Promise<boolean> {
    return Promise.resolve(this.single ? keep : true)
  }

  abort(): Promise<void> {
    return Promise.resolve()
  }
}

/** Imports a file into the server's database; see the file comment. Same input and summary as importFile. */
export async function remoteImportFile(client: RemoteClient, input: ImportInput): Promise<ImportSummary> {
  const plan = importPlan(input)
  if (input.resume && input.file !== '-') {
    throw new UsageError('--resume works only where the database is (a local run): the server keeps no checkpoints of remote imports', {
      suggestion: 're-run with --upsert instead: rows that made it in are matched by their natural key and updated, not doubled',
    })
  }
  return runPipeline(plan, input, () => Promise.resolve(new RemoteSink(client, plan, input, Boolean(input.atomic || input.dryRun))))
}

/** Imports a folder into the server's database, file by file in dependency order; same input and summary as importFolder. */
export async function remoteImportFolder(client: RemoteClient, input: FolderImportInput): Promise<FolderImportSummary> {
  const started = performance.now()
  const files = folderFiles(input.dir)
  if (input.atomic || input.dryRun) {
    throw new UsageError(
      `--${input.atomic ? 'atomic' : 'dry-run'} of a folder needs one transaction for all its files, which a server cannot hold across requests`,
      {suggestion: 'import the folder without it (--upsert makes a re-run safe), or run it where the database is'},
    )
  }
  const {summaries, stoppedEarly} = await importFiles(files, input, (file) => remoteImportFile(client, file))
  return folderSummary(input.dir, summaries, started, {dryRun: false, atomic: false, committed: true, stoppedEarly})
}

const EXPORT_PAGE = /* GraphQL */ `
  query ExportPage($entity: ImportEntity!, $where: [String!], $includePasswordHashes: Boolean, $after: Int, $first: Int) {
    exportPage(entity: $entity, where: $where, includePasswordHashes: $includePasswordHashes, after: $after, first: $first) {
      columns
      rows
      endCursor
      hasNextPage
    }
  }
`

interface WirePage {
  columns: string[]
  rows: ExportValue[][]
  endCursor: number | null
  hasNextPage: boolean
}

/** Exports an entity from the server's database, page by page; same input, bytes and summary as exportEntity. */
export async function remoteExportEntity(client: RemoteClient, input: ExportInput): Promise<ExportSummary> {
  const started = performance.now()
  const checked = checkExportInput(input)
  const out = exportOutput(input, checked.passwordHashes)
  const text = exportFormatter(checked.format, checked.columns)
  try {
    await out.write(text.header())
    let after: number | null = null
    for (;;) {
      const {exportPage: page}: {exportPage: WirePage} = await client.request<{exportPage: WirePage}>(
        EXPORT_PAGE,
        {entity: checked.entity, where: input.where ?? [], includePasswordHashes: checked.passwordHashes, after, first: input.pageSize ?? 1000},
        {idempotent: true},
      )
      if (page.columns.join(',') !== checked.columns.join(',')) {
        throw new ValidationError(`the server exports ${checked.entity} with the columns ${page.columns.join(', ')}, not ${checked.columns.join(', ')}`, {
          suggestion: 'use a stayctl of the same version as the server',
        })
      }
      await out.write(text.rows(page.rows))
      if (!page.hasNextPage || page.endCursor === null) break
      after = page.endCursor
    }
    await out.write(text.footer())
  } catch (error) {
    out.abort()
    throw error
  }
  await out.finish()
  return {
    entity: checked.entity,
    format: checked.format,
    output: input.output ?? null,
    rows: text.count,
    passwordHashes: checked.passwordHashes,
    seconds: Math.round(performance.now() - started) / 1000,
  }
}
