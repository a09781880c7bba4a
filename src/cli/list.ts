/**
 * Rendering of a page of results for list commands: a table, or CSV with --csv, limited to
 * --columns; the cursor for the next page goes to stderr so stdout stays clean data.
 */
import {UsageError} from '../errors.js'
import type {Page} from '../services/pagination.js'
import {color, csv, table, type Column} from './render.js'

export interface ListFlags {
  csv?: boolean
  columns?: string
}

export function pickColumns<Row>(all: Record<string, Column<Row>>, wanted: string | undefined, defaults?: string[]): Column<Row>[] {
  const names = wanted ? wanted.split(',').map((c) => c.trim()).filter(Boolean) : (defaults ?? Object.keys(all))
  return names.map((name) => {
    const column = all[name]
    if (!column) throw new UsageError(`unknown column "${name}"; choose from ${Object.keys(all).join(', ')}`)
    return column
  })
}

/** The text to print for a page: CSV or a table, then a hint for the next page. */
export function renderPage<Row>(
  result: Page<Row>,
  all: Record<string, Column<Row>>,
  flags: ListFlags,
  defaults?: string[],
): {stdout: string; stderr?: string} {
  const columns = pickColumns(all, flags.columns, defaults)
  if (flags.csv) return {stdout: csv(result.items, columns).replace(/\r\n$/, '')}
  const body = result.items.length === 0 ? color.dim('No results.') : table(result.items, columns)
  return {
    stdout: body,
    stderr: result.nextCursor ? color.dim(`More results: add --cursor ${result.nextCursor}`) : undefined,
  }
}
