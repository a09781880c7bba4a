import {DataTypes, tableOptions, type MigrationFn} from '../src/db/migration-kit.js'

// What an interrupted import had reported, kept with its checkpoint in the same transaction as
// each committed batch: the rows it inserted, updated and rejected so far, and the rejected rows
// themselves (line, field, reason, the row as read). `import --resume` reports them again, so
// the report of a resumed import covers the whole file. Both go when the import finishes.
export const up: MigrationFn = async ({context}) => {
  const {queryInterface} = context
  for (const column of ['inserted', 'updated', 'rejected']) {
    await queryInterface.addColumn('import_checkpoints', column, {type: DataTypes.INTEGER, allowNull: false, defaultValue: 0})
  }
  await queryInterface.createTable(
    'import_rejections',
    {
      id: {type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true, allowNull: false},
      file_key: {type: DataTypes.STRING(64), allowNull: false},
      line: {type: DataTypes.INTEGER, allowNull: false},
      field: {type: DataTypes.STRING(64), allowNull: true},
      reason: {type: DataTypes.TEXT, allowNull: false},
      // The row as read (JSON): a CSV line can be long.
      row_json: {type: DataTypes.TEXT('medium'), allowNull: true},
    },
    tableOptions(context),
  )
  await queryInterface.addIndex('import_rejections', ['file_key', 'line'], {name: 'import_rejections_file_line'})
}

export const down: MigrationFn = async ({context}) => {
  const {queryInterface} = context
  await queryInterface.dropTable('import_rejections')
  for (const column of ['rejected', 'updated', 'inserted']) {
    // Sequelize's removeColumn on SQLite copies the table without its indexes; it has none but its key.
    if (context.dialect === 'sqlite') await queryInterface.sequelize.query(`ALTER TABLE import_checkpoints DROP COLUMN ${column}`)
    else await queryInterface.removeColumn('import_checkpoints', column)
  }
}
