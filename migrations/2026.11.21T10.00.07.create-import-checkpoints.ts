import {DataTypes, tableOptions, type MigrationFn} from '../src/db/migration-kit.js'

// Where `stayctl import --resume` records, in the same transaction as each committed batch,
// how far into a file an import got: a resumed run skips exactly what was committed.
export const up: MigrationFn = async ({context}) => {
  await context.queryInterface.createTable(
    'import_checkpoints',
    {
      file_key: {type: DataTypes.STRING(64), primaryKey: true, allowNull: false},
      entity: {type: DataTypes.STRING(16), allowNull: false},
      source: {type: DataTypes.STRING(500), allowNull: false},
      records_done: {type: DataTypes.INTEGER, allowNull: false},
      updated_at: {type: DataTypes.DATE, allowNull: false},
    },
    tableOptions(context),
  )
}

export const down: MigrationFn = async ({context}) => {
  await context.queryInterface.dropTable('import_checkpoints')
}
