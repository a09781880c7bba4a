import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {isolatedEnv, root, runCli, type CliResult} from '../support/cli.js'
import {testDialect, type TestDatabase} from '../support/db.js'
import {useScratch} from '../support/scratch.js'
import {removeHome} from './helpers.js'

const HASH = /\$2[aby]\$\d\d\$/

describe(`stayctl db seed, end to end (${testDialect})`, () => {
  const scratch = useScratch({per: 'suite', database: 'seed_e2e', empty: true, open: false})
  let database: TestDatabase
  let env: NodeJS.ProcessEnv
  let seeded: {rows: Record<string, number>; seededWith: Record<string, unknown>}

  const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    runCli([...args, '--database-url', database.url], {env: {...env, ...extraEnv}, timeoutMs: 120_000})
  const json = (result: CliResult) => {
    expect(result.stdout + result.stderr).to.not.match(HASH)
    return JSON.parse(result.stdout)
  }

  before(async () => {
    if (!fs.existsSync(path.join(root, 'dist', 'commands', 'db', 'seed.js'))) {
      throw new Error('dist/ lacks db seed: run `npm run build` before the end-to-end tests')
    }
    env = isolatedEnv()
    scratch.defer(() => removeHome(env))
    database = scratch.database
    const migrated = await cli(['db', 'migrate', '--json'])
    expect(migrated.code, migrated.stderr).to.equal(0)
  })

  it('seeds, printing the generated admin password once', async () => {
    const result = await cli(['db', 'seed', '--random-seed', '7', '--reference-date', '2026-11-21', '--json'])
    expect(result.code, result.stderr).to.equal(0)
    const body = json(result)
    expect(body.alreadySeeded).to.equal(false)
    expect(body.rows).to.include({users: 25, properties: 10, bookings: 150})
    expect(body.rows.reviews + body.rows.payments).to.be.greaterThan(0)
    expect(body.seededWith).to.deep.equal({
      size: 'small',
      users: 25,
      properties: 10,
      bookings: 150,
      randomSeed: 7,
      referenceDate: '2026-11-21',
    })
    expect(body.admin.username).to.equal('admin')
    expect(body.admin.created).to.equal(true)
    expect(body.admin.generatedPassword).to.be.a('string').with.length.of.at.least(16)
    expect(body.sample).to.have.keys('id', 'name', 'pricePerNight', 'owner', 'address')
    seeded = body
  })

  it('inserts nothing the second time, and says with what it was seeded', async () => {
    const result = await cli(['db', 'seed', '--size', 'medium', '--json'])
    expect(result.code, result.stderr).to.equal(0)
    const body = json(result)
    expect(body.alreadySeeded).to.equal(true)
    expect(body.seededWith).to.deep.equal(seeded.seededWith)
    expect(Object.values(body.rows)).to.deep.equal([0, 0, 0, 0, 0])
    expect(body.admin).to.deep.equal({username: 'admin', created: false})

    const human = await cli(['db', 'seed'])
    expect(human.code, human.stderr).to.equal(0)
    expect(human.stdout).to.match(/Already seeded \(size small, .*random seed 7, reference date 2026-11-21\): nothing inserted/)
  })

  it('shows the seeder as applied, with its options, in db status', async () => {
    const result = await cli(['db', 'status', '--json'])
    expect(result.code, result.stderr).to.equal(0)
    const [seeder] = json(result).seeders
    expect(seeder).to.deep.include({name: '2026.11.21T10.00.00.demo-data', state: 'applied'})
    expect(seeder.details).to.deep.include({randomSeed: 7, rows: seeded.rows})
  })

  it('undoes exactly what it inserted, then has nothing left to undo', async () => {
    // An exported admin password must not get in the way of --undo (nor be echoed).
    const result = await cli(['db', 'seed', '--undo', '--yes', '--json'], {STAYCTL_ADMIN_PASSWORD: 'exported-admin-pw'})
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout + result.stderr).to.not.include('exported-admin-pw')
    const body = json(result)
    expect(body.undone).to.equal(true)
    expect(body.rows).to.deep.equal(seeded.rows)

    const again = json(await cli(['db', 'seed', '--undo', '--yes', '--json']))
    expect(again.undone).to.equal(false)
    expect(json(await cli(['db', 'status', '--json'])).seeders[0].state).to.equal('pending')
  })

  it('takes the admin password from STAYCTL_ADMIN_PASSWORD and never prints it, nor its hash in the SQL log', async () => {
    const password = 'e2e-admin-secret'
    const result = await cli(['db', 'seed', '--random-seed', '7', '--reference-date', '2026-11-21'], {
      STAYCTL_ADMIN_PASSWORD: password,
      STAYCTL_LOG_SQL: '1',
    })
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.match(/Seeded .* \(size small, 25 users, 10 properties, 150 bookings, random seed 7/)
    expect(result.stdout).to.match(/^bookings\t150$/m)
    expect(result.stdout).to.include('Admin: admin, with the password you gave.')
    expect(result.stdout).to.match(/A listing to look at: ".+" \(property \d+\), \d+\.\d\d a night, hosted by \S+/)
    expect(result.stdout + result.stderr).to.not.include(password)
    expect(result.stdout + result.stderr).to.not.match(HASH)
  })

  it('warns that --admin-password put the password in the process list (not when it comes from STAYCTL_ADMIN_PASSWORD)', async () => {
    // An invalid date stops the seed before it writes anything: the warning comes first.
    const options = ['db', 'seed', '--reference-date', '2026-02-30', '--json']
    const warning = /^Warning: --admin-password put the password in the process list, .*set STAYCTL_ADMIN_PASSWORD instead/m
    for (const flag of [['--admin-password', 'flag-admin-pw'], ['--admin-password=flag-admin-pw']]) {
      const result = await cli([...options, ...flag])
      expect(result.code, result.stderr).to.equal(3)
      expect(result.stderr).to.match(warning)
      expect(result.stdout + result.stderr).to.not.include('flag-admin-pw')
    }
    const fromEnv = await cli(options, {STAYCTL_ADMIN_PASSWORD: 'env-admin-pw'})
    expect(fromEnv.code, fromEnv.stderr).to.equal(3)
    expect(fromEnv.stderr).to.not.match(/Warning/)
  })

  it('exits 3 on an invalid option and 2 on conflicting flags', async () => {
    const invalid = await cli(['db', 'seed', '--reference-date', '2026-02-30', '--json'])
    expect(invalid.code).to.equal(3)
    expect(JSON.parse(invalid.stdout).error).to.include({code: 'VALIDATION', exitCode: 3})

    const conflicting = await cli(['db', 'seed', '--undo', '--yes', '--size', 'small'])
    expect(conflicting.code).to.equal(2)
    expect(conflicting.stderr).to.match(/--size|--undo/)
  })
})
