/**
 * bulkInsert, the fast path of imports, on the database under test: rows over the server's
 * max_allowed_packet in one batch (LOAD DATA input goes in pieces), clashes with unique keys
 * reported per row with the key (also inside a group of rows on SQLite, and rows clashing with
 * each other), rows made on demand, escapes surviving the LOAD DATA text format, and columns
 * stored as a copy of another (copies).
 */
import {expect} from 'chai'
import {QueryTypes} from 'sequelize'

import {bulkInsert, type BulkInsert} from '../../src/db/bulk.js'
import type {Db} from '../../src/db/index.js'
import {testDialect} from '../support/db.js'
import {useScratch} from '../support/scratch.js'

describe(`bulkInsert (integration, ${testDialect})`, function () {
  this.timeout(120_000)

  const scratch = useScratch({per: 'test', database: 'bulk', empty: true})
  let db: Db

  beforeEach(async () => {
    db = scratch.db
    const text = testDialect === 'mysql' ? 'LONGTEXT' : 'TEXT'
    const name = testDialect === 'mysql' ? 'VARCHAR(50)' : 'VARCHAR(50) COLLATE NOCASE'
    await db.sequelize.query(`CREATE TABLE items (id INTEGER PRIMARY KEY ${testDialect === 'mysql' ? 'AUTO_INCREMENT' : 'AUTOINCREMENT'}, name ${name} NOT NULL, code VARCHAR(20), body ${text})`)
    await db.sequelize.query('CREATE UNIQUE INDEX items_name_unique ON items (name)')
    await db.sequelize.query('CREATE UNIQUE INDEX items_code_unique ON items (code)')
  })

  const insert = (rows: BulkInsert['rows']) =>
    db.sequelize.transaction((transaction) =>
      bulkInsert(db, transaction, {
        table: 'items',
        columns: ['name', 'code', 'body'],
        rows,
        uniqueKeys: [
          {index: 'items_name_unique', columns: ['name']},
          {index: 'items_code_unique', columns: ['code']},
        ],
      }),
    )
  const all = () => db.sequelize.query<{name: string; code: string | null; body: string | null}>('SELECT name, code, body FROM items ORDER BY id', {type: QueryTypes.SELECT})

  it('fails the batch, storing nothing, when the database would store a value other than the one given (MySQL)', async function () {
    if (testDialect !== 'mysql') this.skip()
    // code is VARCHAR(20): LOAD DATA … IGNORE would cut this to 20 characters and only warn.
    let error: Error | undefined
    await insert([
      ['fits', 'short', null],
      ['cut', 'c'.repeat(21), null],
    ]).catch((e: Error) => (error = e))
    expect(error?.message).to.match(/^import stopped: the database changed a value of items instead of storing it as given \(warning 1265: Data truncated for column 'code' at row 2\); nothing of this batch was written$/)
    expect(await all()).to.deep.equal([])
  })

  it('inserts a batch larger than max_allowed_packet', async () => {
    let packet = 1 << 20
    if (testDialect === 'mysql') {
      const [row] = await db.sequelize.query<{size: number}>('SELECT @@max_allowed_packet AS size', {type: QueryTypes.SELECT})
      packet = Number(row.size)
    }
    const body = 'x'.repeat(1 << 20)
    const count = Math.ceil((packet * 1.5) / body.length)
    const result = await insert(Array.from({length: count}, (_, i) => [`big${i}`, null, body]))
    expect(result).to.deep.equal({inserted: count, duplicates: []})
    const rows = await all()
    expect(rows).to.have.length(count)
    expect(rows.every((r) => r.body === body)).to.equal(true)
  })

  it('reports each row that clashes, with its key, and inserts the others', async () => {
    await insert([
      ['Taken', 'T1', null],
      ['other', 'C1', null],
    ])
    const rows: (string | null)[][] = []
    for (let i = 0; i < 250; i++) rows.push([`fresh${i}`, `F${i}`, null])
    rows[10] = ['TAKEN', 'NEW10', null] // name clashes (another case)
    rows[120] = ['new120', 'C1', null] // code clashes
    rows[200] = ['fresh5', 'NEW200', null] // clashes with row 5 of the same batch
    const result = await insert({length: rows.length, at: (i) => rows[i]})
    expect(result.inserted).to.equal(247)
    expect(result.duplicates.map((d) => [d.row, d.key.index])).to.deep.equal([
      [10, 'items_name_unique'],
      [120, 'items_code_unique'],
      [200, 'items_name_unique'],
    ])
    expect(await all()).to.have.length(249)
  })

  it('keeps tabs, line breaks, backslashes, NULLs and non-ASCII text as they are', async () => {
    const body = 'a\tb\nc\r\nd\\N e\\ f\0g — ünï 😀'
    await insert([
      ['esc', null, body],
      ['nul', 'N', null],
    ])
    expect(await all()).to.deep.equal([
      {name: 'esc', code: null, body},
      {name: 'nul', code: 'N', body: null},
    ])
  })

  it('stores a copied column with the value of its source column, row by row (copies)', async () => {
    // `code` is written as a copy of `name`, which is then neither in the columns nor in the rows.
    const result = await db.sequelize.transaction((transaction) =>
      bulkInsert(db, transaction, {
        table: 'items',
        columns: ['name', 'body'],
        rows: [
          ['one', 'first'],
          ['two', null],
          ['one', 'a clash: skipped, reported'],
        ],
        uniqueKeys: [{index: 'items_name_unique', columns: ['name']}],
        copies: {code: 'name'},
      }),
    )
    expect(result.inserted).to.equal(2)
    expect(result.duplicates.map((d) => [d.row, d.key.index])).to.deep.equal([[2, 'items_name_unique']])
    expect(await all()).to.deep.equal([
      {name: 'one', code: 'one', body: 'first'},
      {name: 'two', code: 'two', body: null},
    ])
  })

  it('refuses a copy of a column the rows do not hold, before writing anything', async () => {
    const error = await db.sequelize
      .transaction((transaction) => bulkInsert(db, transaction, {table: 'items', columns: ['name'], rows: [['one']], uniqueKeys: [], copies: {code: 'body'}}))
      .catch((e: unknown) => e)
    expect(error).to.be.instanceOf(Error).with.property('message', 'bulkInsert into items: code copies body, which is not one of its columns')
    expect(await all()).to.deep.equal([])
  })
})
