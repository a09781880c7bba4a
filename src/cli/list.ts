/**
 * Rendering of a page of results for list commands (Heroku's and gh's conventions): a table on
 * a terminal, tab-separated rows in a pipe, or CSV with --csv; limited to --columns, filtered by
 * --filter, without the header with --no-header; the cursor for the next page goes to stderr so
 * stdout stays clean data.
 */
import {UsageError} from '../errors.js'
import type {Page} from '../services/pagination.js'
import {color, csv, tableOrRows, type Column} from './render.js'

export interface ListFlags {
  csv?: boolean
  columns?: string
  filter?: string[]
  header?: boolean
  truncate?: boolean
}

export function pickColumns<Row>(all: Record<string, Column<Row>>, wanted: string | undefined, defaults?: string[]): Column<Row>[] {
  const names = wanted ? wanted.split(',').map((c) => c.trim()).filter(Boolean) : (defaults ?? Object.keys(all))
  return names.map((name) => {
    const column = all[name]
    if (!column) throw new UsageError(`unknown column "${name}"; choose from ${Object.keys(all).join(', ')}`)
    return column
  })
}

/** The rows `--filter column=text` keeps (each filter a case-insensitive substring of the cell as shown). */
export function filterRows<Row>(rows: Row[], all: Record<string, Column<Row>>, filters: string[] = []): Row[] {
  const tests = filters.map((filter) => {
    const at = filter.indexOf('=')
    const name = at < 0 ? '' : filter.slice(0, at).trim()
    const key = Object.keys(all).find((k) => k.toLowerCase() === name.toLowerCase())
    if (!key) throw new UsageError(`--filter "${filter}" is not column=text with one of: ${Object.keys(all).join(', ')}`)
    const wanted = filter.slice(at + 1).toLowerCase()
    return (row: Row) => String(all[key].get(row) ?? '').toLowerCase().includes(wanted)
  })
  return rows.filter((row) => tests.every((test) => test(row)))
}

/**
 * The text to print for a page: CSV with --csv; on a terminal a table cut to its width
 * (--no-truncate: never cut); in a pipe plain tab-separated rows, as gh prints them. A hint
 * for the next page goes to stderr.
 */
export function renderPage<Row>(
  result: Page<Row>,
  all: Record<string, Column<Row>>,
  flags: ListFlags,
  defaults?: string[],
): {stdout: string; stderr?: string} {
  const columns = pickColumns(all, flags.columns, defaults)
  const rows = filterRows(result.items, all, flags.filter)
  const header = flags.header !== false
  if (flags.csv) return {stdout: csv(rows, columns, {header}).replace(/\r\n$/, '')}
  return {
    stdout: tableOrRows(rows, columns, {header, fit: flags.truncate !== false}),
    stderr: result.nextCursor ? color.dim(`More results: add --cursor ${result.nextCursor}`) : undefined,
  }
}
