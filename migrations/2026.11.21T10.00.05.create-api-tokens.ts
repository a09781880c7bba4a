import {DataTypes, primaryKey, references, tableOptions, timestamps, type MigrationFn} from '../src/db/migration-kit.js'

export const up: MigrationFn = async ({context}) => {
  const {queryInterface} = context
  await queryInterface.createTable(
    'api_tokens',
    {
      id: primaryKey,
      user_id: references('users', {onDelete: 'CASCADE'}),
      name: {type: DataTypes.STRING(100), allowNull: false},
      token_hash: {type: DataTypes.STRING(128), allowNull: false},
      expires_at: {type: DataTypes.DATE, allowNull: true},
      last_used_at: {type: DataTypes.DATE, allowNull: true},
      revoked_at: {type: DataTypes.DATE, allowNull: true},
      ...timestamps,
    },
    tableOptions(context),
  )
  await queryInterface.addIndex('api_tokens', ['token_hash'], {unique: true, name: 'api_tokens_token_hash_unique'})
  await queryInterface.addIndex('api_tokens', ['user_id'], {name: 'api_tokens_user_id'})
}

export const down: MigrationFn = async ({context}) => {
  await context.queryInterface.dropTable('api_tokens')
}
