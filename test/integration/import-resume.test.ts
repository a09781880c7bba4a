/**
 * What an import keeps for `--resume` (services/import/checkpoint.ts): how far it got and the
 * line, field and reason of each row it rejected, never the row itself, since a users file's
 * rows hold passwords in the clear. A resumed run reads the rejected rows from the file again
 * and reports them, with the rows as read, before its own.
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'
import {QueryTypes} from 'sequelize'

import type {ServiceContext} from '../../src/services/context.js'
import {importFile, type Rejection} from '../../src/services/import/index.js'
import {testDialect} from '../support/db.js'
import {serviceContext} from '../support/scenario.js'
import {useScratch} from '../support/scratch.js'

/** Ten users, three of them refused: passwords no other text could hold by chance. */
const ROWS = [
  ['username', 'email', 'password'],
  ['first.bad', 'not-an-email', 'Kept-nowhere-pw-1'],
  ['anna', 'anna@example.com', 'Anna-password-pw-2'],
  ['bert', 'bert@example.com', 'Bert-password-pw-3'],
  ['anna', 'anna2@example.com', 'Repeated-user-pw-4'],
  ['cleo', 'cleo@example.com', 'Cleo-password-pw-5'],
  ['dora', 'dora@example.com', 'Dora-password-pw-6'],
  ['emil', 'emil@example.com', 'Emil-password-pw-7'],
  ['fred', 'fred@example.com', 'Fred-password-pw-8'],
  ['gina', 'gina@example.com', 'Gina-password-pw-9'],
  ['last.bad', 'last.bad@example.com', 'short'],
]
/** The file's lines (the header is line 1) whose rows are refused, and the field each is refused for. */
const REFUSED: [line: number, field: string][] = [
  [2, 'email'],
  [5, 'username'],
  [11, 'password'],
]

describe(`an import's checkpoint keeps no row, and --resume reads them again (${testDialect})`, function () {
  this.timeout(60_000)
  const temp = useScratch({per: 'suite', folder: 'stayctl-import-resume-'})
  const scratch = useScratch({per: 'test', database: 'import_resume_rows'})
  let ctx: ServiceContext
  let file: string

  before(() => {
    file = path.join(temp.dir, 'users.csv')
    fs.writeFileSync(file, ROWS.map((row) => row.join(',')).join('\n') + '\n')
  })
  beforeEach(() => (ctx = serviceContext(scratch.db)))

  /** Imports the file in batches of two, stopped (as by Ctrl-C) once a batch committed (the one prepared meanwhile still goes in). */
  async function interrupted(): Promise<Rejection[]> {
    const rejections: Rejection[] = []
    const stop = new AbortController()
    const summary = await importFile(ctx, {
      entity: 'users',
      file,
      batchSize: 2,
      signal: stop.signal,
      onRejected: (r) => rejections.push(r),
      onProgress: () => stop.abort(),
    })
    expect(summary.interrupted, 'interrupted').to.equal(true)
    expect(summary.read).to.be.below(ROWS.length - 1)
    return rejections
  }

  it('keeps the line, field and reason of each refused row, not the row: no password is in the database', async () => {
    const summary = await importFile(ctx, {entity: 'users', file, batchSize: 2})
    expect(summary).to.include({inserted: 7, rejected: 3})
    const kept = [
      ...(await scratch.db.sequelize.query('SELECT * FROM import_rejections ORDER BY line', {type: QueryTypes.SELECT})),
      ...(await scratch.db.sequelize.query('SELECT * FROM import_checkpoints', {type: QueryTypes.SELECT})),
    ]
    expect(kept.slice(0, 3).map((row) => (row as {line: number}).line)).to.deep.equal(REFUSED.map(([line]) => line))
    for (const [, , password] of ROWS.slice(1)) expect(JSON.stringify(kept)).not.to.include(password)
  })

  it('keeps no password of a line that is not JSON: its reason names the column, not the text around it', async () => {
    // V8's message for these lines quotes up to ten characters either side of the unquoted value (all of a short line).
    const lines = [
      JSON.stringify({username: 'hana', email: 'hana@example.com', password: 'Hana-password-pw-1'}),
      '{"username": "ivan", "email": "ivan@example.com", "password": Unquoted-secret-pw-2}',
      '{"pw": Short-pw-3}',
    ]
    const ndjson = path.join(temp.dir, 'unquoted.ndjson')
    fs.writeFileSync(ndjson, lines.join('\n') + '\n')
    const rejections: Rejection[] = []
    const summary = await importFile(ctx, {entity: 'users', file: ndjson, onRejected: (r) => rejections.push(r)})
    expect(summary).to.include({inserted: 1, rejected: 2})
    const kept = JSON.stringify(await scratch.db.sequelize.query('SELECT * FROM import_rejections', {type: QueryTypes.SELECT}))
    for (const secret of ['Unquoted', 'Short-pw']) expect(kept).not.to.include(secret)
    expect(rejections.map((r) => [r.line, r.reason])).to.deep.equal([
      [2, 'invalid JSON: unexpected character at column 63'],
      [3, 'invalid JSON: unexpected text (a value without its quotes?)'],
    ])
    expect(kept).to.include('column 63')
  })

  it('a resumed run reports every refused row of the file with the row as read, the earlier runs’ first, in file order', async () => {
    const first = await interrupted()
    const rejections: Rejection[] = []
    const summary = await importFile(ctx, {entity: 'users', file, batchSize: 2, resume: true, onRejected: (r) => rejections.push(r)})
    expect(summary).to.include({read: ROWS.length - 1, inserted: 7, rejected: 3})
    expect(summary.skipped).to.be.above(0)
    expect(rejections.map((r) => [r.line, r.field, r.raw])).to.deep.equal(REFUSED.map(([line, field]) => [line, field, ROWS[line - 1]]))
    // The earlier run's rejections come back as they were reported then.
    expect(first.length).to.be.within(1, 2)
    expect(rejections.slice(0, first.length)).to.deep.equal(first)
    // And again once the file is done: everything skipped, the same report.
    const again: Rejection[] = []
    await importFile(ctx, {entity: 'users', file, batchSize: 2, resume: true, onRejected: (r) => again.push(r)})
    expect(again).to.deep.equal(rejections)
  })
})
