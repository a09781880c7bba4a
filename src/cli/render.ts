/**
 * Rendering of results for people: tables (cli-table3), CSV, colour. Colour is off when
 * NO_COLOR is set or stdout is not a terminal. Helpers return strings; commands print them.
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

/** A table with a header row. Plain borders off a TTY, so output can be grepped. */
export function table<Row>(rows: Row[], columns: Column<Row>[]): string {
  const t = new Table({
    head: columns.map((c) => c.header),
    colAligns: columns.map((c) => c.align ?? 'left'),
    style: {head: colorEnabled() ? ['cyan'] : [], border: colorEnabled() ? ['grey'] : []},
  })
  for (const row of rows) t.push(columns.map((c) => shown(c.get(row))))
  return t.toString()
}

/**
 * RFC 4180 CSV: fields with commas, quotes or newlines are quoted, quotes doubled; a cell a
 * spreadsheet would run as a formula (= + - @ tab CR first) starts with a `'` (services/formats/cells.ts).
 */
export function csv<Row>(rows: Row[], columns: Column<Row>[]): string {
  const lines = [csvLine(columns.map((c) => c.header))]
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
