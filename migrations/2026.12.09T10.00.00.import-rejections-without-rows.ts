import {DataTypes, type MigrationFn} from '../src/db/migration-kit.js'

// The rows an import rejected were kept with its checkpoint as read (row_json), for `import
// --resume` to report again; a users file's rows hold passwords in the clear, so the database
// held them at rest, in backups and on replicas. The resumed run now reads the rejected rows from
// the file itself (the checkpoint is of that very file: path, size, modification time), and the
// column goes, with what it held. Down adds it back, empty.
const TABLE = 'import_rejections'
const COLUMN = 'row_json'

export const up: MigrationFn = async ({context}) => {
  const {queryInterface} = context
  // SQLite: Sequelize's removeColumn would copy the table without its index. MySQL: removeColumn
  // skips a column already gone (a run stopped halfway), see db/step-interface.ts.
  if (context.dialect === 'sqlite') await queryInterface.sequelize.query(`ALTER TABLE ${TABLE} DROP COLUMN ${COLUMN}`)
  else await queryInterface.removeColumn(TABLE, COLUMN)
}

export const down: MigrationFn = async ({context}) => {
  // As the column was made (2026.12.06T10.00.00.import-reports.ts): a CSV line can be long.
  await context.queryInterface.addColumn(TABLE, COLUMN, {type: DataTypes.TEXT('medium'), allowNull: true})
}
