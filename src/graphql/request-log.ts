/**
 * The request log: one line per request on stderr, text or JSON, saying what was asked
 * (operation name and root fields, never variables or the query string), how it ended
 * (HTTP status, error codes) and how long it took. Unexpected errors are noted in the line
 * of their request with secrets cut out (hashes, tokens, quoted values).
 */
import {BCRYPT_HASHES_IN_TEXT} from '../bcrypt-hash.js'

/** What the GraphQL layer learns about a request while serving it (yoga's server context carries it). */
export interface RequestRecord {
  /** The operation's name (null when it has none) and type, once the document parsed. */
  operation?: string | null
  type?: string
  fields?: string[]
  codes: string[]
  internal?: string
}

/**
 * Session and API tokens (`stay_s_…`, `stay_t_…`, see src/services/auth.ts), whole or cut
 * short, wherever they stand: base64url has `_` and `-`, so no word boundary is assumed.
 */
const TOKEN = /stay_[a-z]_[A-Za-z0-9_-]*/g

const SECRETS: [RegExp, string][] = [
  [BCRYPT_HASHES_IN_TEXT, '[hash]'],
  [TOKEN, '[token]'],
  [/\bBearer\s+\S+/gi, 'Bearer [token]'],
  [/\b[0-9a-f]{40,}\b/gi, '[hash]'],
  [/'(?:[^'\\]|\\.)*'/g, "'…'"],
]

/** Text with anything that could be a secret or personal data replaced. */
export function redact(text: string): string {
  return SECRETS.reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), text).slice(0, 300)
}

/** An unexpected error as the log line says it: class and message, redacted. */
export function describeInternal(error: unknown): string {
  const e = error as {name?: string; message?: string}
  return redact(`${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`.replace(/\s+/g, ' '))
}

/** Where a masked error keeps what it masked (described, redacted), for the log line; never serialized. */
export const INTERNAL_NOTE = Symbol('internal error, described for the log')

export type LogFormat = 'text' | 'json'

export interface LogEntry {
  method: string
  path: string
  status: number
  ms: number
  record: RequestRecord
}

export function formatLogLine(format: LogFormat, entry: LogEntry, now = new Date()): string {
  const {record} = entry
  const ms = Math.round(entry.ms * 10) / 10
  if (format === 'json') {
    return JSON.stringify({
      time: now.toISOString(),
      method: entry.method,
      path: entry.path,
      status: entry.status,
      ms,
      operation: record.operation ?? null,
      type: record.type ?? null,
      fields: record.fields ?? [],
      errors: record.codes,
      ...(record.internal ? {internal: record.internal} : {}),
    })
  }
  const parts = [now.toISOString(), entry.method, entry.path, String(entry.status), `${ms}ms`]
  if (record.type) parts.push(`op=${record.operation ?? '-'}`, `type=${record.type}`)
  if (record.fields?.length) parts.push(`fields=${record.fields.join(',')}`)
  if (record.codes.length) parts.push(`errors=${record.codes.join(',')}`)
  if (record.internal) parts.push(`internal=${JSON.stringify(record.internal)}`)
  return parts.join(' ')
}
