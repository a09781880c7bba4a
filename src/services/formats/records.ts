/**
 * Reading a file as a stream of records, for import (locally, and on the client of a remote
 * import: src/remote/transfer.ts): CSV (RFC 4180: quotes, embedded commas, quotes and
 * newlines, CRLF or LF, a UTF-8 BOM, a header row; csv-reader.ts), a JSON array (streamed,
 * never held whole) or NDJSON. Every record carries the line (or index) it came from; a record
 * the parser cannot read becomes a `broken` record, reported like any rejected row. A CSV
 * cell that export quoted against spreadsheet formulas loses that quote (cells.ts).
 */
import fs from 'node:fs'
import type {Readable} from 'node:stream'
import {StringDecoder} from 'node:string_decoder'

import {ValidationError} from '../../errors.js'
import {restoreCell} from './cells.js'
import {CsvReader, MAX_RECORD_CHARS, type CsvRecord} from './csv-reader.js'
import type {FileFormat} from './format.js'

export type FieldValues = Record<string, string | undefined>

export interface SourceRecord {
  /** Line where the record starts (CSV, NDJSON) or its 1-based index (JSON array). */
  line: number
  /** Values by column name (as in the file), or by field name when `mapped`. */
  values: FieldValues
  /** The CSV reader named the values by field already (ReadOptions.fieldOf). */
  mapped?: boolean
  /** The record as read, for the error file. */
  raw: unknown
  /** Set when the record could not be read at all. */
  broken?: string
  /** Characters the record takes in the file, when known (batches are sized by it). */
  size?: number
}

export function openInput(file: string): {stream: Readable; size?: number} {
  if (file === '-') return {stream: process.stdin}
  let stat: fs.Stats
  try {
    stat = fs.statSync(file)
  } catch {
    throw new ValidationError(`cannot read ${file}: no such file`)
  }
  if (!stat.isFile()) throw new ValidationError(`cannot read ${file}: not a file`)
  const size = stat.size
  // Chunks of 256 KiB: each is parsed in one go, so smaller ones keep the event loop responsive.
  return {stream: fs.createReadStream(file, {highWaterMark: 256 * 1024}), size}
}

function toText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** An object's values as text, as a file would give them; undefined when it is no object. */
export function objectValues(object: unknown): FieldValues | undefined {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) return undefined
  const values: FieldValues = {}
  for (const [key, value] of Object.entries(object)) values[key] = toText(value)
  return values
}

async function* csvChunks(stream: Readable, options: ReadOptions): AsyncGenerator<SourceRecord[]> {
  const reader = new CsvReader()
  let header: string[] | undefined
  /** The key of each column in `values`: its field when fieldOf is given (null: not imported). */
  let keys: (string | null)[] = []
  const mapped = Boolean(options.fieldOf)
  const convert = (parsed: CsvRecord[]): SourceRecord[] => {
    const records: SourceRecord[] = []
    for (const {line, fields, size, broken} of parsed) {
      if (!header) {
        if (broken) throw new ValidationError(`the header (line ${line}) cannot be read: ${broken}`)
        header = fields.map((h) => h.trim())
        options.onHeader?.(header)
        keys = header.map((column) => (options.fieldOf ? options.fieldOf(column) : column))
        continue
      }
      if (broken) {
        records.push({line, values: {}, raw: fields.length > 0 && !/never closed|longer than/.test(broken) ? fields : null, broken, size})
      } else if (fields.length !== header.length) {
        records.push({line, values: {}, raw: fields, broken: `expected ${header.length} fields (as in the header), found ${fields.length}`, size})
      } else {
        const values: FieldValues = {}
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i]
          if (key !== null) values[key] = restoreCell(fields[i])
        }
        records.push(mapped ? {line, values, raw: fields, size, mapped} : {line, values, raw: fields, size})
      }
    }
    return records
  }
  const parsed: CsvRecord[] = []
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    reader.push(chunk, parsed)
    if (parsed.length > 0) yield convert(parsed.splice(0))
  }
  reader.end(parsed)
  const last = convert(parsed)
  if (!header) options.onHeader?.([])
  if (last.length > 0) yield last
}

/** V8's complaint that quotes the text around an unexpected token: `Unexpected token 'h', ..."assword": hunter2-se"... is not valid JSON`. */
const QUOTING_JSON_ERROR = /^(?:Unexpected token '(?:[\s\S]|[\uD800-\uDBFF][\uDC00-\uDFFF])', )?(\.\.\.)?"([\s\S]*)"(\.\.\.)? is not valid JSON$/

/**
 * What is wrong with a line JSON.parse refused, without the text V8 quotes (up to ten characters
 * either side of an unexpected token, the whole of a short line): a users file's lines hold
 * passwords, and a reason is printed (an import of stdin prints them on stderr) and kept in the
 * database with a --resume checkpoint. Where the quote shows where the token is, its column in
 * `text` says it instead.
 */
export function jsonProblem(error: unknown, text: string): string {
  const message = String((error as Error)?.message ?? error)
  if (!message.endsWith(' is not valid JSON')) return message
  const [, cutBefore, quote, cutAfter] = QUOTING_JSON_ERROR.exec(message) ?? []
  // The quote is cut ten characters after the token, or (when the line is longer) starts ten before it.
  const offset = quote === undefined ? undefined : cutBefore ? 10 : cutAfter ? quote.length - 10 : undefined
  const at = offset === undefined ? -1 : text.indexOf(quote!)
  return at === -1 ? 'unexpected text (a value without its quotes?)' : `unexpected character at column ${at + offset! + 1}`
}

function ndjsonRecord(line: number, text: string): SourceRecord | undefined {
  const trimmed = text.trim()
  if (trimmed === '') return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(trimmed)
  } catch (error) {
    return {line, values: {}, raw: trimmed, broken: `invalid JSON: ${jsonProblem(error, text)}`, size: text.length}
  }
  const values = objectValues(parsed)
  return values
    ? {line, values, raw: parsed, size: text.length}
    : {line, values: {}, raw: parsed, broken: 'each line must be a JSON object', size: text.length}
}

async function* ndjsonChunks(stream: Readable): AsyncGenerator<SourceRecord[]> {
  const decoder = new StringDecoder('utf8')
  let carry = ''
  let line = 0
  let first = true
  /** Set while the rest of an over-long line is being skipped. */
  let skipping = false
  const split = (text: string, records: SourceRecord[]) => {
    let start = 0
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      line += 1
      if (skipping) skipping = false
      else {
        const record = ndjsonRecord(line, text.slice(start, nl))
        if (record) records.push(record)
      }
      start = nl + 1
    }
    carry = skipping ? '' : text.slice(start)
    if (carry.length > MAX_RECORD_CHARS) {
      records.push({line: line + 1, values: {}, raw: null, broken: `the line is longer than ${MAX_RECORD_CHARS / 1024 / 1024} MiB`})
      carry = ''
      skipping = true
    }
  }
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    let text = carry + (typeof chunk === 'string' ? chunk : decoder.write(chunk))
    if (first && text.length > 0) {
      first = false
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    }
    const records: SourceRecord[] = []
    split(text, records)
    if (records.length > 0) yield records
  }
  const rest = carry + decoder.end()
  const record = skipping ? undefined : ndjsonRecord(line + 1, rest.charCodeAt(0) === 0xfeff ? rest.slice(1) : rest)
  if (record) yield [record]
}

async function* jsonChunks(stream: Readable): AsyncGenerator<SourceRecord[]> {
  const [{default: StreamArray}] = await Promise.all([import('stream-json/streamers/StreamArray.js')])
  const pipeline = stream.pipe(StreamArray.withParser())
  let records: SourceRecord[] = []
  try {
    for await (const item of pipeline as AsyncIterable<{key: number; value: unknown}>) {
      const values = objectValues(item.value)
      const line = item.key + 1
      records.push(values ? {line, values, raw: item.value} : {line, values: {}, raw: item.value, broken: 'each element must be a JSON object'})
      if (records.length >= 256) {
        yield records
        records = []
      }
    }
  } catch (error) {
    throw new ValidationError(`the JSON file cannot be read: ${(error as Error).message}`, {
      suggestion: 'a JSON import file is one array of objects; use NDJSON for one object per line',
    })
  }
  if (records.length > 0) yield records
}

export interface ReadOptions {
  /** Called with the column names of a CSV header before any record; may throw. */
  onHeader?: (columns: string[]) => void
  /** Names CSV values by field instead of column (null leaves the column out); one object per row less. */
  fieldOf?: (column: string) => string | null
}

/**
 * The records of a file, a chunk at a time (as the file arrives): cheaper than one promise
 * per record, and the reader stays only as far ahead as the consumer pulls.
 */
export function readRecordChunks(stream: Readable, format: FileFormat, options: ReadOptions = {}): AsyncGenerator<SourceRecord[]> {
  if (format === 'csv') return csvChunks(stream, options)
  if (format === 'ndjson') return ndjsonChunks(stream)
  return jsonChunks(stream)
}
