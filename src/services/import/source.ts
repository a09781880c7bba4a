/**
 * Reading import files as a stream of records: CSV (RFC 4180: quotes, embedded commas,
 * quotes and newlines, CRLF or LF, a UTF-8 BOM, a header row), a JSON array (streamed, never
 * held whole) or NDJSON. Every record carries the line (or index) it came from; a record
 * the parser cannot read becomes a `broken` record, reported like any rejected row.
 */
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import type {Readable} from 'node:stream'

import {ValidationError} from '../../errors.js'

export type ImportFormat = 'csv' | 'json' | 'ndjson'

export type FieldValues = Record<string, string | undefined>

export interface SourceRecord {
  /** Line where the record starts (CSV, NDJSON) or its 1-based index (JSON array). */
  line: number
  /** Values by column name (as in the file, before mapping). */
  values: FieldValues
  /** The record as read, for the error file. */
  raw: unknown
  /** Set when the record could not be read at all. */
  broken?: string
}

export function formatOf(file: string, explicit?: string): ImportFormat {
  if (explicit) {
    if (!['csv', 'json', 'ndjson'].includes(explicit)) throw new ValidationError(`unknown format "${explicit}": use csv, json or ndjson`)
    return explicit as ImportFormat
  }
  const ext = path.extname(file).toLowerCase()
  if (ext === '.csv') return 'csv'
  if (ext === '.json') return 'json'
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson'
  throw new ValidationError(`cannot tell the format of "${file}" from its extension`, {suggestion: 'pass --format csv|json|ndjson'})
}

export function openInput(file: string): {stream: Readable; size?: number} {
  if (file === '-') return {stream: process.stdin}
  let size: number
  try {
    size = fs.statSync(file).size
  } catch {
    throw new ValidationError(`cannot read ${file}: no such file`)
  }
  return {stream: fs.createReadStream(file, {highWaterMark: 1 << 20}), size}
}

function toText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

function objectValues(object: unknown): FieldValues | undefined {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) return undefined
  const values: FieldValues = {}
  for (const [key, value] of Object.entries(object)) values[key] = toText(value)
  return values
}

async function* csvRecords(stream: Readable): AsyncGenerator<SourceRecord> {
  const {parse} = await import('csv-parse')
  const skipped: SourceRecord[] = []
  let lastEnd = 0
  const parser = stream.pipe(
    parse({
      bom: true,
      record_delimiter: ['\r\n', '\n'],
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      info: true,
      on_skip: (error) => {
        const reason =
          (error as {code?: string}).code === 'CSV_QUOTE_NOT_CLOSED'
            ? `a quoted field opened here is never closed, so the rest of the file (to line ${(error as {lines?: number}).lines ?? '?'}) could not be read`
            : `unreadable CSV: ${error?.message}`
        skipped.push({line: lastEnd + 1, values: {}, raw: null, broken: reason})
        lastEnd = (error as {lines?: number}).lines ?? lastEnd
        return undefined
      },
    }),
  )
  let header: string[] | undefined
  for await (const item of parser as AsyncIterable<{record: string[]; info: {lines: number}}>) {
    while (skipped.length > 0) yield skipped.shift()!
    const {record, info} = item
    const newlines = record.reduce((n, field) => n + (field.match(/\n/g)?.length ?? 0), 0)
    const line = info.lines - newlines
    lastEnd = info.lines
    if (!header) {
      header = record.map((h) => h.trim())
      continue
    }
    if (record.length !== header.length) {
      yield {line, values: {}, raw: record, broken: `expected ${header.length} fields (as in the header), found ${record.length}`}
      continue
    }
    const values: FieldValues = {}
    header.forEach((name, i) => (values[name] = record[i]))
    yield {line, values, raw: record}
  }
  while (skipped.length > 0) yield skipped.shift()!
}

async function* ndjsonRecords(stream: Readable): AsyncGenerator<SourceRecord> {
  const lines = readline.createInterface({input: stream, crlfDelay: Infinity})
  let line = 0
  for await (const text of lines) {
    line += 1
    const trimmed = line === 1 ? text.replace(/^\uFEFF/, '').trim() : text.trim()
    if (trimmed === '') continue
    let parsed: unknown
    try {
      parsed = JSON.parse(trimmed)
    } catch (error) {
      yield {line, values: {}, raw: trimmed, broken: `invalid JSON: ${(error as Error).message}`}
      continue
    }
    const values = objectValues(parsed)
    yield values ? {line, values, raw: parsed} : {line, values: {}, raw: parsed, broken: 'each line must be a JSON object'}
  }
}

async function* jsonRecords(stream: Readable): AsyncGenerator<SourceRecord> {
  const [{default: StreamArray}] = await Promise.all([import('stream-json/streamers/StreamArray.js')])
  const pipeline = stream.pipe(StreamArray.withParser())
  try {
    for await (const item of pipeline as AsyncIterable<{key: number; value: unknown}>) {
      const values = objectValues(item.value)
      const line = item.key + 1
      yield values ? {line, values, raw: item.value} : {line, values: {}, raw: item.value, broken: 'each element must be a JSON object'}
    }
  } catch (error) {
    throw new ValidationError(`the JSON file cannot be read: ${(error as Error).message}`, {
      suggestion: 'a JSON import file is one array of objects; use NDJSON for one object per line',
    })
  }
}

export function readRecords(stream: Readable, format: ImportFormat): AsyncGenerator<SourceRecord> {
  if (format === 'csv') return csvRecords(stream)
  if (format === 'ndjson') return ndjsonRecords(stream)
  return jsonRecords(stream)
}
