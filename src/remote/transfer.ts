/**
 * Import and export against a remote `stayctl serve`, for the remote backend: the same input
 * as the local operations and the same results (summary, rejections with their lines, exit
 * codes, file bytes).
 *
 * Import: the file is read here, as a local import reads it (same readers, header check,
 * --map, broken records), and its rows go to the server in batches through the `importRows`
 * mutation, one request at a time and in file order, each committed on its own like a local
 * batch. The server's rejections name rows by index; they are given back their line and the
 * row as read, and merged with the ones found here, by line. Batches close where a local
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
import type {ServiceContext} from '../services/context.js'
import {checkExportInput, exportFormatter, exportOutput, type ExportInput, type ExportSummary, type ExportValue} from '../services/export.js'
import type {FieldMapper} from '../services/import/fields.js'
import {folderFiles, folderSummary, type FolderImportInput, type FolderImportSummary} from '../services/import/folder.js'
import {FIRST_BATCH, importPlan, type ImportInput, type ImportSummary, type Rejection} from '../services/import/index.js'
import {MAX_IMPORT_ROWS, type ImportRowsResult} from '../services/import/rows.js'
import {openInput, readRecordChunks, type SourceRecord} from '../services/import/source.js'
import {RowError, type EntityImporter} from '../services/import/types.js'
import type {RemoteClient} from './client.js'

/** JSON of the rows of one request, at most: the server takes bodies up to 1 MiB. */
export const MAX_REQUEST_ROW_BYTES = 768 * 1024

const IMPORT_ROWS = /* GraphQL */ `
  mutation ImportRows($input: ImportRowsInput!) {
    importRows(input: $input) {
      inserted
      updated
      committed
      rejections { index field reason }
    }
  }
`

type BatchResult = Pick<ImportRowsResult, 'inserted' | 'updated' | 'committed'> & {rejections: {index: number; field: string | null; reason: string}[]}

/** A record to send: its values by field name, and what the error file needs. */
interface Outgoing {
  record: SourceRecord
  values: Record<string, string | undefined>
  bytes: number
}

const byLine = (a: Rejection, b: Rejection) => a.line - b.line

/**
 * Parses rows here, as a local import does before writing, to know its row rejections before
 * anything is sent (only --max-errors needs that). Passwords are hashed at the lowest cost:
 * the hash is thrown away, the server hashes again at its own.
 */
async function parseHere(importer: EntityImporter<unknown>, rows: Outgoing[]) {
  const ctx = {bcryptCost: 4} as ServiceContext
  const rejections: Rejection[] = []
  const good: Outgoing[] = []
  await Promise.all(
    rows.map(async (row) => {
      try {
        await importer.parse(row.values, ctx)
        good.push(row)
      } catch (error) {
        if (!(error instanceof RowError)) throw error
        rejections.push({line: row.record.line, field: error.field, reason: error.message, raw: row.record.raw})
      }
    }),
  )
  good.sort((a, b) => a.record.line - b.record.line)
  return {good, rejections: rejections.sort(byLine)}
}

/** Imports a file into the server's database; see the file comment. Same input and summary as importFile. */
export async function remoteImportFile(client: RemoteClient, input: ImportInput): Promise<ImportSummary> {
  const started = performance.now()
  const {importer, format, mapper, batchSize} = importPlan(input)
  const single = Boolean(input.atomic || input.dryRun)
  if (input.resume && input.file === '-') throw new UsageError('--resume needs a file, not stdin')
  if (input.resume) {
    throw new UsageError('--resume works only where the database is (a local run): the server keeps no checkpoints of remote imports', {
      suggestion: 're-run with --upsert instead: rows that made it in are matched by their natural key and updated, not doubled',
    })
  }
  const {stream, size} = openInput(input.file)
  const source = input.file === '-' ? 'stdin' : path.basename(input.file)

  const counts = {read: 0, inserted: 0, updated: 0, rejected: 0}
  let stoppedEarly = false
  let committed = !single
  const reject = (rejection: Rejection) => {
    counts.rejected += 1
    input.onRejected?.(rejection)
  }
  const progress = () => input.onProgress?.({...counts, bytesRead: (stream as {bytesRead?: number}).bytesRead, totalBytes: size})
  const checkHeader = (columns: string[]) => {
    const missing = mapper.missingRequired(columns)
    if (missing.length > 0) {
      throw new ValidationError(`the file has no column for ${missing.join(', ')}`, {
        suggestion: `name the column in the header, or map it with --map <column>=${missing[0]}`,
      })
    }
  }

  /** One request: the rows, as one batch of the server's; rejections come back with line and row. */
  const send = async (rows: Outgoing[], mode: {atomic?: boolean; dryRun?: boolean}) => {
    if (rows.length === 0) return {inserted: 0, updated: 0, committed: true, rejections: [] as Rejection[]}
    const {importRows: result} = await client.request<{importRows: BatchResult}>(IMPORT_ROWS, {
      input: {
        entity: importer.entity,
        rows: rows.map((row) => row.values),
        firstLine: rows[0].record.line,
        upsert: Boolean(input.upsert),
        source,
        ...(mode.atomic ? {atomic: true} : {}),
        ...(mode.dryRun ? {dryRun: true} : {}),
      },
    })
    const rejections = result.rejections.map((r) => {
      const {record} = rows[r.index]
      return {line: record.line, ...(r.field === null ? {} : {field: r.field}), reason: r.reason, raw: record.raw}
    })
    return {...result, rejections}
  }

  /** Splits a batch of records into those to send and those rejected here (broken, too large, or --max-errors' parse). */
  const prepare = async (records: SourceRecord[]) => {
    const rejections: Rejection[] = []
    let rows: Outgoing[] = []
    for (const record of records) {
      if (record.broken) {
        rejections.push({line: record.line, reason: record.broken, raw: record.raw})
        continue
      }
      const values = record.mapped ? record.values : mapper.map(record.values)
      const bytes = JSON.stringify(values).length
      if (bytes > MAX_REQUEST_ROW_BYTES) {
        rejections.push({line: record.line, reason: `the row is larger than a request to the server may be (${MAX_REQUEST_ROW_BYTES / 1024} KiB)`, raw: record.raw})
        continue
      }
      rows.push({record, values, bytes})
    }
    if (input.maxErrors !== undefined) {
      const parsed = await parseHere(importer, rows)
      rows = parsed.good
      rejections.push(...parsed.rejections)
    }
    return {rows, rejections: rejections.sort(byLine)}
  }

  try {
    const records = readRecordChunks(stream, format, {onHeader: checkHeader, fieldOf: (column) => mapper.fieldOf(column)})
    if (single) {
      // One request for the whole file, or nothing at all.
      const all: SourceRecord[] = []
      for await (const chunk of records) {
        all.push(...chunk)
        if (all.length > MAX_IMPORT_ROWS) {
          throw new UsageError(
            `--${input.atomic ? 'atomic' : 'dry-run'} over the API takes at most ${MAX_IMPORT_ROWS} rows (one request), and ${input.file} has more`,
            {suggestion: 'split the file, import it without that flag (--upsert makes a re-run safe), or run the import where the database is'},
          )
        }
      }
      counts.read = all.length
      const prepared = await prepare(all)
      if (prepared.rows.reduce((sum, row) => sum + row.bytes, 0) > MAX_REQUEST_ROW_BYTES) {
        throw new UsageError(`--${input.atomic ? 'atomic' : 'dry-run'} over the API takes at most ${MAX_REQUEST_ROW_BYTES / 1024} KiB of rows (one request), and ${input.file} has more`, {
          suggestion: 'split the file, or import it without that flag (--upsert makes a re-run safe)',
        })
      }
      if (input.maxErrors !== undefined && prepared.rejections.length > input.maxErrors) {
        for (const rejection of prepared.rejections.slice(0, input.maxErrors + 1)) reject(rejection)
        stoppedEarly = true
      } else {
        // Rows rejected here make an atomic import keep nothing: the server only checks the rest.
        const keepNothing = Boolean(input.dryRun) || prepared.rejections.length > 0
        const result = await send(prepared.rows, {atomic: input.atomic, dryRun: keepNothing})
        for (const rejection of [...prepared.rejections, ...result.rejections].sort(byLine)) reject(rejection)
        committed = !keepNothing && result.committed
        if (input.dryRun || committed) {
          counts.inserted = result.inserted
          counts.updated = result.updated
        }
      }
      progress()
    } else {
      for await (const batch of remoteBatches(records, batchSize, mapper)) {
        counts.read += batch.length
        const prepared = await prepare(batch)
        if (input.maxErrors !== undefined && counts.rejected + prepared.rejections.length > input.maxErrors) {
          // Report up to the limit, then stop: nothing of this batch is sent.
          for (const rejection of prepared.rejections.slice(0, Math.max(0, input.maxErrors - counts.rejected + 1))) reject(rejection)
          stoppedEarly = true
          break
        }
        const result = await send(prepared.rows, {})
        counts.inserted += result.inserted
        counts.updated += result.updated
        for (const rejection of [...prepared.rejections, ...result.rejections].sort(byLine)) reject(rejection)
        progress()
        if (input.maxErrors !== undefined && counts.rejected > input.maxErrors) {
          stoppedEarly = true
          break
        }
      }
    }
  } finally {
    stream.destroy()
  }
  return {
    entity: importer.entity,
    file: input.file,
    format,
    ...counts,
    skipped: 0,
    seconds: Math.round(performance.now() - started) / 1000,
    dryRun: Boolean(input.dryRun),
    atomic: Boolean(input.atomic),
    committed,
    stoppedEarly,
    unknownColumns: [...mapper.unknownColumns],
  }
}

/**
 * Batches as a local import makes them (the first at most FIRST_BATCH records, then
 * `batchSize`), but never more than one request takes: MAX_IMPORT_ROWS rows, and about
 * MAX_REQUEST_ROW_BYTES of them as JSON (measured as sent, so mapped here already).
 */
async function* remoteBatches(chunks: AsyncIterable<SourceRecord[]>, batchSize: number, mapper: FieldMapper): AsyncGenerator<SourceRecord[]> {
  const cap = Math.min(batchSize, MAX_IMPORT_ROWS)
  let size = Math.min(cap, FIRST_BATCH)
  let batch: SourceRecord[] = []
  let bytes = 0
  for await (const chunk of chunks) {
    for (const record of chunk) {
      const recordBytes = record.broken ? 0 : JSON.stringify(record.mapped ? record.values : mapper.map(record.values)).length
      if (batch.length > 0 && bytes + recordBytes > MAX_REQUEST_ROW_BYTES) {
        yield batch
        batch = []
        bytes = 0
        size = cap
      }
      batch.push(record)
      bytes += recordBytes
      if (batch.length >= size) {
        yield batch
        batch = []
        bytes = 0
        size = cap
      }
    }
  }
  if (batch.length > 0) yield batch
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
  const summaries: ImportSummary[] = []
  let stoppedEarly = false
  for (const {entity, file} of files) {
    input.onFile?.(entity, file)
    const summary = await remoteImportFile(client, {
      entity,
      file,
      upsert: input.upsert,
      resume: input.resume,
      maxErrors: input.maxErrors,
      batchSize: input.batchSize,
      onRejected: (rejection) => input.onRejected?.(entity, file, rejection),
      onProgress: (progress) => input.onProgress?.(entity, progress),
    })
    summaries.push(summary)
    if (summary.stoppedEarly) {
      stoppedEarly = true
      break
    }
  }
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
  const out = exportOutput(input)
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
