/**
 * Rendering of results for people: tables (cli-table3), CSV, colour. Colour is off when
 * NO_COLOR is set or stdout is not a terminal. Helpers return strings; commands print them.
 */
import {Chalk} from 'chalk'
import Table from 'cli-table3'

export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true
  return Boolean(stream.isTTY)
}

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

/** A table with a header row. Plain borders off a TTY, so output can be grepped. */
export function table<Row>(rows: Row[], columns: Column<Row>[]): string {
  const t = new Table({
    head: columns.map((c) => c.header),
    colAligns: columns.map((c) => c.align ?? 'left'),
    style: {head: colorEnabled() ? ['cyan'] : [], border: colorEnabled() ? ['grey'] : []},
  })
  for (const row of rows) t.push(columns.map((c) => cell(c.get(row))))
  return t.toString()
}

/** RFC 4180 CSV: fields with commas, quotes or newlines are quoted, quotes doubled. */
export function csv<Row>(rows: Row[], columns: Column<Row>[]): string {
  const field = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value)
  const lines = [columns.map((c) => field(c.header)).join(',')]
  for (const row of rows) lines.push(columns.map((c) => field(cell(c.get(row)))).join(','))
  return lines.join('\r\n') + '\r\n'
}

/** Two-column key/value block for `show` commands. */
export function details(pairs: [string, string | number | boolean | null | undefined][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length))
  return pairs.map(([k, v]) => `${color.dim(k.padEnd(width))}  ${cell(v)}`).join('\n')
}
