/**
 * An `import bookings --upsert` that moves a booking off a property guards that property's
 * calendar (`movedFrom` in services/import/bookings.ts), on a multi-primary cluster as on one
 * node (test/e2e/concurrency.test.ts). Here the import runs through node 0 and stops between
 * reading the old property's gaps and stays and writing its new gaps (test pause
 * gaps.refresh.read); a booking of that property through node 1 commits meanwhile. The guard's
 * row lock is node 0's alone: what orders the two is that both wrote the property's row, which
 * the cluster certifies (the import is aborted when node 1's booking is applied, and retried).
 *
 * MariaDB's Galera also locks and certifies the FOREIGN KEY parent of a changed child row's old
 * value (the property a booking moves off), which orders these two even without the guard; a
 * cluster that certifies only written rows does not. So the race runs twice: with the schema
 * as it is, and with the foreign keys to the property dropped, where the guard alone holds it
 * (without the guard, that run's import fails on the gap the booking wrote).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {expect} from 'chai'
import {QueryTypes} from 'sequelize'

import type {Db} from '../../src/db/index.js'
import {createBooking} from '../../src/services/bookings.js'
import {createProperty} from '../../src/services/properties.js'
import {gapDisagreements} from '../../src/services/rules/gaps.js'
import {migrate} from '../../src/services/schema.js'
import {createUser} from '../../src/services/users.js'
import {runCli, isolatedEnv} from '../support/cli.js'
import {describeCluster, freshClusterDatabase, syncNodes, type ClusterDatabase} from '../support/cluster.js'
import {testContext} from '../support/fixtures.js'

/** How long the import stands between reading the gaps and writing them: node 1's booking commits well within it. */
const WINDOW_MS = 2000

describeCluster('an import moving a booking off a property, against a booking of it on another node', function () {
  this.timeout(300_000)

  let cluster: ClusterDatabase
  let db: Db
  let host: number
  let work: string
  let round = 0

  const ctx = () => testContext(db)

  before(async () => {
    cluster = await freshClusterDatabase('moves')
    db = await cluster.open(0)
    await migrate(db, {})
    host = (await createUser(ctx(), {username: 'movehost', email: 'movehost@example.com', password: 'host-password-1'})).id
    for (const username of ['mover', 'stayer']) await createUser(ctx(), {username, email: `${username}@example.com`, password: 'guest-password-1'})
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'stayctl-cluster-moves-'))
  })

  after(async () => {
    await db?.close()
    await cluster?.drop()
    if (work) fs.rmSync(work, {recursive: true, force: true})
  })

  /** One round: North holds MOVE-n, the import (node 0) moves it to South while node 1 books other nights of North. */
  async function race() {
    round += 1
    const north = (await createProperty(ctx(), {owner: host, name: `Move North ${round}`, address: 'a', pricePerNight: '50.00'})).id
    const south = (await createProperty(ctx(), {owner: host, name: `Move South ${round}`, address: 'b', pricePerNight: '50.00'})).id
    const ref = `MOVE-${round}`
    await createBooking(ctx(), {property: north, guest: 'mover', startDate: '2099-05-10', endDate: '2099-05-13', externalRef: ref})
    await syncNodes(cluster)
    const file = path.join(work, `bookings-${round}.csv`)
    fs.writeFileSync(file, `property,guest,startDate,endDate,externalRef\n${south},mover,2099-05-10,2099-05-13,${ref}\n`)
    const log = path.join(work, `pauses-${round}.log`)
    const moving = runCli(['import', 'bookings', file, '--upsert', '--json'], {
      env: isolatedEnv({STAYCTL_DATABASE_URL: cluster.urlFor(0), STAYCTL_TEST_PAUSE: `gaps.refresh.read=${WINDOW_MS}`, STAYCTL_TEST_PAUSE_LOG: log}),
      timeoutMs: 120_000,
    })
    while (!(fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('gaps.refresh.read'))) await new Promise((resolve) => setTimeout(resolve, 20))
    const entered = Date.now()
    const other = await cluster.open(1)
    try {
      const made = await createBooking(testContext(other), {property: north, guest: 'stayer', startDate: '2099-05-20', endDate: '2099-05-22'})
      expect(made.propertyId).to.equal(north)
    } finally {
      await other.close()
    }
    // Committed while the import stood in its window, or this round raced nothing.
    expect(Date.now() - entered, 'node 1 booked after the window closed').to.be.below(WINDOW_MS - 200)
    const moved = await moving
    expect(moved.code, moved.stdout + moved.stderr).to.equal(0)
    expect(JSON.parse(moved.stdout)).to.include({updated: 1, rejected: 0})
    await syncNodes(cluster)
    const live = await db.sequelize.query<{propertyId: number; startDate: string}>(
      "SELECT property_id AS propertyId, DATE_FORMAT(start_date, '%Y-%m-%d') AS startDate FROM bookings WHERE property_id IN (:ids) AND status <> 'cancelled' ORDER BY start_date",
      {replacements: {ids: [north, south]}, type: QueryTypes.SELECT},
    )
    expect(live.map((b) => [Number(b.propertyId), b.startDate])).to.deep.equal([
      [south, '2099-05-10'],
      [north, '2099-05-20'],
    ])
    const wrong = (await gapDisagreements(ctx())).filter((d) => d.propertyId === north || d.propertyId === south)
    expect(wrong).to.deep.equal([])
  }

  it('with the schema as it is: both hold, the gaps stay right', race)

  it('with the foreign keys to properties dropped (the guard alone orders them): both hold, the gaps stay right', async () => {
    const keys = await db.sequelize.query<{table: string; name: string}>(
      "SELECT TABLE_NAME AS `table`, CONSTRAINT_NAME AS name FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME = 'properties'",
      {type: QueryTypes.SELECT},
    )
    expect(keys.map((k) => k.table)).to.include.members(['bookings', 'calendar_gaps'])
    for (const key of keys) await db.sequelize.query(`ALTER TABLE \`${key.table}\` DROP FOREIGN KEY \`${key.name}\``)
    await syncNodes(cluster)
    await race()
  })
})
