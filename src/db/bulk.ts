/**
 * Fast multi-row writes for imports, inside a caller's transaction.
 *
 * MySQL: LOAD DATA LOCAL INFILE fed from memory (the server's own loader, several times
 * faster than INSERT statements), with IGNORE so that rows clashing with a unique key are
 * skipped instead of failing the batch; SHOW WARNINGS then names each skipped key value,
 * which is mapped back to its row. SQLite: one prepared INSERT … ON CONFLICT DO NOTHING,
 * run for each row; a row that changed nothing clashed with a unique key.
 */
import type {Transaction} from 'sequelize'
import {QueryTypes} from 'sequelize'

import type {Db} from './index.js'
import {registerInfile} from './infile.js'

export type Cell = string | number | boolean | Date | null

export interface UniqueKey {
  /** The index name, as in the migrations. */
  index: string
  columns: string[]
}

export interface BulkInsert {
  table: string
  columns: string[]
  rows: Cell[][]
  uniqueKeys: UniqueKey[]
}

export interface BulkResult {
  inserted: number
  /** Rows skipped because a unique key already held their value. */
  duplicates: {row: number; key: UniqueKey; value: string}[]
}

function mysqlDate(date: Date): string {
  return date.toISOString().slice(0, 23).replace('T', ' ')
}

/** Sequelize's own text form of a DATE on SQLite, so that models read imported rows back. */
export function sqliteDate(date: Date): string {
  return `${date.toISOString().slice(0, 23).replace('T', ' ')} +00:00`
}

// LOAD DATA's default text format: tab-separated, \N for NULL, backslash escapes.
function tsvCell(value: Cell): string {
  if (value === null) return '\\N'
  if (value instanceof Date) return mysqlDate(value)
  if (typeof value === 'boolean') return value ? '1' : '0'
  return String(value).replace(/[\\\t\n\r\0]/g, (c) => ({'\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0'})[c]!)
}

function keyText(key: UniqueKey, columns: string[], row: Cell[]): string {
  return key.columns.map((c) => String(row[columns.indexOf(c)] ?? '').toLowerCase()).join('-')
}

async function mysqlInsert(db: Db, transaction: Transaction, input: BulkInsert): Promise<BulkResult> {
  if (input.rows.length === 0) return {inserted: 0, duplicates: []}
  const qi = db.sequelize.getQueryInterface()
  const data = Buffer.from(input.rows.map((row) => row.map(tsvCell).join('\t')).join('\n') + '\n', 'utf8')
  const name = registerInfile(data)
  await db.sequelize.query('SET SESSION max_error_count = 65535', {transaction})
  const columns = input.columns.map((c) => qi.quoteIdentifier(c)).join(', ')
  const [, result] = (await db.sequelize.query(
    `LOAD DATA LOCAL INFILE ${db.sequelize.escape(name)} IGNORE INTO TABLE ${qi.quoteIdentifier(input.table)}` +
      ` CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${columns})`,
    {transaction, type: QueryTypes.RAW},
  )) as [unknown, {affectedRows?: number; warningStatus?: number}]
  const inserted = Number(result?.affectedRows ?? 0)
  const duplicates: BulkResult['duplicates'] = []
  if (inserted < input.rows.length) {
    const warnings = (await db.sequelize.query('SHOW WARNINGS', {transaction, type: QueryTypes.SELECT})) as {
      Code: number
      Message: string
    }[]
    // Key value → row, for every unique key (rows are unique within a batch: checked before).
    const byKey = new Map<string, Map<string, number>>()
    for (const key of input.uniqueKeys) {
      const map = new Map<string, number>()
      input.rows.forEach((row, i) => map.set(keyText(key, input.columns, row), i))
      byKey.set(key.index, map)
    }
    for (const warning of warnings) {
      const match = /^Duplicate entry '(.*)' for key '(?:[^.']*\.)?([^']+)'$/s.exec(warning.Message)
      if (!match) throw new Error(`import stopped: the database warned "${warning.Message}"`)
      const [, value, index] = match
      const key = input.uniqueKeys.find((k) => k.index === index)
      const map = byKey.get(index)
      const wanted = value.toLowerCase()
      let row = map?.get(wanted)
      // MySQL shortens long values in the message: fall back to a prefix match.
      if (row === undefined && map) for (const [text, i] of map) if (text.startsWith(wanted)) row = i
      if (!key || row === undefined) throw new Error(`import stopped: cannot place "${warning.Message}" on a row`)
      duplicates.push({row, key, value})
    }
  }
  return {inserted, duplicates}
}

interface SqliteStatement {
  run(params: unknown[], callback: (this: {changes: number}, err: Error | null) => void): void
  finalize(callback?: () => void): void
}
interface SqliteConnection {
  prepare(sql: string, callback: (err: Error | null) => void): SqliteStatement
}

async function sqliteInsert(db: Db, transaction: Transaction, input: BulkInsert): Promise<BulkResult> {
  if (input.rows.length === 0) return {inserted: 0, duplicates: []}
  const connection = (transaction as unknown as {connection: SqliteConnection}).connection
  const qi = db.sequelize.getQueryInterface()
  const sql =
    `INSERT INTO ${qi.quoteIdentifier(input.table)} (${input.columns.map((c) => qi.quoteIdentifier(c)).join(', ')})` +
    ` VALUES (${input.columns.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`
  const statement = await new Promise<SqliteStatement>((resolve, reject) => {
    const prepared = connection.prepare(sql, (err) => (err ? reject(err) : resolve(prepared)))
  })
  const clashed: number[] = []
  try {
    await Promise.all(
      input.rows.map(
        (row, i) =>
          new Promise<void>((resolve, reject) => {
            const params = row.map((v) => (v instanceof Date ? sqliteDate(v) : typeof v === 'boolean' ? (v ? 1 : 0) : v))
            statement.run(params, function (err) {
              if (err) return reject(err)
              if (this.changes === 0) clashed.push(i)
              resolve()
            })
          }),
      ),
    )
  } finally {
    await new Promise<void>((resolve) => statement.finalize(() => resolve()))
  }
  // Which key clashed: look each one up (clashes are the rare path).
  const duplicates: BulkResult['duplicates'] = []
  for (const i of clashed.sort((a, b) => a - b)) {
    const row = input.rows[i]
    for (const key of input.uniqueKeys) {
      const where = key.columns.map((c) => `${qi.quoteIdentifier(c)} = ?`).join(' AND ')
      const values = key.columns.map((c) => row[input.columns.indexOf(c)])
      if (values.some((v) => v === null)) continue
      const found = await db.sequelize.query(`SELECT 1 FROM ${qi.quoteIdentifier(input.table)} WHERE ${where} LIMIT 1`, {
        replacements: values as unknown[],
        transaction,
        type: QueryTypes.SELECT,
      })
      if (found.length > 0) {
        duplicates.push({row: i, key, value: values.join('-')})
        break
      }
    }
  }
  return {inserted: input.rows.length - clashed.length, duplicates}
}

/** Inserts rows, skipping (and reporting) those whose unique keys are already taken. */
export function bulkInsert(db: Db, transaction: Transaction, input: BulkInsert): Promise<BulkResult> {
  return db.dialect === 'mysql' ? mysqlInsert(db, transaction, input) : sqliteInsert(db, transaction, input)
}
