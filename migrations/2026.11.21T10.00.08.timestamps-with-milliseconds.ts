import {DataTypes, type MigrationFn} from '../src/db/migration-kit.js'

// MySQL's DATETIME keeps whole seconds; what a command printed right after a write would then
// differ from what a later read prints. DATETIME(3) keeps milliseconds, as SQLite's text does.
const COLUMNS: [table: string, column: string, nullable: boolean][] = [
  ['users', 'created_at', false],
  ['users', 'updated_at', false],
  ['properties', 'created_at', false],
  ['properties', 'updated_at', false],
  ['bookings', 'created_at', false],
  ['bookings', 'updated_at', false],
  ['reviews', 'created_at', false],
  ['reviews', 'updated_at', false],
  ['payments', 'created_at', false],
  ['payments', 'updated_at', false],
  ['payments', 'payment_date', false],
  ['api_tokens', 'created_at', false],
  ['api_tokens', 'updated_at', false],
  ['api_tokens', 'expires_at', true],
  ['api_tokens', 'last_used_at', true],
  ['api_tokens', 'revoked_at', true],
]

async function setPrecision(context: Parameters<MigrationFn>[0]['context'], precision: 0 | 3) {
  if (context.dialect !== 'mysql') return
  for (const [table, column, nullable] of COLUMNS) {
    await context.queryInterface.changeColumn(table, column, {type: precision ? DataTypes.DATE(3) : DataTypes.DATE, allowNull: nullable})
  }
}

export const up: MigrationFn = async ({context}) => setPrecision(context, 3)

export const down: MigrationFn = async ({context}) => setPrecision(context, 0)
