import type {MigrationFn} from '../src/db/migration-kit.js'

// Availability searches (`properties list --available-from/--available-to`) ask of every
// property whether a live booking overlaps the stay: NOT EXISTS (… property_id = ? AND
// end_date > from AND start_date < to AND status <> 'cancelled'). This index answers that
// from the index alone, end_date first: the first entry past `from` is, for a booked
// property, the overlapping stay, where (property_id, start_date, end_date) walks every
// earlier stay of the property and reads each candidate's row for its status. The older
// index stays: its order serves the bookings of a property by date. Each step checks what
// exists first, so that a run stopped halfway (MySQL's DDL is not transactional) is finished
// by the next one.
const TABLE = 'bookings'
const INDEX = 'bookings_property_end_dates'
const COLUMNS = ['property_id', 'end_date', 'start_date', 'status']

type QueryInterface = Parameters<MigrationFn>[0]['context']['queryInterface']

/** Whether the database holds the index (a dry run on MySQL records the earlier migrations instead of running them: no table yet). */
async function hasIndex(queryInterface: QueryInterface): Promise<boolean> {
  if (!(await queryInterface.tableExists(TABLE))) return false
  const indexes = (await queryInterface.showIndex(TABLE)) as {name: string}[]
  return indexes.some((index) => index.name === INDEX)
}

export const up: MigrationFn = async ({context}) => {
  const {queryInterface} = context
  if (!(await hasIndex(queryInterface))) await queryInterface.addIndex(TABLE, COLUMNS, {name: INDEX})
}

export const down: MigrationFn = async ({context}) => {
  const {queryInterface} = context
  if (await hasIndex(queryInterface)) await queryInterface.removeIndex(TABLE, INDEX)
}
