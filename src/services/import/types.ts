/** The contract between the import runner and each entity's importer. */
import type {Transaction} from 'sequelize'

import {bulkInsert, type BulkInsert, type BulkResult} from '../../db/bulk.js'
import type {ServiceContext} from '../context.js'
import type {RefCache} from '../refs/resolver.js'

export const IMPORT_ENTITIES = ['users', 'properties', 'bookings', 'reviews', 'payments', 'blocks'] as const
export type ImportEntity = (typeof IMPORT_ENTITIES)[number]

/**
 * Inserts an importer's new rows in bulk (db/bulk.ts). An imported row is created and last
 * updated at once: updated_at is written as a copy of created_at (BulkInsert.copies).
 */
export function insertImported(ctx: ServiceContext, transaction: Transaction, input: Omit<BulkInsert, 'copies'>): Promise<BulkResult> {
  return bulkInsert(ctx.db, transaction, {...input, copies: {updated_at: 'created_at'}})
}

/** A row-level failure: which field (when one is to blame) and why. */
export class RowError extends Error {
  constructor(
    readonly field: string | undefined,
    message: string,
  ) {
    super(message)
  }
}

export interface FieldSpec {
  /** Canonical name (camelCase), as in --map col=field and in exports. */
  name: string
  /** Other header names accepted for it (compared without case, spaces, _ or -). */
  aliases?: string[]
  required?: boolean
}

export interface ParsedRow<T> {
  line: number
  raw: unknown
  record: T
}

export interface BatchOutcome {
  inserted: number
  updated: number
  /** Rows of the batch refused by the database checks, by index in the batch. */
  rejected: {index: number; field?: string; reason: string}[]
}

export interface WriteOptions {
  upsert: boolean
  /** References resolved by earlier batches of this run (rows of other entities only). */
  cache?: RefCache
  /**
   * Pipelined importers only: resolves when the batch before has done its writes. Await it
   * before the first statement, and prepare what needs no database (checks, data) before.
   */
  turn?: Promise<void>
}

export interface EntityImporter<T> {
  entity: ImportEntity
  fields: FieldSpec[]
  /**
   * May the next batch's write start before this batch commits (MySQL, no --upsert)? Its write
   * then gets `options.turn`, to await before the statements that must come after the previous
   * batch's, and does what comes before (checks, references, data) meanwhile.
   *   - 'writes': the importer's writes rely on unique keys alone, not on reading the rows
   *     earlier batches wrote; `turn` resolves when the previous batch's writes are done.
   *   - 'reads': it reads what earlier batches wrote (a calendar); `turn` resolves when the
   *     previous batch committed, so those reads see it exactly as without pipelining.
   */
  pipelined?: 'writes' | 'reads'
  /** Checks one row on its own (formats, ranges) and converts it; throws RowError. */
  parse(values: Record<string, string | undefined>, ctx: ServiceContext): T | Promise<T>
  /**
   * Writes a batch inside `transaction`: resolves references, applies the rules that need
   * the database (uniqueness, overlaps, refund limits) and inserts or updates.
   */
  write(ctx: ServiceContext, transaction: Transaction, rows: ParsedRow<T>[], options: WriteOptions): Promise<BatchOutcome>
}
