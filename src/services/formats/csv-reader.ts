/**
 * A streaming CSV reader (RFC 4180), under the records of a CSV import (records.ts): fields
 * separated by commas, records by LF or CRLF; a field in double quotes may hold commas, line
 * breaks and doubled quotes; a UTF-8 BOM is dropped; empty lines are skipped. Each record
 * carries the line it starts on.
 *
 * It is written for speed (indexOf over the decoded text, no per-character state machine;
 * bench/csv.mjs measures it against csv-parse) and bounded memory: text is parsed as it
 * arrives, and only an incomplete last record is carried to the next chunk, up to
 * MAX_RECORD_CHARS. A quote left open swallows the rest of the file, as RFC 4180 reads it:
 * that record is reported broken at the line it starts on.
 */
import {StringDecoder} from 'node:string_decoder'

export interface CsvRecord {
  line: number
  fields: string[]
  /** Characters of the record in the file, for sizing batches. */
  size: number
  /** Set when the record cannot be read (the fields are then whatever could be). */
  broken?: string
}

/** A record longer than this (an open quote, most likely) stops the reading. */
export const MAX_RECORD_CHARS = 4 * 1024 * 1024

const QUOTE = 34
const COMMA = 44
const LF = 10
const CR = 13
/** What reading a record may say instead of where the next one starts. */
const INCOMPLETE = -1
const SWALLOWED = -2
const AFTER_QUOTE = 'a quoted field must be followed by a comma or the end of the line (a quote inside a field is written "")'

export class CsvReader {
  private readonly decoder = new StringDecoder('utf8')
  private carry = ''
  /** Line on which `carry` starts. */
  private line = 1
  private first = true
  /** After an open quote or an oversized record: the rest is only counted, not parsed. */
  private swallowing?: {record: CsvRecord; lineFeeds: number; lastIsLf: boolean}
  /** Next comma and line feed at or after the cursor (-2: not looked for yet in this text). */
  private comma = -2
  private lf = -2

  /** Parses the next chunk of the file; complete records are appended to `out`. */
  push(chunk: Buffer | string, out: CsvRecord[]): void {
    let text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk)
    if (this.first && text.length > 0) {
      this.first = false
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    }
    if (this.swallowing) {
      this.swallow(text, 0)
      return
    }
    this.parse(this.carry.length > 0 ? this.carry + text : text, false, out)
  }

  /** The end of the file: the last record (without a final line break), or an open quote. */
  end(out: CsvRecord[]): void {
    const rest = this.decoder.end()
    if (this.swallowing) {
      this.swallow(rest, 0)
    } else {
      this.parse(this.carry + rest, true, out)
    }
    if (this.swallowing) {
      const {record, lineFeeds, lastIsLf} = this.swallowing
      const lines = record.line + lineFeeds - (lastIsLf ? 1 : 0)
      record.broken = `${record.broken}, so the rest of the file (to line ${lines}) could not be read`
      out.push(record)
      this.swallowing = undefined
    }
  }

  /** Counts the lines of text that cannot be parsed any more, for the message. */
  private swallow(text: string, from: number): void {
    if (!this.swallowing || from >= text.length) return
    this.swallowing.lineFeeds += countLines(text, from, text.length)
    this.swallowing.lastIsLf = text.charCodeAt(text.length - 1) === LF
  }

  /** Parses the records of `text`; an incomplete last one is carried (unless `final`). */
  private parse(text: string, final: boolean, out: CsvRecord[]): void {
    const length = text.length
    let pos = 0
    this.comma = -2
    this.lf = -2
    while (pos < length) {
      const c0 = text.charCodeAt(pos)
      if (c0 === LF || (c0 === CR && pos + 1 < length && text.charCodeAt(pos + 1) === LF)) {
        pos += c0 === LF ? 1 : 2
        this.line += 1
        continue
      }
      const next = this.record(text, pos, final, out)
      if (next === SWALLOWED) return
      if (next === INCOMPLETE) break
      pos = next
    }
    this.keep(text, pos)
  }

  /** Reads the record at `start` into `out`: the position after it, INCOMPLETE (more text needed) or SWALLOWED (an open quote). */
  private record(text: string, start: number, final: boolean, out: CsvRecord[]): number {
    const length = text.length
    const fields: string[] = []
    let quoted = false
    let p = start
    for (;;) {
      if (p < length && text.charCodeAt(p) === QUOTE) {
        quoted = true
        p = this.quoted(text, p, final, fields)
        if (p === SWALLOWED) this.openQuote(text, start, fields)
        if (p < 0) return p
        if (p >= length) return final ? this.emit(text, start, p, fields, out) : INCOMPLETE
        const c = text.charCodeAt(p)
        if (c === COMMA) {
          p += 1
          continue
        }
        if (c === LF || (c === CR && p + 1 < length && text.charCodeAt(p + 1) === LF)) return this.emit(text, start, c === LF ? p + 1 : p + 2, fields, out)
        if (c === CR && p + 1 >= length && !final) return INCOMPLETE
        // Something after the closing quote: the record cannot be read; skip to the line's end.
        const end = text.indexOf('\n', p)
        if (end === -1 && !final) return INCOMPLETE
        return this.emit(text, start, end === -1 ? length : end + 1, fields, out, AFTER_QUOTE)
      }
      // An unquoted field runs to the next comma or line feed (each found once, reused across fields).
      if (this.lf !== -1 && this.lf < p) this.lf = text.indexOf('\n', p)
      const lf = this.lf
      if (lf === -1 && !final) return INCOMPLETE
      if (this.comma !== -1 && this.comma < p) this.comma = text.indexOf(',', p)
      const comma = this.comma
      if (comma !== -1 && (comma < lf || lf === -1)) {
        fields.push(text.slice(p, comma))
        p = comma + 1
        continue
      }
      const end = lf === -1 ? length : lf
      fields.push(text.slice(p, end > p && text.charCodeAt(end - 1) === CR ? end - 1 : end))
      const next = lf === -1 ? length : lf + 1
      if (quoted) return this.emit(text, start, next, fields, out)
      out.push({line: this.line, fields, size: next - start})
      if (lf !== -1) this.line += 1
      return next
    }
  }

  /** Reads the quoted field at `p` into `fields`: the position after its closing quote, INCOMPLETE or SWALLOWED. */
  private quoted(text: string, p: number, final: boolean, fields: string[]): number {
    const length = text.length
    let value = ''
    let q = p + 1
    for (;;) {
      const k = text.indexOf('"', q)
      if (k === -1 || (k + 1 >= length && !final)) return k === -1 && final ? SWALLOWED : INCOMPLETE
      if (k + 1 < length && text.charCodeAt(k + 1) === QUOTE) {
        value += text.slice(q, k + 1)
        q = k + 2
        continue
      }
      fields.push(value + text.slice(q, k))
      return k + 1
    }
  }

  /** Adds the record from `start` to `next` (its line, then the lines it spans). */
  private emit(text: string, start: number, next: number, fields: string[], out: CsvRecord[], broken?: string): number {
    out.push(broken ? {line: this.line, fields, size: next - start, broken} : {line: this.line, fields, size: next - start})
    this.line += countLines(text, start, next)
    return next
  }

  /** A quote opened at `start` is never closed: the rest of the file is that record. */
  private openQuote(text: string, start: number, fields: string[]) {
    const record = {line: this.line, fields, size: text.length - start, broken: 'a quoted field opened here is never closed'}
    this.swallowing = {record, lineFeeds: 0, lastIsLf: false}
    this.swallow(text, start)
    this.carry = ''
  }

  /** Carries the text from `pos` to the next chunk, unless it is too long to be a record. */
  private keep(text: string, pos: number) {
    this.carry = pos < text.length ? text.slice(pos) : ''
    if (this.carry.length > MAX_RECORD_CHARS) {
      const broken = `the record starting here is longer than ${MAX_RECORD_CHARS / 1024 / 1024} MiB (a quoted field never closed?)`
      this.swallowing = {record: {line: this.line, fields: [], size: this.carry.length, broken}, lineFeeds: 0, lastIsLf: false}
      this.swallow(this.carry, 0)
      this.carry = ''
    }
  }
}

function countLines(text: string, from: number, to: number): number {
  let n = 0
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) n += 1
  return n
}
