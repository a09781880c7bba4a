import {DataTypes, addCheck, removeCheck, type MigrationFn} from '../src/db/migration-kit.js'

// The guards of the rules that must hold on a multi-primary cluster, where a row lock is seen
// by one node only and only conflicting writes are certified (see src/services/rules/):
// - properties.calendar_version: raised by every transaction that adds or moves a live stay of
//   the property, before it reads the calendar, so two bookings of one property always conflict;
// - bookings.charged_amount: what the booking's counted charges (pending, completed, refunded)
//   add up to, raised by a compare-and-set; never above total_price;
// - payments.refunded_amount: what a charge's completed refunds add up to, raised by a
//   compare-and-set; never above the charge, and 0 on refunds.
// A killed run is finished by the next: on MySQL each step finds what it needs already there
// (the columns are added with their defaults, filled from the rows by updates that recompute
// them, then checked); on SQLite the migration is one transaction.
const money = {type: DataTypes.DECIMAL(12, 2), allowNull: false, defaultValue: 0}
// A total of 0 always passes, so that these never hide what the older CHECKs say of a bad row.
const CHARGED_WITHIN_TOTAL = 'charged_amount = 0 OR (charged_amount > 0 AND charged_amount <= total_price)'
const REFUNDED_WITHIN_AMOUNT = "refunded_amount = 0 OR (refunded_amount > 0 AND refunded_amount <= amount AND kind = 'charge')"

export const up: MigrationFn = async ({context}) => {
  const {queryInterface, dialect} = context
  const sql = (text: string) => queryInterface.sequelize.query(text)
  if (dialect === 'sqlite') {
    // SQLite cannot add a CHECK to a table that exists (Sequelize would rebuild the table and
    // lose its indexes); a column added with its CHECK is checked from then on.
    await sql('ALTER TABLE properties ADD COLUMN calendar_version INTEGER NOT NULL DEFAULT 0')
    await sql(
      'ALTER TABLE bookings ADD COLUMN charged_amount DECIMAL(12,2) NOT NULL DEFAULT 0' +
        ` CONSTRAINT bookings_charged_within_total CHECK (${CHARGED_WITHIN_TOTAL})`,
    )
    await sql(
      'ALTER TABLE payments ADD COLUMN refunded_amount DECIMAL(12,2) NOT NULL DEFAULT 0' +
        ` CONSTRAINT payments_refunded_within_amount CHECK (${REFUNDED_WITHIN_AMOUNT})`,
    )
    // Sums of DECIMALs are REAL on SQLite: rounded to cents, as every amount is.
    await sql(
      "UPDATE bookings SET charged_amount = (SELECT ROUND(COALESCE(SUM(p.amount), 0), 2) FROM payments p WHERE p.booking_id = bookings.id AND p.kind = 'charge' AND p.status IN ('pending', 'completed', 'refunded'))",
    )
    await sql(
      "UPDATE payments SET refunded_amount = (SELECT ROUND(COALESCE(SUM(r.amount), 0), 2) FROM payments r WHERE r.refund_of_id = payments.id AND r.kind = 'refund' AND r.status = 'completed') WHERE kind = 'charge'",
    )
    return
  }
  await queryInterface.addColumn('properties', 'calendar_version', {type: DataTypes.BIGINT, allowNull: false, defaultValue: 0})
  await queryInterface.addColumn('bookings', 'charged_amount', money)
  await queryInterface.addColumn('payments', 'refunded_amount', money)
  // MySQL refuses a subquery on the table being updated; a derived table is materialised first.
  await sql(
    'UPDATE bookings b LEFT JOIN (SELECT booking_id, SUM(amount) AS charged FROM payments' +
      " WHERE kind = 'charge' AND status IN ('pending', 'completed', 'refunded') GROUP BY booking_id) c ON c.booking_id = b.id" +
      ' SET b.charged_amount = COALESCE(c.charged, 0)',
  )
  await sql(
    'UPDATE payments p LEFT JOIN (SELECT refund_of_id, SUM(amount) AS refunded FROM payments' +
      " WHERE kind = 'refund' AND status = 'completed' GROUP BY refund_of_id) r ON r.refund_of_id = p.id" +
      ' SET p.refunded_amount = COALESCE(r.refunded, 0)',
  )
  await addCheck(context, 'bookings', 'bookings_charged_within_total', CHARGED_WITHIN_TOTAL)
  await addCheck(context, 'payments', 'payments_refunded_within_amount', REFUNDED_WITHIN_AMOUNT)
}

export const down: MigrationFn = async ({context}) => {
  const {queryInterface, dialect} = context
  await removeCheck(context, 'payments', 'payments_refunded_within_amount')
  await removeCheck(context, 'bookings', 'bookings_charged_within_total')
  // SQLite (3.35+) drops a column with its own CHECK; Sequelize would rebuild the table instead.
  // (A SQLite migration runs in one transaction; on MySQL removeColumn skips a column already gone.)
  const drop = (table: string, column: string) =>
    dialect === 'sqlite'
      ? queryInterface.sequelize.query(`ALTER TABLE ${table} DROP COLUMN ${column}`)
      : queryInterface.removeColumn(table, column)
  await drop('payments', 'refunded_amount')
  await drop('bookings', 'charged_amount')
  await drop('properties', 'calendar_version')
}
