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
    'bookings',
    {
      id: primaryKey,
      property_id: references('properties'),
      guest_id: references('users'),
      start_date: {type: DataTypes.DATEONLY, allowNull: false},
      end_date: {type: DataTypes.DATEONLY, allowNull: false},
      status: {type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending'},
      total_price: {type: DataTypes.DECIMAL(12, 2), allowNull: false},
      external_ref: {type: DataTypes.STRING(64), allowNull: true},
      ...timestamps,
    },
    tableOptions(context),
  )
  await addCheck(context, 'bookings', 'bookings_dates_ordered', 'end_date > start_date')
  await addCheck(context, 'bookings', 'bookings_status_known', "status IN ('pending', 'confirmed', 'cancelled')")
  await addCheck(context, 'bookings', 'bookings_total_not_negative', 'total_price >= 0')
  // Availability of a property over a date range; also serves the property_id foreign key.
  await queryInterface.addIndex('bookings', ['property_id', 'start_date', 'end_date'], {
    name: 'bookings_property_dates',
  })
  // Bookings of a guest, newest stays first.
  await queryInterface.addIndex('bookings', ['guest_id', 'start_date'], {name: 'bookings_guest_dates'})
  await queryInterface.addIndex('bookings', ['status', 'start_date'], {name: 'bookings_status_dates'})
  await queryInterface.addIndex('bookings', ['external_ref'], {unique: true, name: 'bookings_external_ref_unique'})
}

export const down: MigrationFn = async ({context}) => {
  await context.queryInterface.dropTable('bookings')
}
