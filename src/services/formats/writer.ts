/**
 * Writing records as CSV, JSON or NDJSON: for `export` (locally, and on the client of a remote
 * export: src/remote/transfer.ts), for the error file of an import (import/rejections-file.ts)
 * and, the CSV lines only, for `list --csv` (src/cli/render.ts).
 *
 * CSV is RFC 4180 with CRLF line ends, the column names as its header; a field is quoted when
 * it holds a quote, a comma or a line break. Cells are written as they are unless the writer
 * is told to neutralise formulas (cells.ts), which export and `list --csv` do. JSON is one
 * array with an object per line; NDJSON an object per line. Objects have the columns as keys,
 * in column order, and the values as they are.
 */
import {neutraliseCell} from './cells.js'
import type {FileFormat} from './format.js'

/** A CSV field: in double quotes, its quotes doubled, when it holds a quote, comma or line break. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/**
 * One CSV line of `values`, without its line break: null and undefined are empty fields, any
 * other value its text; with `neutralise`, a cell a spreadsheet would run starts with a `'`.
 */
export function csvLine(values: readonly unknown[], neutralise = false): string {
  let line = ''
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    const text = value === null || value === undefined ? '' : String(value)
    line += (i === 0 ? '' : ',') + csvField(neutralise ? neutraliseCell(text) : text)
  }
  return line
}

/** The text of a file of records, piece by piece: `header()`, `rows(page)` for each page, `footer()`. */
export interface RecordWriter {
  /** CSV: the header line; JSON: the opening `[`; NDJSON: nothing. */
  header(): string
  /** The records of a page, each its values in column order. */
  rows(page: readonly (readonly unknown[])[]): string
  /** JSON: the closing `]`; CSV and NDJSON: nothing. */
  footer(): string
  /** Records written so far. */
  readonly count: number
}

export function recordWriter(format: FileFormat, columns: readonly string[], options: {neutralise?: boolean} = {}): RecordWriter {
  const neutralise = Boolean(options.neutralise)
  let count = 0
  return {
    header: () => (format === 'csv' ? csvLine(columns) + '\r\n' : format === 'json' ? '[' : ''),
    rows(page) {
      let chunk = ''
      for (const values of page) {
        if (format === 'csv') chunk += csvLine(values, neutralise) + '\r\n'
        else {
          const object = JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, values[i]])))
          chunk += format === 'ndjson' ? `${object}\n` : `${count === 0 ? '\n' : ',\n'}${object}`
        }
        count += 1
      }
      return chunk
    },
    footer: () => (format === 'json' ? (count === 0 ? ']\n' : '\n]\n') : ''),
    get count() {
      return count
    },
  }
}
