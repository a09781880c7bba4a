import {DataTypes, references, tableOptions, type MigrationFn} from '../src/db/migration-kit.js'

// The free gaps of each property's calendar, for availability searches (issue 14): a gap is a
// maximal run of nights [start_date, end_date) on which no live stay lies (a booking not
// cancelled, or a block: rules/calendar.ts); open ends are 1000-01-01 (no stay before) and
// 9999-12-31 (no stay after), and a property without stays has one gap of both. span_class:
// 99 open at its end, 98 open at its start, 97 both, else floor(log2(nights)); a search for
// [S, E) reads, per class, the short range of starts a gap of that class holding it can have
// (src/services/rules/gaps.ts keeps the rows from then on, and says why).
// - Primary key (property_id, end_date): the gaps of a property by date, for the writers, who
//   read those ending on or after a day (the future of a calendar, not its whole past).
// - calendar_gaps_search (span_class, start_date, end_date, property_id): every branch of the
//   search is a range of it, answered from the index alone.
// The rows of the existing stays are filled here by one INSERT … SELECT computed by the
// database (window functions: MariaDB 10.2+, MySQL 8, SQLite 3.25+), after emptying the table,
// so that a rerun after a killed run (MySQL's DDL is not transactional) fills it again whole.
const TABLE = 'calendar_gaps'
const INDEX = 'calendar_gaps_search'
const OPEN_START = '1000-01-01'
const OPEN_END = '9999-12-31'
const MAX_CLASS = 21

type QueryInterface = Parameters<MigrationFn>[0]['context']['queryInterface']

/** The INSERT … SELECT of every gap of the stays there are. */
function backfillSql(dialect: 'mysql' | 'sqlite'): string {
  const date = (text: string) => (dialect === 'mysql' ? `DATE '${text}'` : `'${text}'`)
  const nights = dialect === 'mysql' ? 'DATEDIFF(gap_end, gap_start)' : 'CAST(julianday(gap_end) - julianday(gap_start) AS INTEGER)'
  const ladder = Array.from({length: MAX_CLASS}, (_, i) => MAX_CLASS - i)
    .map((c) => `WHEN ${nights} >= ${2 ** c} THEN ${c}`)
    .join(' ')
  const spanClass =
    `CASE WHEN gap_start = ${date(OPEN_START)} AND gap_end = ${date(OPEN_END)} THEN 97 WHEN gap_end = ${date(OPEN_END)} THEN 99` +
    ` WHEN gap_start = ${date(OPEN_START)} THEN 98 ${ladder} ELSE 0 END`
  const stays = "(SELECT property_id, start_date, end_date FROM bookings WHERE status <> 'cancelled' UNION ALL SELECT property_id, start_date, end_date FROM blocks)"
  // The gap before each stay (from the latest end of the stays before it), and the one after the last.
  const before =
    `SELECT property_id, COALESCE(previous_end, ${date(OPEN_START)}) AS gap_start, start_date AS gap_end FROM (` +
    'SELECT property_id, start_date, MAX(end_date) OVER (PARTITION BY property_id ORDER BY start_date, end_date' +
    ` ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_end FROM ${stays} s) ordered` +
    ' WHERE previous_end IS NULL OR previous_end < start_date'
  const after =
    `SELECT p.id AS property_id, COALESCE(MAX(s.end_date), ${date(OPEN_START)}) AS gap_start, ${date(OPEN_END)} AS gap_end` +
    ` FROM properties p LEFT JOIN ${stays} s ON s.property_id = p.id GROUP BY p.id`
  return (
    `INSERT INTO ${TABLE} (property_id, start_date, end_date, span_class)` +
    ` SELECT property_id, gap_start, gap_end, ${spanClass} FROM (${before} UNION ALL ${after}) gaps WHERE gap_start < gap_end`
  )
}

async function hasIndex(queryInterface: QueryInterface): Promise<boolean> {
  return ((await queryInterface.showIndex(TABLE)) as {name: string}[]).some((index) => index.name === INDEX)
}

export const up: MigrationFn = async ({context}) => {
  const {queryInterface, dialect} = context
  const create = !(await queryInterface.tableExists(TABLE))
  if (create) {
    await queryInterface.createTable(
      TABLE,
      {
        property_id: {...references('properties', {onDelete: 'CASCADE'}), primaryKey: true},
        start_date: {type: DataTypes.DATEONLY, allowNull: false},
        end_date: {type: DataTypes.DATEONLY, allowNull: false, primaryKey: true},
        span_class: {type: DataTypes.SMALLINT, allowNull: false},
      },
      tableOptions(context),
    )
  }
  // A table just created has no index yet (and a dry run on MySQL, which records the statements instead of running them, has no table to ask).
  if (create || !(await hasIndex(queryInterface))) {
    await queryInterface.addIndex(TABLE, ['span_class', 'start_date', 'end_date', 'property_id'], {name: INDEX})
  }
  // Emptied first, so that a rerun after a killed run fills it whole again (SQLite: both in the step's transaction; MySQL: each statement is atomic).
  await queryInterface.sequelize.query(`DELETE FROM ${TABLE}`)
  await queryInterface.sequelize.query(backfillSql(dialect))
}

export const down: MigrationFn = async ({context}) => {
  await context.queryInterface.dropTable(TABLE)
}
