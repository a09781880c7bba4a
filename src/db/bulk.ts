/**
 * Fast multi-row writes for imports, inside a caller's transaction.
 *
 * MySQL: LOAD DATA LOCAL INFILE fed from memory (the server's own loader, several times
 * faster than INSERT statements), with IGNORE so that rows clashing with a unique key are
 * skipped instead of failing the batch; SHOW WARNINGS then names each skipped key value,
 * which is mapped back to its row. IGNORE also turns a value the column cannot hold into a
 * warning and stores something else: every value is checked before (the services' checks),
 * and any warning but a skipped duplicate fails the batch, so nothing is stored that differs
 * from what was given. SQLite: multi-row INSERTs through sequelize.query, and for a group
 * of rows that clashes, an INSERT … ON CONFLICT DO NOTHING per row; a row that changed
 * nothing clashed with a unique key.
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

/** Rows by index: an array, or rows made on demand (so that a batch keeps no array per row). */
export interface Rows {
  readonly length: number
  at(index: number): Cell[] | undefined
}

export interface BulkInsert {
  table: string
  columns: string[]
  rows: Rows
  uniqueKeys: UniqueKey[]
  /**
   * Columns stored with the value of one of `columns` (`{updated_at: 'created_at'}`), neither in
   * `columns` nor in the rows: on MySQL the value goes once, and LOAD DATA's SET copies it (the
   * server then reads and parses one date-time a row, not two).
   */
  copies?: Record<string, string>
  /** Sent only once this resolves (the data is prepared before). */
  before?: Promise<void>
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

const TSV_SPECIAL = /[\\\t\n\r\0]/
const TSV_ESCAPES: Record<string, string> = {'\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0'}
// The rows of a batch often share their timestamps: format each distinct one once.
let lastTime = NaN
let lastTimeText = ''

// LOAD DATA's default text format: tab-separated, \N for NULL, backslash escapes.
function tsvCell(value: Cell): string {
  if (typeof value === 'string') return TSV_SPECIAL.test(value) ? value.replace(/[\\\t\n\r\0]/g, (c) => TSV_ESCAPES[c]) : value
  if (value === null) return '\\N'
  if (value instanceof Date) {
    const time = value.getTime()
    if (time !== lastTime) {
      lastTime = time
      lastTimeText = mysqlDate(value)
    }
    return lastTimeText
  }
  if (typeof value === 'boolean') return value ? '1' : '0'
  return String(value)
}

/**
 * The rows as LOAD DATA text, encoded into buffers of about 256 KiB a line at a time (no
 * string that outlives its line: an import's memory is mostly what it keeps per row).
 */
function tsv(rows: Rows): Buffer[] {
  const buffers: Buffer[] = []
  let buffer = Buffer.allocUnsafe(PIECE_BYTES)
  let at = 0
  for (let r = 0; r < rows.length; r++) {
    const row = rows.at(r)!
    let line = tsvCell(row[0])
    for (let i = 1; i < row.length; i++) line += '\t' + tsvCell(row[i])
    line += '\n'
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (at + line.length * 3 > buffer.length) {
      buffers.push(buffer.subarray(0, at))
      buffer = Buffer.allocUnsafe(Math.max(PIECE_BYTES, line.length * 3))
      at = 0
    }
    at += buffer.write(line, at)
  }
  if (at > 0) buffers.push(buffer.subarray(0, at))
  return buffers
}

const PIECE_BYTES = 256 * 1024

/** Transactions whose session's max_error_count was already raised. */
const raisedErrorCount = new WeakSet<Transaction>()

function keyText(key: UniqueKey, columns: string[], row: Cell[]): string {
  return key.columns.map((c) => String(row[columns.indexOf(c)] ?? '').toLowerCase()).join('-')
}

async function mysqlInsert(db: Db, transaction: Transaction, input: BulkInsert): Promise<BulkResult> {
  if (input.rows.length === 0) {
    await input.before
    return {inserted: 0, duplicates: []}
  }
  const qi = db.sequelize.getQueryInterface()
  const data = tsv(input.rows)
  await input.before
  const name = registerInfile(data)
  // Every skipped row must leave its warning (SHOW WARNINGS keeps 64 by default): once per transaction.
  if (!raisedErrorCount.has(transaction)) {
    await db.sequelize.query('SET SESSION max_error_count = 65535', {transaction})
    raisedErrorCount.add(transaction)
  }
  const columns = input.columns.map((c) => qi.quoteIdentifier(c)).join(', ')
  const copies = Object.entries(input.copies ?? {}).map(([column, from]) => `${qi.quoteIdentifier(column)} = ${qi.quoteIdentifier(from)}`)
  const [, result] = (await db.sequelize.query(
    `LOAD DATA LOCAL INFILE ${db.sequelize.escape(name)} IGNORE INTO TABLE ${qi.quoteIdentifier(input.table)}` +
      ` CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${columns})` +
      (copies.length > 0 ? ` SET ${copies.join(', ')}` : ''),
    {transaction, type: QueryTypes.RAW},
  )) as [unknown, {affectedRows?: number; warningStatus?: number}]
  const inserted = Number(result?.affectedRows ?? 0)
  const duplicates: BulkResult['duplicates'] = []
  if (inserted < input.rows.length || Number(result?.warningStatus ?? 0) > 0) {
    const warnings = (await db.sequelize.query('SHOW WARNINGS', {transaction, type: QueryTypes.SELECT})) as {
      Code: number
      Message: string
    }[]
    // Key value → row, for every unique key (rows are unique within a batch: checked before).
    const byKey = new Map<string, Map<string, number>>()
    for (const key of input.uniqueKeys) {
      const map = new Map<string, number>()
      for (let i = 0; i < input.rows.length; i++) map.set(keyText(key, input.columns, input.rows.at(i)!), i)
      byKey.set(key.index, map)
    }
    for (const warning of warnings) {
      const match = /^Duplicate entry '(.*)' for key '(?:[^.']*\.)?([^']+)'$/s.exec(warning.Message)
      if (!match) {
        throw new Error(
          `import stopped: the database changed a value of ${input.table} instead of storing it as given (warning ${warning.Code}: ${warning.Message}); nothing of this batch was written`,
        )
      }
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

let lastSqliteTime = NaN
let lastSqliteText = ''

function sqliteValue(value: Cell): unknown {
  if (value instanceof Date) {
    const time = value.getTime()
    if (time !== lastSqliteTime) {
      lastSqliteTime = time
      lastSqliteText = sqliteDate(value)
    }
    return lastSqliteText
  }
  return typeof value === 'boolean' ? (value ? 1 : 0) : value
}

const hasNul = (value: unknown) => typeof value === 'string' && value.includes('\0')

/** Whether a statement failed on a unique key (Sequelize's error keeps the driver's as `parent`). */
const isUniqueViolation = (error: unknown) => {
  const parent = (error as {parent?: Error} | undefined)?.parent
  return /SQLITE_CONSTRAINT: UNIQUE/.test(String(parent?.message ?? (error as Error)?.message))
}

/**
 * SQLite: multi-row INSERTs (sequelize.query with replacements) in the batch's transaction,
 * one per group of rows (a statement per row would cost a trip to sqlite3's thread per row).
 * A group that hits a unique key fails whole, changing nothing; the rows of that group whose
 * keys are taken are then looked up (one IN query per key) and the others inserted again,
 * row by row with ON CONFLICT DO NOTHING should that still clash.
 */
async function sqliteInsert(db: Db, transaction: Transaction, input: BulkInsert): Promise<BulkResult> {
  await input.before
  if (input.rows.length === 0) return {inserted: 0, duplicates: []}
  const qi = db.sequelize.getQueryInterface()
  // Copied columns (BulkInsert.copies) are given their value here, after the row's own.
  const copies = Object.entries(input.copies ?? {})
  const from = copies.map(([, column]) => input.columns.indexOf(column))
  const columns = [...input.columns, ...copies.map(([column]) => column)]
  const head = `INSERT INTO ${qi.quoteIdentifier(input.table)} (${columns.map((c) => qi.quoteIdentifier(c)).join(', ')}) VALUES `
  // Replacements (values escaped into the statement by Sequelize), not bind parameters: Sequelize
  // binds an array by name ($1…), and sqlite3 finds each name by a scan of all of them, which
  // made a 999-value statement three times slower than these. 999 values per statement, as
  // SQLite builds before 3.32 allowed.
  const tuple = `(${columns.map(() => '?').join(', ')})`
  const group = Math.max(1, Math.floor(999 / columns.length))
  const texts = new Map<number, string>()
  const textFor = (rows: number) => texts.get(rows) ?? texts.set(rows, head + Array.from({length: rows}, () => tuple).join(', ')).get(rows)!
  /** Inserts the rows at `indexes` (`suffix` ends the statement); the number of rows inserted. */
  const insert = async (indexes: number[], suffix = ''): Promise<number> => {
    const values: unknown[] = []
    for (const i of indexes) {
      const row = input.rows.at(i)!
      for (const value of row) values.push(sqliteValue(value))
      for (const k of from) values.push(sqliteValue(row[k]))
    }
    let sql = textFor(indexes.length)
    if (values.some(hasNul)) {
      // A NUL would end the statement's text: such a value goes in as hex.
      let next = 0
      sql = sql.replace(/\?/g, () => {
        const value = values[next++]
        return hasNul(value) ? `CAST(X'${Buffer.from(value as string, 'utf8').toString('hex')}' AS TEXT)` : '?'
      })
      values.splice(0, values.length, ...values.filter((value) => !hasNul(value)))
    }
    const [, changes] = (await db.sequelize.query(sql + suffix, {replacements: values, transaction, type: QueryTypes.INSERT, logging: false})) as [unknown, number]
    return Number(changes)
  }
  const duplicates: BulkResult['duplicates'] = []
  let inserted = 0
  for (let from = 0; from < input.rows.length; from += group) {
    const indexes = Array.from({length: Math.min(group, input.rows.length - from)}, (_, k) => from + k)
    try {
      inserted += await insert(indexes)
      continue
    } catch (error) {
      if (!isUniqueViolation(error)) throw error
    }
    const taken = await takenKeys(db, transaction, input, indexes)
    duplicates.push(...taken)
    const rest = indexes.filter((i) => !taken.some((d) => d.row === i))
    if (rest.length === 0) continue
    try {
      inserted += await insert(rest)
      continue
    } catch (error) {
      if (!isUniqueViolation(error)) throw error
    }
    // Still a clash the lookups did not see (two rows of the batch, say): row by row.
    const changes: number[] = []
    for (const i of rest) changes.push(await insert([i], ' ON CONFLICT DO NOTHING'))
    const clashed = rest.filter((_, k) => changes[k] === 0)
    inserted += rest.length - clashed.length
    duplicates.push(...(await takenKeys(db, transaction, input, clashed)))
  }
  duplicates.sort((a, b) => a.row - b.row)
  return {inserted, duplicates}
}

/**
 * The rows among `indexes` whose unique key values the table already holds, with the key:
 * one IN query per one-column key, a query per row for wider keys.
 */
async function takenKeys(db: Db, transaction: Transaction, input: BulkInsert, indexes: number[]): Promise<BulkResult['duplicates']> {
  const qi = db.sequelize.getQueryInterface()
  const table = qi.quoteIdentifier(input.table)
  const duplicates: BulkResult['duplicates'] = []
  let open = indexes
  for (const key of input.uniqueKeys) {
    if (open.length === 0) break
    const cells = (i: number) => {
      const row = input.rows.at(i)!
      return key.columns.map((c) => row[input.columns.indexOf(c)])
    }
    const candidates = open.filter((i) => cells(i).every((v) => v !== null))
    const found = new Set<number>()
    if (key.columns.length === 1) {
      const column = qi.quoteIdentifier(key.columns[0])
      for (let from = 0; from < candidates.length; from += 500) {
        const chunk = candidates.slice(from, from + 500)
        const rows = await db.sequelize.query<Record<string, unknown>>(
          `SELECT ${column} AS v FROM ${table} WHERE ${column} IN (${chunk.map(() => '?').join(', ')})`,
          {replacements: chunk.map((i) => sqliteValue(cells(i)[0])), transaction, type: QueryTypes.SELECT},
        )
        const taken = new Set(rows.map((r) => String(r.v).toLowerCase()))
        for (const i of chunk) if (taken.has(String(cells(i)[0]).toLowerCase())) found.add(i)
      }
    } else {
      const where = key.columns.map((c) => `${qi.quoteIdentifier(c)} = ?`).join(' AND ')
      for (const i of candidates) {
        const hit = await db.sequelize.query(`SELECT 1 FROM ${table} WHERE ${where} LIMIT 1`, {
          replacements: cells(i).map(sqliteValue),
          transaction,
          type: QueryTypes.SELECT,
        })
        if (hit.length > 0) found.add(i)
      }
    }
    for (const i of found) duplicates.push({row: i, key, value: cells(i).join('-')})
    open = open.filter((i) => !found.has(i))
  }
  return duplicates
}

/** Inserts rows, skipping (and reporting) those whose unique keys are already taken. */
export function bulkInsert(db: Db, transaction: Transaction, input: BulkInsert): Promise<BulkResult> {
  // A copy of a column the rows do not hold would store NULL on SQLite and fail on MySQL: a programming error, caught before anything is sent.
  for (const [column, from] of Object.entries(input.copies ?? {})) {
    if (!input.columns.includes(from)) throw new Error(`bulkInsert into ${input.table}: ${column} copies ${from}, which is not one of its columns`)
  }
  return db.dialect === 'mysql' ? mysqlInsert(db, transaction, input) : sqliteInsert(db, transaction, input)
}
