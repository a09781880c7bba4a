import {DataTypes, addCheck, tableOptions, type MigrationFn} from '../src/db/migration-kit.js'

export const up: MigrationFn = async ({context}) => {
  const {queryInterface} = context
  await queryInterface.createTable(
    'audit_events',
    {
      id: {type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true, allowNull: false},
      actor: {type: DataTypes.STRING(100), allowNull: false},
      via: {type: DataTypes.STRING(16), allowNull: false},
      action: {type: DataTypes.STRING(64), allowNull: false},
      entity: {type: DataTypes.STRING(32), allowNull: false},
      entity_id: {type: DataTypes.STRING(64), allowNull: true},
      changes: {type: DataTypes.JSON, allowNull: true},
      at: {type: DataTypes.DATE(3), allowNull: false},
    },
    tableOptions(context),
  )
  await addCheck(context, 'audit_events', 'audit_events_via_known', "via IN ('cli', 'graphql', 'import', 'seed')")
  await queryInterface.addIndex('audit_events', ['entity', 'entity_id'], {name: 'audit_events_entity'})
  await queryInterface.addIndex('audit_events', ['actor', 'at'], {name: 'audit_events_actor_at'})
  await queryInterface.addIndex('audit_events', ['at'], {name: 'audit_events_at'})
}

export const down: MigrationFn = async ({context}) => {
  await context.queryInterface.dropTable('audit_events')
}
