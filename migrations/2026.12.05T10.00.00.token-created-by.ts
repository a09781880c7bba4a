import {DataTypes, type MigrationFn} from '../src/db/migration-kit.js'

// Which session (or token) created a token: when a password changes or an account is
// deactivated, its sessions end, and with them the tokens they made (a stolen session must not
// leave a token behind). Null for sessions (made by a login) and for tokens made at the command
// line. An index, not a foreign key: the id is provenance, harmless once its token is deleted,
// and SQLite can drop a column only when no constraint names it (Sequelize would rebuild the
// table, and lose its indexes). Each step checks what exists first, so that a run stopped
// halfway (MySQL's DDL is not transactional) is finished by the next one.
const TABLE = 'api_tokens'
const COLUMN = 'created_by_token_id'
const INDEX = 'api_tokens_created_by_token_id'

type QueryInterface = Parameters<MigrationFn>[0]['context']['queryInterface']

/** What of this migration the database holds. */
async function existing(queryInterface: QueryInterface): Promise<{column: boolean; index: boolean}> {
  // A dry run on MySQL records the earlier migrations instead of running them: no table yet, nothing of ours either.
  if (!(await queryInterface.tableExists(TABLE))) return {column: false, index: false}
  const column = COLUMN in (await queryInterface.describeTable(TABLE))
  const indexes = (await queryInterface.showIndex(TABLE)) as {name: string}[]
  return {column, index: indexes.some((index) => index.name === INDEX)}
}

export const up: MigrationFn = async ({context}) => {
  const {queryInterface} = context
  const has = await existing(queryInterface)
  if (!has.column) await queryInterface.addColumn(TABLE, COLUMN, {type: DataTypes.INTEGER, allowNull: true})
  if (!has.index) await queryInterface.addIndex(TABLE, [COLUMN], {name: INDEX})
}

export const down: MigrationFn = async ({context}) => {
  const {queryInterface} = context
  const has = await existing(queryInterface)
  if (has.index) await queryInterface.removeIndex(TABLE, INDEX)
  if (!has.column) return
  // Sequelize's removeColumn on SQLite copies the table into a new one without its indexes.
  if (context.dialect === 'sqlite') await queryInterface.sequelize.query(`ALTER TABLE ${TABLE} DROP COLUMN ${COLUMN}`)
  else await queryInterface.removeColumn(TABLE, COLUMN)
}
