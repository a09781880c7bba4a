/**
 * What the database itself says about its schema, read from the real catalogue:
 * information_schema on MySQL/MariaDB, PRAGMAs and sqlite_master on SQLite. Tests compare
 * this with what the migrations promise, so nothing here trusts Sequelize's own models.
 */
import {QueryTypes} from 'sequelize'

import type {Db} from '../../src/db/index.js'
import {LEASE_TABLE} from '../../src/db/lease.js'

export interface ColumnInfo {
  name: string
  /** The declared type, lower-case: "decimal(10,2)", "varchar(50)", "int(11)"… */
  type: string
}

export interface ForeignKeyInfo {
  column: string
  referencedTable: string
  referencedColumn: string
  onDelete: string
  onUpdate: string
}

export interface IndexInfo {
  name: string
  unique: boolean
  columns: string[]
}

export interface TableSnapshot {
  columns: ColumnInfo[]
  foreignKeys: ForeignKeyInfo[]
  indexes: IndexInfo[]
  checks: string[]
}

function select<T extends object>(db: Db, sql: string, replacements: unknown[] = []): Promise<T[]> {
  return db.sequelize.query<T>(sql, {type: QueryTypes.SELECT, replacements})
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

/**
 * The base tables of the database, sorted. Left out: SQLite's internal tables, and the schema
 * lock's lease table (MySQL), which exists once any runner took the lock, whatever the
 * migrations did; `withLease` keeps it.
 */
export async function tableNames(db: Db, options: {withLease?: boolean} = {}): Promise<string[]> {
  const rows =
    db.dialect === 'mysql'
      ? await select<{name: string}>(
          db,
          "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
        )
      : await select<{name: string}>(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
  return rows
    .map((row) => row.name)
    .filter((name) => options.withLease || name !== LEASE_TABLE)
    .sort()
}

export async function columns(db: Db, table: string): Promise<ColumnInfo[]> {
  if (db.dialect === 'mysql') {
    const rows = await select<{name: string; type: string}>(
      db,
      `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [table],
    )
    return rows.map((row) => ({name: row.name, type: String(row.type).toLowerCase()}))
  }
  const rows = await select<{name: string; type: string}>(db, `PRAGMA table_info(${quote(table)})`)
  return rows.map((row) => ({name: row.name, type: row.type.toLowerCase().replace(/\s+/g, '')}))
}

export async function foreignKeys(db: Db, table: string): Promise<ForeignKeyInfo[]> {
  if (db.dialect === 'mysql') {
    const rows = await select<ForeignKeyInfo>(
      db,
      `SELECT k.COLUMN_NAME AS \`column\`, k.REFERENCED_TABLE_NAME AS referencedTable,
              k.REFERENCED_COLUMN_NAME AS referencedColumn, r.DELETE_RULE AS onDelete, r.UPDATE_RULE AS onUpdate
         FROM information_schema.KEY_COLUMN_USAGE k
         JOIN information_schema.REFERENTIAL_CONSTRAINTS r
           ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
        WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL
        ORDER BY k.COLUMN_NAME`,
      [table],
    )
    return rows.map((row) => ({...row}))
  }
  const rows = await select<{from: string; table: string; to: string; on_delete: string; on_update: string}>(
    db,
    `PRAGMA foreign_key_list(${quote(table)})`,
  )
  return rows
    .map((row) => ({
      column: row.from,
      referencedTable: row.table,
      referencedColumn: row.to,
      onDelete: row.on_delete,
      onUpdate: row.on_update,
    }))
    .sort((a, b) => a.column.localeCompare(b.column))
}

/** Secondary indexes (the primary key left out), with their columns in order. */
export async function indexes(db: Db, table: string): Promise<IndexInfo[]> {
  const result: IndexInfo[] = []
  if (db.dialect === 'mysql') {
    const rows = await select<{name: string; nonUnique: number | string; column: string}>(
      db,
      `SELECT INDEX_NAME AS name, NON_UNIQUE AS nonUnique, COLUMN_NAME AS \`column\` FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME <> 'PRIMARY'
        ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
      [table],
    )
    for (const row of rows) {
      let index = result.find((i) => i.name === row.name)
      if (!index) result.push((index = {name: row.name, unique: Number(row.nonUnique) === 0, columns: []}))
      index.columns.push(row.column)
    }
  } else {
    const list = await select<{name: string; unique: number; origin: string}>(db, `PRAGMA index_list(${quote(table)})`)
    for (const entry of list.filter((e) => e.origin !== 'pk')) {
      const info = await select<{seqno: number; name: string}>(db, `PRAGMA index_info(${quote(entry.name)})`)
      result.push({
        name: entry.name,
        unique: Number(entry.unique) === 1,
        columns: info.sort((a, b) => a.seqno - b.seqno).map((c) => c.name),
      })
    }
  }
  return result.sort((a, b) => a.name.localeCompare(b.name))
}

/** The columns of the table's primary key, in order. */
export async function primaryKeyColumns(db: Db, table: string): Promise<string[]> {
  if (db.dialect === 'mysql') {
    const rows = await select<{column: string}>(
      db,
      `SELECT COLUMN_NAME AS \`column\` FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`,
      [table],
    )
    return rows.map((r) => r.column)
  }
  const rows = await select<{name: string; pk: number}>(db, `PRAGMA table_info(${quote(table)})`)
  return rows.filter((r) => Number(r.pk) > 0).sort((a, b) => a.pk - b.pk).map((r) => r.name)
}

/**
 * The names of the table's CHECK constraints. MariaDB's own column-level checks on JSON
 * columns (json_valid) are left out: they come with the type, not from a migration.
 */
export async function checks(db: Db, table: string): Promise<string[]> {
  if (db.dialect === 'mysql') {
    // TABLE_CONSTRAINTS has the table on MySQL 8 and MariaDB alike; CHECK_CONSTRAINTS the clause.
    const rows = await select<{name: string; clause: string}>(
      db,
      `SELECT t.CONSTRAINT_NAME AS name, c.CHECK_CLAUSE AS clause
         FROM information_schema.TABLE_CONSTRAINTS t
         JOIN information_schema.CHECK_CONSTRAINTS c
           ON c.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND c.CONSTRAINT_NAME = t.CONSTRAINT_NAME
        WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_NAME = ? AND t.CONSTRAINT_TYPE = 'CHECK'`,
      [table],
    )
    return rows
      .filter((row) => !/^json_valid\(/i.test(row.clause))
      .map((row) => row.name)
      .sort()
  }
  const [row] = await select<{sql: string}>(db, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table])
  const names = [...(row?.sql ?? '').matchAll(/CONSTRAINT\s+[`"[]?(\w+)[`"\]]?\s+CHECK\s*\(/gi)].map((m) => m[1])
  return names.sort()
}

export async function tableSnapshot(db: Db, table: string): Promise<TableSnapshot> {
  return {
    columns: await columns(db, table),
    foreignKeys: await foreignKeys(db, table),
    indexes: await indexes(db, table),
    checks: await checks(db, table),
  }
}

/** Every table with its columns, keys, indexes and checks: equal snapshots, equal schemas. */
export async function schemaSnapshot(db: Db): Promise<Record<string, TableSnapshot>> {
  const snapshot: Record<string, TableSnapshot> = {}
  for (const table of await tableNames(db)) snapshot[table] = await tableSnapshot(db, table)
  return snapshot
}

/** The rows of SequelizeMeta as stored (no columns beyond name when it is a sequelize-cli table). */
export async function metaRows(db: Db): Promise<Record<string, unknown>[]> {
  if (!(await tableNames(db)).includes('SequelizeMeta')) return []
  const rows = await select<Record<string, unknown>>(db, 'SELECT * FROM SequelizeMeta ORDER BY name')
  return rows.map((row) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])),
  )
}

/**
 * The CREATE statement of every table as the database prints it (SHOW CREATE TABLE; on SQLite
 * the table's and its indexes' SQL), AUTO_INCREMENT counters left out: equal statements,
 * equal schemas, down to column order and the text of each CHECK.
 */
export async function createStatements(db: Db, options: {withLease?: boolean} = {}): Promise<Record<string, string>> {
  const statements: Record<string, string> = {}
  for (const table of await tableNames(db, options)) {
    if (db.dialect === 'mysql') {
      const [row] = await select<Record<string, string>>(db, `SHOW CREATE TABLE \`${table}\``)
      statements[table] = row['Create Table'].replace(/ AUTO_INCREMENT=\d+/, '')
    } else {
      const rows = await select<{sql: string | null}>(db, 'SELECT sql FROM sqlite_master WHERE tbl_name = ? ORDER BY type DESC, name', [table])
      statements[table] = rows.map((row) => row.sql ?? '').join(';\n')
    }
  }
  return statements
}
