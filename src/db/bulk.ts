/**
 * Fast multi-row writes for imports, inside a caller's transaction.
 *
 * MySQL: LOAD DATA LOCAL INFILE fed from memory (the server's own loader, several times
 * faster than INSERT statements), with IGNORE so that rows clashing with a unique key are
 * skipped instead of failing the batch; SHOW WARNINGS then names each skipped key value,
 * which is mapped back to its row. IGNORE also turns a value the column cannot hold into a
 * warning and stores something else: every value is checked before (the services' checks),
 * and any warning but a skipped duplicate fails the batch, so nothing is stored that differs
 * from what was given. SQLite: prepared multi-row INSERTs, and for a group of
 * rows that clashes, a prepared INSERT … ON CONFLICT DO NOTHING per row; a row that changed
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

/** Connections on which this session's max_error_count was already raised. */
const raisedErrorCount = new WeakSet<object>()

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
  // Every skipped row must leave its warning (SHOW WARNINGS keeps 64 by default): once per connection.
  const connection = (transaction as unknown as {connection: object}).connection
  if (!raisedErrorCount.has(connection)) {
    await db.sequelize.query('SET SESSION max_error_count = 65535', {transaction})
    raisedErrorCount.add(connection)
  }
  const columns = input.columns.map((c) => qi.quoteIdentifier(c)).join(', ')
  const [, result] = (await db.sequelize.query(
    `LOAD DATA LOCAL INFILE ${db.sequelize.escape(name)} IGNORE INTO TABLE ${qi.quoteIdentifier(input.table)}` +
      ` CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${columns})`,
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

interface SqliteStatement {
  run(params: unknown[], callback: (this: {changes: number}, err: Error | null) => void): void
  finalize(callback?: () => void): void
}
interface SqliteConnection {
  prepare(sql: string, callback: (err: Error | null) => void): SqliteStatement
}

function prepare(connection: SqliteConnection, sql: string): Promise<SqliteStatement> {
  return new Promise<SqliteStatement>((resolve, reject) => {
    const statement = connection.prepare(sql, (err) => (err ? reject(err) : resolve(statement)))
  })
}

function run(statement: SqliteStatement, params: unknown[]): Promise<number> {
  return new Promise<number>((resolve, reject) =>
    statement.run(params, function (err) {
      if (err) reject(err)
      else resolve(this.changes)
    }),
  )
}

const finalize = (statement: SqliteStatement) => new Promise<void>((resolve) => statement.finalize(() => resolve()))

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

const isUniqueViolation = (error: unknown) => /SQLITE_CONSTRAINT: UNIQUE/.test(String((error as Error)?.message))

/**
 * SQLite: prepared statements in the batch's transaction. Rows go in groups, one multi-row
 * INSERT per group (a statement per row would cost a trip to sqlite3's thread per row). A
 * group that hits a unique key fails whole, changing nothing; the rows of that group whose
 * keys are taken are then looked up (one IN query per key) and the others inserted again,
 * row by row with ON CONFLICT DO NOTHING should that still clash.
 */
async function sqliteInsert(db: Db, transaction: Transaction, input: BulkInsert): Promise<BulkResult> {
  await input.before
  if (input.rows.length === 0) return {inserted: 0, duplicates: []}
  const connection = (transaction as unknown as {connection: SqliteConnection}).connection
  const qi = db.sequelize.getQueryInterface()
  const table = qi.quoteIdentifier(input.table)
  const head = `INSERT INTO ${table} (${input.columns.map((c) => qi.quoteIdentifier(c)).join(', ')}) VALUES `
  const tuple = `(${input.columns.map(() => '?').join(', ')})`
  // 999 parameters per statement: the limit of SQLite builds before 3.32.
  const group = Math.max(1, Math.floor(999 / input.columns.length))
  const statements = new Map<number, SqliteStatement>()
  const multi = async (rows: number) => {
    let statement = statements.get(rows)
    if (!statement) statements.set(rows, (statement = await prepare(connection, head + Array.from({length: rows}, () => tuple).join(', '))))
    return statement
  }
  const insertRows = async (indexes: number[]) => {
    const params: unknown[] = []
    for (const i of indexes) for (const value of input.rows.at(i)!) params.push(sqliteValue(value))
    return run(await multi(indexes.length), params)
  }
  let single: SqliteStatement | undefined
  const duplicates: BulkResult['duplicates'] = []
  let inserted = 0
  try {
    for (let from = 0; from < input.rows.length; from += group) {
      const indexes = Array.from({length: Math.min(group, input.rows.length - from)}, (_, k) => from + k)
      try {
        inserted += await insertRows(indexes)
        continue
      } catch (error) {
        if (!isUniqueViolation(error)) throw error
      }
      const taken = await takenKeys(db, transaction, input, indexes)
      duplicates.push(...taken)
      const rest = indexes.filter((i) => !taken.some((d) => d.row === i))
      if (rest.length === 0) continue
      try {
        inserted += await insertRows(rest)
        continue
      } catch (error) {
        if (!isUniqueViolation(error)) throw error
      }
      // Still a clash the lookups did not see (two rows of the batch, say): row by row.
      const statement = (single ??= await prepare(connection, `${head}${tuple} ON CONFLICT DO NOTHING`))
      const changes = await Promise.all(rest.map((i) => run(statement, input.rows.at(i)!.map(sqliteValue))))
      const clashed = rest.filter((_, k) => changes[k] === 0)
      inserted += rest.length - clashed.length
      duplicates.push(...(await takenKeys(db, transaction, input, clashed)))
    }
  } finally {
    for (const statement of [...statements.values(), ...(single ? [single] : [])]) await finalize(statement)
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
  return db.dialect === 'mysql' ? mysqlInsert(db, transaction, input) : sqliteInsert(db, transaction, input)
}
