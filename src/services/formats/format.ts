/**
 * The file formats stayctl reads (import) and writes (export): CSV, JSON (one array of
 * objects) and NDJSON (one object per line), and which one a file is in: the one a --format
 * flag names, else the one its extension says (.csv, .json, .ndjson or .jsonl).
 */
import path from 'node:path'

import type {ErrorOptions} from '../../errors.js'

export type FileFormat = 'csv' | 'json' | 'ndjson'

export const FILE_FORMATS: readonly FileFormat[] = ['csv', 'json', 'ndjson']

const BY_EXTENSION = new Map<string, FileFormat>([
  ['.csv', 'csv'],
  ['.json', 'json'],
  ['.ndjson', 'ndjson'],
  ['.jsonl', 'ndjson'],
])

export interface FormatChoice {
  /** The error a wrong choice throws (each command keeps its own kind, hence exit code). */
  invalid: new (message: string, options?: ErrorOptions) => Error
  /** The format of a file whose extension says none; without it, that is an error. */
  otherwise?: FileFormat
}

/** The format `explicit` names, else the one `file`'s extension says, else `otherwise`. */
export function fileFormatOf(file: string | undefined, explicit: string | undefined, choice: FormatChoice): FileFormat {
  if (explicit) {
    if (!(FILE_FORMATS as readonly string[]).includes(explicit)) throw new choice.invalid(`unknown format "${explicit}": use csv, json or ndjson`)
    return explicit as FileFormat
  }
  const format = BY_EXTENSION.get(file ? path.extname(file).toLowerCase() : '')
  if (format) return format
  if (choice.otherwise) return choice.otherwise
  throw new choice.invalid(`cannot tell the format of "${file}" from its extension`, {suggestion: 'pass --format csv|json|ndjson'})
}
