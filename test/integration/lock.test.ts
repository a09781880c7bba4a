/**
 * The schema lock in one process (src/db/lock.ts, src/db/lease.ts): a waiter names the holder
 * once and gets the lock when it is released; on MySQL, a holder whose lease was taken over
 * can neither confirm it nor commit a fenced transaction, and a holder whose connection died is
 * taken over at once on the same server, long before its lease would run out.
 */
import {expect} from 'chai'
import {QueryTypes} from 'sequelize'

import type {Db} from '../../src/db/index.js'
import {LEASE_TABLE, LeaseLostError, readLeaseState} from '../../src/db/lease.js'
import {withSchemaLock, type SchemaLease} from '../../src/db/lock.js'
import {testDialect, type TestDatabase} from '../support/db.js'
import {useScratch} from '../support/scratch.js'

/** Holds the lock in the background until `release()` is called. */
function hold(database: TestDatabase, task: string) {
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  let lease!: SchemaLease
  const taken = new Promise<void>((resolve, reject) => {
    withSchemaLock(
      database.target,
      async (l) => {
        lease = l
        resolve()
        await released
      },
      {task},
    ).catch(reject)
  })
  return {taken, release, lease: () => lease}
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  return expect.fail('expected an error')
}

describe(`the schema lock (${testDialect})`, function () {
  this.timeout(60_000)
  const scratch = useScratch({per: 'test', database: 'lock', empty: true})
  let database: TestDatabase
  let db: Db
  const ttl = process.env.STAYCTL_SCHEMA_LEASE_SECONDS

  beforeEach(async () => {
    // A long lease: nothing in these tests may expire by itself.
    process.env.STAYCTL_SCHEMA_LEASE_SECONDS = '60'
    ;({database, db} = scratch)
  })
  afterEach(async () => {
    if (ttl === undefined) delete process.env.STAYCTL_SCHEMA_LEASE_SECONDS
    else process.env.STAYCTL_SCHEMA_LEASE_SECONDS = ttl
  })

  it('a waiter names the holder once, and gets the lock when the holder releases it', async () => {
    const first = hold(database, 'first runner')
    await first.taken
    const waits: string[] = []
    const second = withSchemaLock(database.target, async () => 'second ran', {task: 'second runner', onWait: (holder) => waits.push(holder)})
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(waits).to.have.length(1)
    if (testDialect === 'mysql') {
      expect(waits[0]).to.equal(`${first.lease().holder}`).and.to.match(/^pid \d+ on host .+ \(first runner\)$/)
      expect((await readLeaseState(db.sequelize))?.holder).to.equal(first.lease().holder)
    }
    first.release()
    expect(await second).to.equal('second ran')
    expect(waits).to.have.length(1)
  })

  describe('on a server', () => {
    before(function () {
      if (testDialect !== 'mysql') this.skip()
    })

    it('a holder whose lease expired and was taken over can neither confirm it nor commit a fenced transaction', async () => {
      const first = hold(database, 'first runner')
      await first.taken
      await db.sequelize.query(`UPDATE ${LEASE_TABLE} SET expires_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND`)
      const takeovers: string[] = []
      await withSchemaLock(
        database.target,
        async () => {
          const lost = first.lease()
          expect(await caught(lost.confirm())).to.be.instanceOf(LeaseLostError)
          await db.sequelize.query('CREATE TABLE fenced (id INTEGER PRIMARY KEY)')
          const error = await caught(
            db.sequelize.transaction(async (transaction) => {
              await db.sequelize.query('INSERT INTO fenced (id) VALUES (1)', {transaction})
              await lost.fence(transaction, db.sequelize)
            }),
          )
          expect(error).to.be.instanceOf(LeaseLostError)
          expect(String((error as Error).message)).to.match(/lost the schema lock/)
          expect(await db.sequelize.query('SELECT id FROM fenced', {type: QueryTypes.SELECT})).to.deep.equal([])
        },
        {task: 'second runner', onTakeover: (holder, how) => takeovers.push(`${how}: ${holder}`)},
      )
      expect(takeovers).to.deep.equal([`expired: ${first.lease().holder}`])
      first.release()
    })

    it('a holder whose connection died is taken over at once on the same server, and learns it lost the lock', async () => {
      const first = hold(database, 'first runner')
      await first.taken
      const [row] = await db.sequelize.query<{id: number}>(`SELECT IS_USED_LOCK(beacon) AS id FROM ${LEASE_TABLE}`, {type: QueryTypes.SELECT})
      await db.sequelize.query(`KILL ${Number(row.id)}`)
      const started = Date.now()
      const takeovers: string[] = []
      await withSchemaLock(database.target, async () => {}, {task: 'second runner', onTakeover: (_holder, how) => takeovers.push(how)})
      expect(takeovers).to.deep.equal(['gone'])
      expect(Date.now() - started).to.be.below(5000)
      expect(await caught(first.lease().confirm())).to.be.instanceOf(LeaseLostError)
      first.release()
    })
  })
})
