/**
 * The tests' scratch (test/support/scratch.ts): a folder and a database for each test or for a
 * `describe`, gone after it; steps added with defer run first, while both are still there; and
 * a clean-up step that fails neither stops the others nor passes unseen.
 */
import fs from 'node:fs'

import {expect} from 'chai'
import mysql from 'mysql2/promise'

import type {DatabaseTarget} from '../../src/config/database-url.js'
import {tableNames} from '../support/catalog.js'
import {testDialect, withDb} from '../support/db.js'
import {runSteps, useScratch, type Scratch} from '../support/scratch.js'

async function databaseExists(target: DatabaseTarget): Promise<boolean> {
  if (target.dialect === 'sqlite') return fs.existsSync(target.storage)
  const connection = await mysql.createConnection({host: target.host, port: target.port, user: target.user, password: target.password})
  try {
    const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [target.database])
    return rows.length > 0
  } finally {
    await connection.end()
  }
}

describe(`useScratch (${testDialect})`, () => {
  describe('runSteps', () => {
    it('runs every step, the last added first, and throws the one that failed', async () => {
      const ran: string[] = []
      const boom = new Error('drop failed')
      const steps = [
        () => ran.push('remove folder'),
        () => {
          ran.push('drop')
          throw boom
        },
        async () => ran.push('close'),
      ]
      let caught: unknown
      await runSteps(steps).catch((error) => (caught = error))
      expect(ran).to.deep.equal(['close', 'drop', 'remove folder'])
      expect(caught).to.equal(boom)
      expect(steps).to.deep.equal([])
    })

    it('throws every failure when several fail, each named', async () => {
      let caught: unknown
      await runSteps([() => Promise.reject(new Error('first')), () => Promise.reject(new Error('second'))]).catch((error) => (caught = error))
      expect(caught).to.be.instanceOf(AggregateError)
      expect((caught as AggregateError).errors.map(String)).to.deep.equal(['Error: second', 'Error: first'])
      expect((caught as Error).message).to.equal('2 clean-up steps failed: Error: second; Error: first')
    })
  })

  const seen = {perTest: [] as string[], perSuite: [] as string[], databases: [] as DatabaseTarget[], deferred: [] as boolean[]}
  let perTest: Scratch

  describe('per test', () => {
    const scratch = (perTest = useScratch({per: 'test', folder: 'stayctl-scratch-test-', database: 'scratch_each'}))

    beforeEach(() => {
      const {dir, database} = scratch
      scratch.defer(async () => seen.deferred.push(fs.existsSync(dir) && (await databaseExists(database.target))))
    })

    for (const n of [1, 2]) {
      it(`gives test ${n} a folder and a migrated, open database of its own`, async () => {
        expect(fs.statSync(scratch.dir).isDirectory()).to.equal(true)
        expect(seen.perTest).not.to.include(scratch.dir)
        seen.perTest.push(scratch.dir)
        seen.databases.push(scratch.database.target)
        expect(await tableNames(scratch.db)).to.include('users')
      })
    }
  })

  describe('per suite', () => {
    const scratch = useScratch({per: 'suite', folder: 'stayctl-scratch-suite-'})

    for (const n of [1, 2]) {
      it(`gives test ${n} the describe's one folder`, () => {
        seen.perSuite.push(scratch.dir)
        expect(fs.existsSync(scratch.dir)).to.equal(true)
      })
    }
  })

  describe('an empty database, not opened', () => {
    const scratch = useScratch({per: 'suite', database: 'scratch_empty', empty: true, open: false})

    it('has no tables, and no db or folder to use', async () => {
      expect(await withDb(scratch.database, (db) => tableNames(db))).to.deep.equal([])
      expect(() => scratch.db).to.throw('scratch.db: this scratch makes none (see its options)')
      expect(() => scratch.dir).to.throw('scratch.dir: this scratch makes none (see its options)')
    })
  })

  describe('a database of a given dialect (SQLite, whatever the one under test)', () => {
    const scratch = useScratch({per: 'suite', database: 'scratch_sqlite', dialect: 'sqlite'})

    it('is on SQLite', () => {
      seen.databases.push(scratch.database.target)
      expect(scratch.db.dialect).to.equal('sqlite')
    })
  })

  describe('afterwards', () => {
    it('the folders and the databases are gone, and the deferred steps ran while they were there', async () => {
      expect(seen.perTest).to.have.length(2)
      expect(new Set(seen.perSuite).size).to.equal(1)
      for (const dir of [...seen.perTest, ...seen.perSuite]) expect(fs.existsSync(dir), dir).to.equal(false)
      for (const target of seen.databases) expect(await databaseExists(target), JSON.stringify(target)).to.equal(false)
      expect(seen.deferred).to.deep.equal([true, true])
    })

    it('a scratch is not there outside its hooks', () => {
      expect(() => perTest.dir).to.throw("scratch.dir is there only from the scratch's set-up to its clean-up (per test)")
      expect(() => perTest.defer(() => undefined)).to.throw('scratch.defer: call it in a hook or a test, where the scratch is there')
    })
  })
})
