/**
 * The migration that takes V8's quote out of the reasons earlier imports kept for NDJSON lines
 * that were not JSON (part of a password, or all of it); every other reason stays as it is.
 */
import {expect} from 'chai'
import {QueryTypes} from 'sequelize'

import type {Db} from '../../src/db/index.js'
import {testDialect} from '../support/db.js'
import {useScratch} from '../support/scratch.js'
import {down, up} from '../../migrations/2026.12.10T10.00.00.import-rejection-reasons-unquoted.js'

const NAME = '2026.12.10T10.00.00.import-rejection-reasons-unquoted'

describe(`migration ${NAME} (${testDialect})`, () => {
  const scratch = useScratch({per: 'suite', database: 'migration_reasons'})
  let db: Db
  const run = (fn: typeof up) => fn({name: NAME, context: {queryInterface: db.sequelize.getQueryInterface(), dialect: db.dialect}})
  const reasons = async () =>
    (await db.sequelize.query<{reason: string}>('SELECT reason FROM import_rejections ORDER BY line', {type: QueryTypes.SELECT})).map((r) => r.reason)

  before(() => (db = scratch.db))

  it('replaces the reasons that quote a line, keeps the others, and running it again changes nothing', async () => {
    const kept = [
      `invalid JSON: Unexpected token 'h', ..."assword": hunter2-se"... is not valid JSON`,
      `invalid JSON: Unexpected token 'S', "{"password": Short-pw-3}" is not valid JSON`,
      'invalid JSON: Expected double-quoted property name in JSON at position 7',
      'email "not-an-email" is not a valid address',
    ]
    await db.sequelize.query(`INSERT INTO import_rejections (file_key, line, field, reason) VALUES ${kept.map(() => "('k', ?, NULL, ?)").join(', ')}`, {
      replacements: kept.flatMap((reason, i) => [i + 2, reason]),
    })
    const unquoted = 'invalid JSON: unexpected text (a value without its quotes?)'
    const expected = [unquoted, unquoted, kept[2], kept[3]]
    await run(up)
    expect(await reasons()).to.deep.equal(expected)
    await run(up)
    await run(down)
    expect(await reasons()).to.deep.equal(expected)
  })
})
