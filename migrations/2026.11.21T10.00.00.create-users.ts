import {DataTypes, caseInsensitiveString, primaryKey, tableOptions, timestamps, type MigrationFn} from '../src/db/migration-kit.js'

export const up: MigrationFn = async ({context}) => {
  const {queryInterface} = context
  await queryInterface.createTable(
    'users',
    {
      id: primaryKey,
      username: {type: caseInsensitiveString(context, 50), allowNull: false},
      email: {type: caseInsensitiveString(context, 254), allowNull: false},
      first_name: {type: DataTypes.STRING(100), allowNull: true},
      last_name: {type: DataTypes.STRING(100), allowNull: true},
      password_hash: {type: DataTypes.STRING(100), allowNull: false},
      is_active: {type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true},
      is_admin: {type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false},
      ...timestamps,
    },
    tableOptions(context),
  )
  await queryInterface.addIndex('users', ['username'], {unique: true, name: 'users_username_unique'})
  await queryInterface.addIndex('users', ['email'], {unique: true, name: 'users_email_unique'})
}

export const down: MigrationFn = async ({context}) => {
  await context.queryInterface.dropTable('users')
}
