/**
 * The error file of an import: one line per rejected row with its line number, the field
 * to blame and the reason, plus the row as read, so it can be fixed and imported again.
 * CSV (RFC 4180) by default; NDJSON when the file name ends in .ndjson or .jsonl. Written by
 * the record writer of export (formats/writer.ts), with export's formula quoting (formats/
 * cells.ts): an error file is opened in spreadsheets, and a rejected row that starts with `=`
 * must not run there. The quote is the one `import` takes off again, so a row copied back
 * into a CSV file imports as it was read.
 */
import fs from 'node:fs'

import {csvLine, recordWriter} from '../formats/writer.js'
import type {Rejection} from './index.js'

export interface RejectionsFile {
  write(rejection: Rejection): void
  close(): Promise<void>
  readonly path: string
  /** Rejections written so far. */
  readonly written: number
}

/** The row as read, as one CSV field: a CSV record's fields as a CSV line, other text as it is, anything else as JSON. */
function rowText(raw: unknown): string {
  if (raw === null || raw === undefined) return ''
  if (Array.isArray(raw)) return csvLine(raw)
  return typeof raw === 'string' ? raw : JSON.stringify(raw)
}

/** The permission bits an error file may have: those of `source` (a path, or '-' for stdin: the owner's alone). */
function modeLike(source: string): number {
  if (source === '-') return 0o600
  try {
    return fs.statSync(source).mode & 0o666
  } catch {
    return 0o600
  }
}

/** `file` opened for writing, empty, with at most `mode`'s permissions (an existing file's are narrowed; not a device's, e.g. /dev/stderr). */
function openNarrowed(file: string, mode: number): fs.WriteStream {
  const fd = fs.openSync(file, 'w', mode)
  const stat = fs.fstatSync(fd)
  if (stat.isFile() && (stat.mode & 0o777 & ~mode) !== 0) fs.fchmodSync(fd, stat.mode & 0o777 & mode)
  return fs.createWriteStream('', {fd, encoding: 'utf8'})
}

/** The error file `file` of an import of `source` (its rows' permissions: see the top of this file). */
export function openRejectionsFile(file: string, source: string): RejectionsFile {
  const ndjson = /\.(ndjson|jsonl)$/i.test(file)
  const records = recordWriter(ndjson ? 'ndjson' : 'csv', ['line', 'field', 'reason', 'row'], {neutralise: !ndjson})
  const out = openNarrowed(file, modeLike(source))
  if (!ndjson) out.write(records.header())
  let closed: Promise<void> | undefined
  return {
    path: file,
    get written() {
      return records.count
    },
    write(rejection) {
      const row = ndjson ? (rejection.raw ?? null) : rowText(rejection.raw)
      out.write(records.rows([[rejection.line, rejection.field ?? null, rejection.reason, row]]))
    },
    // CSV and NDJSON end with their last record: there is no footer to write.
    close: () => (closed ??= new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())))),
  }
}
