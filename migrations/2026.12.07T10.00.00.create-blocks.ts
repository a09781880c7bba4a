import {
  DataTypes,
  addCheck,
  primaryKey,
  references,
  tableOptions,
  type MigrationFn,
} from '../src/db/migration-kit.js'

// Blocked nights of a listing (maintenance, an owner's stay, a booking taken on another
// channel): [start_date, end_date), end exclusive like a check-out. A block and a live booking
// of one property never overlap, nor do two blocks: the calendar rule (rules/calendar.ts)
// guards both. Blocks imported from a feed carry their source (the feed URL) and the event's
// UID; source_key (sha256 of both, made by the service) keeps one block per event and property.
// Each step checks what exists first, so that a run stopped halfway (MySQL's DDL is not
// transactional) is finished by the next one.
const TABLE = 'blocks'

type QueryInterface = Parameters<MigrationFn>[0]['context']['queryInterface']

async function indexNames(queryInterface: QueryInterface): Promise<Set<string>> {
  return new Set(((await queryInterface.showIndex(TABLE)) as {name: string}[]).map((index) => index.name))
}

export const up: MigrationFn = async ({context}) => {
  const {queryInterface} = context
  const create = !(await queryInterface.tableExists(TABLE))
  if (create) {
    await queryInterface.createTable(
      TABLE,
      {
        id: primaryKey,
        property_id: references('properties', {onDelete: 'CASCADE'}),
        start_date: {type: DataTypes.DATEONLY, allowNull: false},
        end_date: {type: DataTypes.DATEONLY, allowNull: false},
        reason: {type: DataTypes.STRING(500), allowNull: false, defaultValue: ''},
        source: {type: DataTypes.STRING(2048), allowNull: true},
        source_uid: {type: DataTypes.STRING(255), allowNull: true},
        source_key: {type: DataTypes.CHAR(64), allowNull: true},
        created_by_id: references('users', {allowNull: true, onDelete: 'SET NULL'}),
        created_at: {type: DataTypes.DATE(3), allowNull: false},
        updated_at: {type: DataTypes.DATE(3), allowNull: false},
      },
      tableOptions(context),
    )
    await addCheck(context, TABLE, 'blocks_dates_ordered', 'end_date > start_date')
  }
  // A table just created has no index yet (and a dry run on MySQL, which records the statements instead of running them, has no table to ask).
  const has = create ? new Set<string>() : await indexNames(queryInterface)
  // The blocks of a property by date; also serves the property_id foreign key.
  if (!has.has('blocks_property_dates')) await queryInterface.addIndex(TABLE, ['property_id', 'start_date'], {name: 'blocks_property_dates'})
  // Availability and the calendar: the first block of a property ending after a day.
  if (!has.has('blocks_property_end_dates')) {
    await queryInterface.addIndex(TABLE, ['property_id', 'end_date', 'start_date'], {name: 'blocks_property_end_dates'})
  }
  if (!has.has('blocks_source_unique')) {
    await queryInterface.addIndex(TABLE, ['property_id', 'source_key'], {unique: true, name: 'blocks_source_unique'})
  }
  if (!has.has('blocks_created_by')) await queryInterface.addIndex(TABLE, ['created_by_id'], {name: 'blocks_created_by'})
}

export const down: MigrationFn = async ({context}) => {
  await context.queryInterface.dropTable(TABLE)
}
