/**
 * Where umzug records what ran: `SequelizeMeta` for migrations and `SequelizeData` for
 * seeders, the table names sequelize-cli uses (its rows, named by file, are kept as they are,
 * but the tools share no history: ours are named without an extension). Beside `name`
 * we keep a checksum of the file (to notice edits after the fact), when it was applied,
 * and, for seeders, what they inserted (so that undo removes exactly that).
 */
import {DataTypes, QueryTypes, type Sequelize, type Transaction} from 'sequelize'
import type {UmzugStorage} from 'umzug'

import type {RunnerKind} from './migration-files.js'

export interface MetaRow {
  name: string
  checksum: string | null
  appliedAt: Date | null
  details: Record<string, unknown> | null
}

export interface MetaContext {
  /** Checksums of the files, by migration name. */
  checksums: Map<string, string>
  /** What each seeder reports about its run, stored with it. */
  details: Map<string, Record<string, unknown>>
}

/** The record of the migrations (SequelizeMeta) or of the seeders (SequelizeData). */
export function metaStorage(sequelize: Sequelize, kind: RunnerKind, readOnly?: boolean): MetaStorage {
  return new MetaStorage(sequelize, kind === 'migrations' ? 'SequelizeMeta' : 'SequelizeData', readOnly)
}

export class MetaStorage implements UmzugStorage<MetaContext> {
  private ready = false
  /** Names the runner recorded (or unrecorded) inside their step's transaction: umzug's own call then has nothing left to do. */
  private readonly settled = new Set<string>()

  constructor(
    private readonly sequelize: Sequelize,
    readonly tableName: 'SequelizeMeta' | 'SequelizeData',
    /** In a dry run nothing is written, not even the meta table. */
    private readonly readOnly = false,
  ) {}

  async exists(): Promise<boolean> {
    const tables = (await this.sequelize.getQueryInterface().showAllTables()) as unknown[]
    return tables.some((t) => (typeof t === 'string' ? t : (t as {tableName: string}).tableName) === this.tableName)
  }

  /** Creates the table, or adds our columns to one that sequelize-cli made. */
  async ensureTable(): Promise<void> {
    if (this.ready || this.readOnly) return
    const qi = this.sequelize.getQueryInterface()
    if (await this.exists()) {
      const columns = await qi.describeTable(this.tableName)
      for (const [column, spec] of Object.entries(this.extraColumns())) {
        if (!(column in columns)) await qi.addColumn(this.tableName, column, spec)
      }
    } else {
      await qi.createTable(
        this.tableName,
        {
          name: {type: DataTypes.STRING(255), allowNull: false, primaryKey: true},
          ...this.extraColumns(),
        },
        this.sequelize.getDialect() === 'mysql' ? {charset: 'utf8mb4', collate: 'utf8mb4_bin'} : {},
      )
    }
    this.ready = true
  }

  private extraColumns() {
    return {
      checksum: {type: DataTypes.STRING(64), allowNull: true},
      applied_at: {type: DataTypes.DATE, allowNull: true},
      details: {type: DataTypes.TEXT, allowNull: true},
    }
  }

  async rows(): Promise<MetaRow[]> {
    if (!(await this.exists())) return []
    const qi = this.sequelize.getQueryInterface()
    const columns = await qi.describeTable(this.tableName)
    const select = ['name', ...['checksum', 'applied_at', 'details'].filter((c) => c in columns)]
    const quoted = select.map((c) => qi.quoteIdentifier(c)).join(', ')
    const rows = await this.sequelize.query<Record<string, unknown>>(
      `SELECT ${quoted} FROM ${qi.quoteIdentifier(this.tableName)} ORDER BY ${qi.quoteIdentifier('name')}`,
      {type: QueryTypes.SELECT},
    )
    return rows.map((row) => ({
      name: String(row.name),
      checksum: (row.checksum as string | null) ?? null,
      appliedAt: row.applied_at ? new Date(row.applied_at as string) : null,
      details: row.details ? (JSON.parse(String(row.details)) as Record<string, unknown>) : null,
    }))
  }

  async executed(): Promise<string[]> {
    return (await this.rows()).map((row) => row.name)
  }

  /** Whether the name is recorded, read in `transaction` when given. */
  async has(name: string, transaction?: Transaction): Promise<boolean> {
    if (!(await this.exists())) return false
    const qi = this.sequelize.getQueryInterface()
    const [present] = await this.sequelize.query<{n: number}>(
      `SELECT COUNT(*) AS ${qi.quoteIdentifier('n')} FROM ${qi.quoteIdentifier(this.tableName)} WHERE ${qi.quoteIdentifier('name')} = ?`,
      {type: QueryTypes.SELECT, replacements: [name], transaction},
    )
    return Number(present?.n) > 0
  }

  /** The runner settled this name itself (or found it settled): umzug's log call is then a no-op. */
  settle(name: string): void {
    this.settled.add(name)
  }

  /**
   * Records a migration as applied, in `transaction` when given (the step's own, with the
   * lease fence); a name recorded already is left as it is.
   */
  async record(name: string, context: MetaContext, transaction?: Transaction): Promise<void> {
    if (this.readOnly) return
    await this.ensureTable()
    const qi = this.sequelize.getQueryInterface()
    if (!(await this.has(name, transaction))) {
      const details = context.details.get(name)
      await qi.bulkInsert(
        this.tableName,
        [
          {
            name,
            checksum: context.checksums.get(name) ?? null,
            applied_at: new Date(),
            details: details ? JSON.stringify(details) : null,
          },
        ],
        {transaction},
      )
    }
    if (transaction) this.settled.add(name)
  }

  /** Forgets a migration, in `transaction` when given. */
  async unrecord(name: string, transaction?: Transaction): Promise<void> {
    if (this.readOnly) return
    await this.ensureTable()
    await this.sequelize.getQueryInterface().bulkDelete(this.tableName, {name}, {transaction})
    if (transaction) this.settled.add(name)
  }

  async logMigration({name, context}: {name: string; context: MetaContext}): Promise<void> {
    if (this.settled.delete(name)) return
    await this.record(name, context)
  }

  async unlogMigration({name}: {name: string}): Promise<void> {
    if (this.settled.delete(name)) return
    await this.unrecord(name)
  }
}
