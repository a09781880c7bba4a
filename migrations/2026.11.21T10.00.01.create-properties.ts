import {
  DataTypes,
  addCheck,
  primaryKey,
  references,
  tableOptions,
  timestamps,
  type MigrationFn,
} from '../src/db/migration-kit.js'

export const up: MigrationFn = async ({context}) => {
  const {queryInterface} = context
  await queryInterface.createTable(
    'properties',
    {
      id: primaryKey,
      owner_id: references('users'),
      name: {type: DataTypes.STRING(200), allowNull: false},
      description: {type: DataTypes.TEXT, allowNull: true},
      address: {type: DataTypes.STRING(300), allowNull: false},
      price_per_night: {type: DataTypes.DECIMAL(10, 2), allowNull: false},
      cancellation_policy: {type: DataTypes.STRING(16), allowNull: false, defaultValue: 'moderate'},
      is_listed: {type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true},
      ...timestamps,
    },
    tableOptions(context),
  )
  await addCheck(context, 'properties', 'properties_price_positive', 'price_per_night > 0')
  await addCheck(
    context,
    'properties',
    'properties_cancellation_policy_known',
    "cancellation_policy IN ('flexible', 'moderate', 'strict')",
  )
  await queryInterface.addIndex('properties', ['owner_id'], {name: 'properties_owner_id'})
  await queryInterface.addIndex('properties', ['price_per_night'], {name: 'properties_price_per_night'})
  await queryInterface.addIndex('properties', ['name'], {name: 'properties_name'})
}

export const down: MigrationFn = async ({context}) => {
  await context.queryInterface.dropTable('properties')
}
