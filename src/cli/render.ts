/**
 * Rendering of results for people: tables (cli-table3) on a terminal and tab-separated rows in
 * a pipe (tableOrRows), CSV, colour. Colour is off when NO_COLOR is set or stdout is not a
 * terminal. Helpers return strings; commands print them.
 *
 * Values are data anyone may have typed (a listing's name, a review): in tables and key/value
 * blocks they lose their control characters, so that an escape sequence in a name cannot
 * clear the screen, retitle the window or forge lines; the base command does the same for
 * every line it prints for people (terminalText). --json output keeps values as they are.
 */
import {Chalk} from 'chalk'
import Table from 'cli-table3'

import {csvLine} from '../services/formats/writer.js'
import {colorEnabled, withoutControls} from './terminal.js'

export {colorEnabled, terminalText} from './terminal.js'

const palette = () => new Chalk({level: colorEnabled() ? 1 : 0})

export const color = {
  ok: (text: string) => palette().green(text),
  warn: (text: string) => palette().yellow(text),
  bad: (text: string) => palette().red(text),
  dim: (text: string) => palette().dim(text),
  bold: (text: string) => palette().bold(text),
}

export interface Column<Row> {
  header: string
  get: (row: Row) => string | number | boolean | null | undefined
  align?: 'left' | 'right'
}

function cell(value: string | number | boolean | null | undefined): string {
  return value === null || value === undefined ? '' : String(value)
}

/** A value as a table cell or a `details` value shows it: no control characters, tabs as spaces, line feeds kept. */
function shown(value: string | number | boolean | null | undefined): string {
  return withoutControls(cell(value).replace(/\r\n/g, '\n').replace(/\t/g, ' '))
}

/** No line between rows: a table reads as its header, a rule, then one line per row. */
const NO_ROW_RULES = {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''}

export interface TableOptions {
  /** Cut the widest cells (with …) so that each line fits this many columns. */
  width?: number
}

/** A table with a header row, framed, no rule between rows; with `width`, long cells are cut to fit. */
export function table<Row>(rows: Row[], columns: Column<Row>[], options: TableOptions = {}): string {
  const cells = rows.map((row) => columns.map((c) => shown(c.get(row))))
  const colWidths = options.width === undefined ? undefined : fitWidths(columns.map((c) => c.header), cells, options.width)
  const t = new Table({
    head: columns.map((c) => c.header),
    colAligns: columns.map((c) => c.align ?? 'left'),
    chars: NO_ROW_RULES,
    style: {head: colorEnabled() ? ['cyan'] : [], border: colorEnabled() ? ['grey'] : []},
    ...(colWidths ? {colWidths, truncate: '…'} : {}),
  })
  for (const row of cells) t.push(row)
  // cli-table3 draws the header's rule with the rows' characters: put it back, from the top line.
  const lines = t.toString().split('\n')
  const rule = lines[0].replace('┌', '├').replace(/┬/g, '┼').replace('┐', '┤')
  return [lines[0], lines[1], rule, ...lines.slice(2)].join('\n')
}

/** Column widths (with cli-table3's padding and borders) that fit `width`: the widest columns give way first, to no less than 6. */
function fitWidths(headers: string[], cells: string[][], width: number): number[] | undefined {
  const longest = (text: string) => Math.max(...text.split('\n').map((line) => line.length))
  const widths = headers.map((header, i) => Math.max(longest(header), ...cells.map((row) => longest(row[i]))) + 2)
  const total = () => widths.reduce((sum, w) => sum + w, 0) + widths.length + 1
  if (total() <= width) return undefined
  while (total() > width) {
    const widest = widths.indexOf(Math.max(...widths))
    if (widths[widest] <= 8) break
    widths[widest] -= 1
  }
  return widths
}

/** Plain rows for pipes (as gh prints them): cells separated by tabs, tabs and line breaks in values as spaces, no frame. */
export function plainRows<Row>(rows: Row[], columns: Column<Row>[], options: {header?: boolean} = {}): string {
  const line = (values: string[]) => values.map((v) => v.replace(/[\t\r\n]+/g, ' ')).join('\t')
  const lines = rows.map((row) => line(columns.map((c) => withoutControls(cell(c.get(row))))))
  if (options.header !== false) lines.unshift(line(columns.map((c) => c.header)))
  return lines.join('\n')
}

export interface RowsOptions {
  /** false: no header line (in a pipe; a terminal's table always has one). */
  header?: boolean
  /** On a terminal, cut the widest cells (with …) so that each line fits its width. */
  fit?: boolean
  /** On a terminal, what to print instead of a table without rows (dimmed); in a pipe, the header line alone. */
  empty?: string
}

/**
 * Rows as every command prints them to stdout, whatever it is: on a terminal a framed table
 * (`table`), in a pipe plain tab-separated rows under a header line (`plainRows`), as gh does,
 * so that a script never has box drawing to strip.
 */
export function tableOrRows<Row>(rows: Row[], columns: Column<Row>[], options: RowsOptions = {}): string {
  if (process.stdout.isTTY !== true) return plainRows(rows, columns, {header: options.header})
  if (rows.length === 0) return color.dim(options.empty ?? 'No results.')
  return table(rows, columns, options.fit ? {width: process.stdout.columns} : {})
}

/**
 * RFC 4180 CSV: fields with commas, quotes or newlines are quoted, quotes doubled; a cell a
 * spreadsheet would run as a formula (= + - @ tab CR first) starts with a `'` (services/formats/cells.ts).
 */
export function csv<Row>(rows: Row[], columns: Column<Row>[], options: {header?: boolean} = {}): string {
  const lines = options.header === false ? [] : [csvLine(columns.map((c) => c.header))]
  for (const row of rows) lines.push(csvLine(columns.map((c) => c.get(row)), true))
  return lines.join('\r\n') + '\r\n'
}

/**
 * Two-column key/value block for `show` commands. A value of several lines goes on under
 * itself, indented, so that none of its lines can pass for a key of its own.
 */
export function details(pairs: [string, string | number | boolean | null | undefined][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length))
  const indent = ' '.repeat(width + 2)
  return pairs.map(([k, v]) => `${color.dim(k.padEnd(width))}  ${shown(v).replace(/\n/g, `\n${indent}`)}`).join('\n')
}
