import type {MigrationFn} from '../src/db/migration-kit.js'

// An import's checkpoint keeps the reason of each rejected row. For an NDJSON line that was not
// JSON the reason was V8's message, which quotes up to ten characters either side of the fault
// (the whole of a short line): part of a users file's password, or all of it, at rest in the
// database. Such reasons now say where the fault is instead (services/formats/records.ts); those
// kept by earlier runs lose their quote. Down has nothing to put back.
const QUOTED = "reason LIKE 'invalid JSON:%is not valid JSON'"

export const up: MigrationFn = async ({context}) => {
  await context.queryInterface.sequelize.query(
    `UPDATE import_rejections SET reason = 'invalid JSON: unexpected text (a value without its quotes?)' WHERE ${QUOTED}`,
  )
}

export const down: MigrationFn = async () => {}
