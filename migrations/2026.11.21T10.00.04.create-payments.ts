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
    'payments',
    {
      id: primaryKey,
      booking_id: references('bookings'),
      amount: {type: DataTypes.DECIMAL(12, 2), allowNull: false},
      payment_date: {type: DataTypes.DATE, allowNull: false},
      status: {type: DataTypes.STRING(16), allowNull: false},
      transaction_id: {type: DataTypes.STRING(100), allowNull: false},
      kind: {type: DataTypes.STRING(8), allowNull: false, defaultValue: 'charge'},
      refund_of_id: references('payments', {allowNull: true}),
      reason: {type: DataTypes.STRING(500), allowNull: true},
      idempotency_key: {type: DataTypes.STRING(100), allowNull: true},
      ...timestamps,
    },
    tableOptions(context),
  )
  await addCheck(context, 'payments', 'payments_amount_positive', 'amount > 0')
  await addCheck(context, 'payments', 'payments_kind_known', "kind IN ('charge', 'refund')")
  await addCheck(
    context,
    'payments',
    'payments_status_known',
    "status IN ('pending', 'completed', 'failed', 'refunded')",
  )
  // A refund points at its charge; a charge points at nothing.
  await addCheck(
    context,
    'payments',
    'payments_refund_has_charge',
    "(kind = 'refund' AND refund_of_id IS NOT NULL) OR (kind = 'charge' AND refund_of_id IS NULL)",
  )
  await queryInterface.addIndex('payments', ['booking_id'], {name: 'payments_booking_id'})
  await queryInterface.addIndex('payments', ['refund_of_id'], {name: 'payments_refund_of_id'})
  await queryInterface.addIndex('payments', ['transaction_id'], {unique: true, name: 'payments_transaction_id_unique'})
  await queryInterface.addIndex('payments', ['idempotency_key'], {unique: true, name: 'payments_idempotency_key_unique'})
}

export const down: MigrationFn = async ({context}) => {
  await context.queryInterface.dropTable('payments')
}
