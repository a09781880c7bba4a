/**
 * What a migration file gets and the few helpers it may use. Migrations talk to the
 * database through `queryInterface` only (never the models), so they stay valid forever.
 */
import {DataTypes, literal, type QueryInterface} from 'sequelize'

export {DataTypes}

export interface MigrationContext {
  queryInterface: QueryInterface
  dialect: 'mysql' | 'sqlite'
}

export type MigrationFn = (params: {name: string; context: MigrationContext}) => Promise<void>

/** InnoDB and utf8mb4 on MySQL; nothing to say on SQLite. */
export function tableOptions(context: MigrationContext) {
  return context.dialect === 'mysql'
    ? {engine: 'InnoDB', charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci'}
    : {}
}

/**
 * A VARCHAR compared without regard to case: MySQL's utf8mb4_unicode_ci already is;
 * SQLite needs COLLATE NOCASE on the column, so that its unique index is case-blind too.
 */
export function caseInsensitiveString(context: MigrationContext, length: number) {
  return context.dialect === 'mysql' ? DataTypes.STRING(length) : `VARCHAR(${length}) COLLATE NOCASE`
}

/** A named CHECK constraint (MariaDB ≥ 10.2 and SQLite enforce them). */
export async function addCheck(context: MigrationContext, table: string, name: string, expression: string) {
  await context.queryInterface.addConstraint(table, {
    type: 'check',
    name,
    fields: [],
    where: literal(expression),
  })
}

/**
 * Drops a named CHECK constraint, if it is there (a rerun of a killed `down` finds it gone).
 * MySQL only: Sequelize's removeConstraint takes a CHECK for an index there; SQLite keeps a
 * column's CHECK with the column (drop the column instead).
 */
export async function removeCheck(context: MigrationContext, table: string, name: string) {
  if (context.dialect !== 'mysql') return
  const {sequelize} = context.queryInterface
  const [found] = await sequelize.query(
    'SELECT 1 FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CONSTRAINT_NAME = ?',
    {replacements: [table, name]},
  )
  const q = (identifier: string) => context.queryInterface.quoteIdentifier(identifier)
  if ((found as unknown[]).length > 0) await sequelize.query(`ALTER TABLE ${q(table)} DROP CONSTRAINT ${q(name)}`)
}

/** A foreign key column: NOT NULL unless said otherwise, RESTRICT on delete and update (ids never change; and MariaDB forbids CHECKs on cascading columns). */
export function references(table: string, options: {allowNull?: boolean; onDelete?: string} = {}) {
  return {
    type: DataTypes.INTEGER,
    allowNull: options.allowNull ?? false,
    references: {model: table, key: 'id'},
    onUpdate: 'RESTRICT',
    onDelete: options.onDelete ?? 'RESTRICT',
  }
}

export const primaryKey = {type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true, allowNull: false}

export const timestamps = {
  created_at: {type: DataTypes.DATE, allowNull: false},
  updated_at: {type: DataTypes.DATE, allowNull: false},
}
