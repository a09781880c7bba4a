/**
 * From a record's column names to an importer's fields: explicit `--map col=field` first,
 * then the field's name and aliases compared loosely ("First Name" = first_name = firstName).
 */
import {UsageError, ValidationError} from '../../errors.js'
import {parseInstant} from '../dates.js'
import {textProblem} from '../text.js'
import {RowError, type EntityImporter, type FieldSpec} from './types.js'

export function looseKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '')
}

export type ColumnMap = Record<string, string>

/** Parses `--map col=field` pairs. */
export function parseMapFlags(pairs: string[] | undefined, fields: FieldSpec[]): ColumnMap {
  const map: ColumnMap = {}
  for (const pair of pairs ?? []) {
    const [column, field] = pair.split('=').map((s) => s?.trim())
    if (!column || !field) throw new UsageError(`--map "${pair}" is not column=field`)
    const spec = fields.find((f) => looseKey(f.name) === looseKey(field))
    if (!spec) throw new UsageError(`--map ${pair}: "${field}" is not a field here; fields: ${fields.map((f) => f.name).join(', ')}`)
    map[column] = spec.name
  }
  return map
}

/** Resolves column names to field names once per distinct header (cached). */
export class FieldMapper {
  private readonly byLoose = new Map<string, string>()
  private readonly cache = new Map<string, string | null>()
  readonly unknownColumns = new Set<string>()

  constructor(
    readonly fields: FieldSpec[],
    private readonly explicit: ColumnMap = {},
  ) {
    for (const field of fields) {
      for (const name of [field.name, ...(field.aliases ?? [])]) this.byLoose.set(looseKey(name), field.name)
    }
  }

  fieldOf(column: string): string | null {
    let field = this.cache.get(column)
    if (field === undefined) {
      field = this.explicit[column] ?? this.byLoose.get(looseKey(column)) ?? null
      if (field === null) this.unknownColumns.add(column)
      this.cache.set(column, field)
    }
    return field
  }

  map(values: Record<string, string | undefined>): Record<string, string | undefined> {
    const out: Record<string, string | undefined> = {}
    for (const column in values) {
      const field = this.cache.get(column) ?? this.fieldOf(column)
      if (field) out[field] = values[column]
    }
    return out
  }

  /** Required fields no column maps to (checked on a CSV header before importing). */
  missingRequired(columns: string[]): string[] {
    const present = new Set(columns.map((c) => this.fieldOf(c)))
    return this.fields.filter((f) => f.required && !present.has(f.name)).map((f) => f.name)
  }
}

/** Field helpers for importers: a value or undefined (empty cells count as absent). */
export function text(values: Record<string, string | undefined>, field: string): string | undefined {
  const value = values[field]
  return value === undefined || value.trim() === '' ? undefined : value
}

export function flag(value: string | undefined, field: string, fallback: boolean): boolean {
  if (value === undefined || value.trim() === '') return fallback
  const v = value.trim().toLowerCase()
  if (['1', 'true', 'yes', 'y', 't'].includes(v)) return true
  if (['0', 'false', 'no', 'n', 'f'].includes(v)) return false
  throw new RowError(field, `${field} must be true or false, got "${value}"`)
}

/**
 * Runs one of the services' validators on a field, so that an import row is checked exactly
 * as the single-row operation checks it; its ValidationError becomes a RowError on `field`.
 */
export function check<T>(field: string, validate: () => T): T {
  try {
    return validate()
  } catch (error) {
    if (error instanceof ValidationError) throw new RowError(field, error.message)
    throw error
  }
}

// Rows without a timestamp get the time they are read; rows read in the same millisecond share one Date.
let now = new Date(0)

/** A row's createdAt, which every entity takes: ISO 8601 as parseInstant takes it, or the time the row is read. */
export function createdAt(values: Record<string, string | undefined>): Date {
  const value = text(values, 'createdAt')
  if (value !== undefined) return check('createdAt', () => parseInstant(value, 'createdAt'))
  const time = Date.now()
  if (time !== now.getTime()) now = new Date(time)
  return now
}

/** A value that must be there: the field's text, or a RowError saying what to give. */
export function required(values: Record<string, string | undefined>, field: string, what: string): string {
  const value = text(values, field)
  if (value === undefined) throw new RowError(field, `${field} is required (${what})`)
  return value.trim()
}

/**
 * `importer`, with every field of a row checked first for what no field takes (a NUL, a lone
 * surrogate: see src/services/text.ts), so that such a row is a rejected row naming the field,
 * from a file as from the rows a remote client sends.
 */
export function withTextChecks<T>(importer: EntityImporter<T>): EntityImporter<T> {
  return {
    ...importer,
    parse(values, ctx) {
      for (const field in values) {
        const value = values[field]
        const problem = value === undefined ? undefined : textProblem(value)
        if (problem) throw new RowError(field, `${field} ${problem}`)
      }
      return importer.parse(values, ctx)
    },
  }
}

/** The fields of a row that name a property (refs/properties.ts PropertyQuery): the property, and its owner to tell apart a shared name. */
export function propertyFields(required: boolean): FieldSpec[] {
  return [
    {name: 'property', aliases: ['propertyId', 'listing', 'propertyName'], ...(required ? {required} : {})},
    {name: 'propertyOwner', aliases: ['owner', 'host']},
  ]
}
