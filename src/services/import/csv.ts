/**
 * A streaming CSV reader for imports (RFC 4180): fields separated by commas, records by LF or
 * CRLF; a field in double quotes may hold commas, line breaks and doubled quotes; a UTF-8 BOM
 * is dropped; empty lines are skipped. Each record carries the line it starts on.
 *
 * It is written for speed (indexOf over the decoded text, no per-character state machine)
 * and bounded memory: text is parsed as it arrives, and only an incomplete last record is
 * carried to the next chunk, up to MAX_RECORD_CHARS. A quote left open swallows the rest of
 * the file, as RFC 4180 reads it: that record is reported broken at the line it starts on.
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

export class CsvReader {
  private readonly decoder = new StringDecoder('utf8')
  private carry = ''
  /** Line on which `carry` starts. */
  private line = 1
  private first = true
  /** After an open quote or an oversized record: the rest is only counted, not parsed. */
  private swallowing?: {record: CsvRecord; lineFeeds: number; lastIsLf: boolean}

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

  private parse(text: string, final: boolean, out: CsvRecord[]): void {
    const length = text.length
    let pos = 0
    let line = this.line
    // Next comma and line feed at or after the cursor, found once and reused across fields.
    let comma = -2
    let lf = -2
    records: while (pos < length) {
      const c0 = text.charCodeAt(pos)
      if (c0 === LF) {
        pos += 1
        line += 1
        continue
      }
      if (c0 === CR && pos + 1 < length && text.charCodeAt(pos + 1) === LF) {
        pos += 2
        line += 1
        continue
      }
      const start = pos
      const startLine = line
      const fields: string[] = []
      let quoted = false
      let p = pos
      for (;;) {
        if (p < length && text.charCodeAt(p) === QUOTE) {
          quoted = true
          let value = ''
          let q = p + 1
          for (;;) {
            const k = text.indexOf('"', q)
            if (k === -1 || (k + 1 >= length && !final)) {
              if (k === -1 && final) {
                this.swallowing = {
                  record: {line: startLine, fields, size: length - start, broken: 'a quoted field opened here is never closed'},
                  lineFeeds: 0,
                  lastIsLf: false,
                }
                this.swallow(text, start)
                this.carry = ''
                return
              }
              break records
            }
            if (k + 1 < length && text.charCodeAt(k + 1) === QUOTE) {
              value += text.slice(q, k + 1)
              q = k + 2
              continue
            }
            value += text.slice(q, k)
            p = k + 1
            break
          }
          fields.push(value)
          if (p >= length) {
            if (!final) break records
            line += countLines(text, start, p)
            out.push({line: startLine, fields, size: p - start})
            pos = p
            break
          }
          const c = text.charCodeAt(p)
          if (c === COMMA) {
            p += 1
            continue
          }
          if (c === LF || (c === CR && p + 1 < length && text.charCodeAt(p + 1) === LF)) {
            const next = c === LF ? p + 1 : p + 2
            line += countLines(text, start, next)
            out.push({line: startLine, fields, size: next - start})
            pos = next
            break
          }
          if (c === CR && p + 1 >= length && !final) break records
          // Something after the closing quote: the record cannot be read; skip to the line's end.
          const end = text.indexOf('\n', p)
          if (end === -1 && !final) break records
          const next = end === -1 ? length : end + 1
          line += countLines(text, start, next)
          out.push({
            line: startLine,
            fields,
            size: next - start,
            broken: 'a quoted field must be followed by a comma or the end of the line (a quote inside a field is written "")',
          })
          pos = next
          break
        }
        // An unquoted field runs to the next comma or line feed.
        if (lf !== -1 && lf < p) lf = text.indexOf('\n', p)
        if (lf === -1 && !final) break records
        if (comma !== -1 && comma < p) comma = text.indexOf(',', p)
        if (comma !== -1 && (comma < lf || lf === -1)) {
          fields.push(text.slice(p, comma))
          p = comma + 1
          continue
        }
        const end = lf === -1 ? length : lf
        const last = end > p && text.charCodeAt(end - 1) === CR ? end - 1 : end
        fields.push(text.slice(p, last))
        const next = lf === -1 ? length : lf + 1
        line += quoted ? countLines(text, start, next) : lf === -1 ? 0 : 1
        out.push({line: startLine, fields, size: next - start})
        pos = next
        break
      }
    }
    this.line = line
    this.carry = pos < length ? text.slice(pos) : ''
    if (this.carry.length > MAX_RECORD_CHARS) {
      this.swallowing = {
        record: {
          line,
          fields: [],
          size: this.carry.length,
          broken: `the record starting here is longer than ${MAX_RECORD_CHARS / 1024 / 1024} MiB (a quoted field never closed?)`,
        },
        lineFeeds: 0,
        lastIsLf: false,
      }
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
