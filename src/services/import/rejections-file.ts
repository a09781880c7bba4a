/**
 * The error file of an import: one line per rejected row with its line number, the field
 * to blame and the reason, plus the row as read, so it can be fixed and imported again.
 * CSV (RFC 4180) by default; NDJSON when the file name ends in .ndjson or .jsonl.
 */
import fs from 'node:fs'

import type {Rejection} from './index.js'

export interface RejectionsFile {
  write(rejection: Rejection): void
  close(): Promise<void>
  readonly path: string
  /** Rejections written so far. */
  readonly written: number
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}

function rowText(raw: unknown): string {
  if (raw === null || raw === undefined) return ''
  if (Array.isArray(raw)) return raw.map((v) => csvField(String(v ?? ''))).join(',')
  return typeof raw === 'string' ? raw : JSON.stringify(raw)
}

export function openRejectionsFile(file: string): RejectionsFile {
  const ndjson = /\.(ndjson|jsonl)$/i.test(file)
  const out = fs.createWriteStream(file, {encoding: 'utf8'})
  if (!ndjson) out.write('line,field,reason,row\r\n')
  let written = 0
  let closed: Promise<void> | undefined
  return {
    path: file,
    get written() {
      return written
    },
    write(rejection) {
      written += 1
      if (ndjson) {
        out.write(JSON.stringify({line: rejection.line, field: rejection.field ?? null, reason: rejection.reason, row: rejection.raw ?? null}) + '\n')
      } else {
        out.write([String(rejection.line), rejection.field ?? '', rejection.reason, rowText(rejection.raw)].map(csvField).join(',') + '\r\n')
      }
    },
    close: () => (closed ??= new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())))),
  }
}
