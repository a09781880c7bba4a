/**
 * What a seeder file gets and the helpers it may use. Like migrations, seeders talk to the
 * database through `queryInterface` only. A seeder receives the options of the `db seed`
 * run in `context.seed`, and records in `context.details` what it inserted: that record is
 * stored in SequelizeData and handed back to its `down`, so undo removes exactly those rows.
 */
import {QueryTypes, type QueryInterface, type Transaction} from 'sequelize'

import type {MigrationContext} from './migration-kit.js'

export interface SeederContext<Options> extends MigrationContext {
  /** The options of this `db seed` run; absent when the runner was created without them. */
  seed?: Options
  /** By seeder name: what the seeder inserted (written by `up`, read back by `down`). */
  details: Map<string, Record<string, unknown>>
}

export type SeederFn<Options> = (params: {name: string; context: SeederContext<Options>}) => Promise<void>

/** An inclusive range of ids, as recorded for undo. */
export interface IdRange {
  first: number
  last: number
}

/** MAX(id)+1 of a table, read inside the transaction (the caller holds the schema lock). */
export async function nextId(queryInterface: QueryInterface, table: string, transaction: Transaction): Promise<number> {
  const q = (name: string) => queryInterface.quoteIdentifier(name)
  const [row] = await queryInterface.sequelize.query<{max: number | string | null}>(
    `SELECT MAX(${q('id')}) AS ${q('max')} FROM ${q(table)}`,
    {type: QueryTypes.SELECT, transaction},
  )
  return Number(row?.max ?? 0) + 1
}

/**
 * A UTC Date exactly as Sequelize writes it (timezone '+00:00'): on SQLite
 * '2026-01-02 03:04:05.000 +00:00', on MySQL '2026-01-02 03:04:05' (milliseconds only when
 * there are some). Sequelize formats each Date through moment, which is most of the cost of
 * building a large INSERT; strings cost nothing.
 */
export function sqlTimestamp(dialect: string, date: Date): string {
  const iso = date.toISOString()
  const day = iso.slice(0, 10)
  if (dialect === 'sqlite') return `${day} ${iso.slice(11, 23)} +00:00`
  return `${day} ${date.getUTCMilliseconds() === 0 ? iso.slice(11, 19) : iso.slice(11, 23)}`
}

/**
 * Inserts rows with multi-row INSERTs of `batchSize` rows each: a thousand rows per
 * statement keeps each statement well below MySQL's max_allowed_packet and SQLite's
 * statement length, while making a 20,000-row table a matter of 20 round trips.
 */
export async function insertInBatches(
  queryInterface: QueryInterface,
  table: string,
  rows: readonly object[],
  options: {transaction: Transaction; batchSize?: number; onBatch?: (inserted: number) => void},
): Promise<void> {
  const batchSize = options.batchSize ?? 1000
  const {sequelize} = queryInterface
  const dialect = sequelize.getDialect()
  const toSql = (row: object) => {
    const values: Record<string, unknown> = {...row}
    for (const key in values) {
      const value = values[key]
      if (value instanceof Date) values[key] = sqlTimestamp(dialect, value)
    }
    return values
  }
  for (let start = 0; start < rows.length; start += batchSize) {
    const slice = rows.slice(start, start + batchSize)
    // Every Sequelize instance of stayctl runs in UTC (connection.ts), as sqlTimestamp writes.
    const batch = slice.map(toSql)
    await queryInterface.bulkInsert(table, batch, {transaction: options.transaction})
    options.onBatch?.(Math.min(start + batchSize, rows.length))
  }
}

/** Deletes the rows of a table whose ids lie in the range (and match `extra`, SQL); returns how many. */
export async function deleteRange(
  queryInterface: QueryInterface,
  table: string,
  range: IdRange,
  transaction: Transaction,
  extra?: string,
): Promise<number> {
  const id = queryInterface.quoteIdentifier('id')
  const affected = await queryInterface.sequelize.query(
    `DELETE FROM ${queryInterface.quoteIdentifier(table)} WHERE ${id} BETWEEN ? AND ?${extra ? ` AND ${extra}` : ''}`,
    {type: QueryTypes.BULKDELETE, replacements: [range.first, range.last], transaction},
  )
  return Number(affected)
}
