/**
 * The contract at the command line: a few commands spawned (bin/run.js, needs `npm run build`)
 * once against a local database and once with `--api` against an in-process server, from the
 * same scenario. Output, `--json` and exit code must agree (instants aside), for successes and
 * for each kind of failure. The operations themselves are compared in backends.test.ts.
 */
import {expect} from 'chai'

import {TODAY, day, fixtures} from '../support/fixtures.js'
import {isolatedEnv, runCli, type CliResult} from '../support/cli.js'
import {useTwinScenario} from '../support/remote.js'

const INSTANT = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g
const REFUND_ID = /re_[0-9a-f-]{36}/g
const normalise = (text: string) => text.replace(INSTANT, '<instant>').replace(REFUND_ID, '<refund id>')

describe('contract: commands print the same and exit the same, locally and with --api', function () {
  this.timeout(120_000)
  const twin = useTwinScenario('contract_cli')

  async function both(args: string[]): Promise<{local: CliResult; remote: CliResult}> {
    const local = await runCli(args, {env: isolatedEnv({STAYCTL_TODAY: TODAY, STAYCTL_DATABASE_URL: twin.local.database.url})})
    const remote = await runCli([...args, '--api', twin.server.url], {env: isolatedEnv({STAYCTL_TODAY: TODAY, STAYCTL_TOKEN: twin.adminToken})})
    return {local, remote}
  }

  function expectSame({local, remote}: {local: CliResult; remote: CliResult}, exitCode: number): void {
    expect(local.code, local.stderr).to.equal(exitCode)
    expect({code: remote.code, stdout: normalise(remote.stdout), stderr: normalise(remote.stderr)}).to.deep.equal({
      code: local.code,
      stdout: normalise(local.stdout),
      stderr: normalise(local.stderr),
    })
    expect(remote.stdout + remote.stderr).not.to.include(twin.adminToken)
  }

  it('shows a booking with its payments (table and --json): exit 0', async () => {
    const id = String(twin.ids.bookings.confirmedFuture)
    expectSame(await both(['bookings', 'show', id]), 0)
    expectSame(await both(['bookings', 'show', id, '--json']), 0)
  })

  it('lists properties as a table and as CSV: exit 0', async () => {
    expectSame(await both(['properties', 'list']), 0)
    expectSame(await both(['payments', 'list', '--csv']), 0)
  })

  it('refunds in part, then cancels with the policy refund (--json): exit 0', async () => {
    expectSame(await both(['payments', 'refund', 'txn_charge100', '--amount', '25', '--idempotency-key', 'cli-1', '--json', '--yes']), 0)
    expectSame(await both(['bookings', 'cancel', String(twin.ids.bookings.confirmedFuture), '--yes', '--json']), 0)
    await twin.reset()
  })

  it('blocks nights, lists and shows them; a block on a booking, or a booking on a block, is exit 5', async () => {
    const flat = fixtures.properties.flat.name
    // Not --json: who made a block (createdById) is the operator locally, the token's user remotely.
    expectSame(await both(['blocks', 'create', '--property', flat, '--from', day(60), '--to', day(63), '--reason', 'paint']), 0)
    expectSame(await both(['blocks', 'list']), 0)
    expectSame(await both(['blocks', 'list', '--property', flat, '--csv']), 0)
    expectSame(await both(['blocks', 'show', '1']), 0)
    expectSame(await both(['blocks', 'update', '1', '--to', day(64)]), 0)
    expectSame(await both(['blocks', 'create', '--property', fixtures.properties.loft.name, '--from', day(15), '--to', day(16)]), 5)
    expectSame(await both(['bookings', 'create', '--property', flat, '--guest', fixtures.users.guest.username, '--from', day(62), '--to', day(66), '--json']), 5)
    expectSame(await both(['blocks', 'delete', '1', '--yes']), 0)
    expectSame(await both(['blocks', 'show', '1']), 4)
    await twin.reset()
  })

  it('a bad date is exit 3, an unknown user exit 4, an over-refund exit 5: the same line on stderr', async () => {
    expectSame(await both(['bookings', 'create', '--property', fixtures.properties.flat.name, '--guest', fixtures.users.guest.username, '--from', '2027-02-30', '--to', day(3)]), 3)
    expectSame(await both(['users', 'show', 'nobody.here']), 4)
    expectSame(await both(['payments', 'refund', 'txn_charge100', '--amount', '500', '--yes']), 5)
    expectSame(await both(['payments', 'refund', 'txn_charge100', '--amount', '500', '--json', '--yes']), 5)
  })

  it('a property name two hosts use is exit 3 for bookings create, in the importer\'s words; payments record takes an external reference: exit 0', async () => {
    const {loft} = fixtures.properties
    for (const db of [twin.local.db, twin.server.db]) {
      await db.models.Property.create({ownerId: twin.ids.users.otherGuest, name: loft.name, address: 'B', pricePerNight: '1.00', cancellationPolicy: 'moderate'})
      await db.models.Booking.update({externalRef: 'ext-001'}, {where: {id: twin.ids.bookings.confirmedFuture}})
    }
    const ambiguous = await both(['bookings', 'create', '--property', loft.name, '--guest', fixtures.users.guest.username, '--from', day(50), '--to', day(52)])
    expectSame(ambiguous, 3)
    expect(ambiguous.local.stderr).to.equal(
      `Error: property name "${loft.name}" is ambiguous: hosts ${fixtures.users.host.username}, ${fixtures.users.otherGuest.username} each have one;` +
        ` refer to one by id (\`stayctl properties list --search "${loft.name}"\` shows them)\n`,
    )
    const charged = await both(['payments', 'record', '--booking', 'ext-001', '--amount', '60', '--transaction-id', 'txn_cli_ext', '--date', '2027-06-01', '--json'])
    expectSame(charged, 0)
    expect(JSON.parse(charged.local.stdout)).to.include({bookingId: twin.ids.bookings.confirmedFuture, amount: '60.00'})
    await twin.reset()
  })

  it('a page longer than the server gives per request (--limit 150) is the same page', async () => {
    const {User} = twin.server.db.models
    const rows = Array.from({length: 160}, (_, i) => ({username: `many${String(i).padStart(3, '0')}`, email: `many${i}@example.com`, passwordHash: '!x'}))
    await Promise.all([User.bulkCreate(rows), twin.local.db.models.User.bulkCreate(rows)])
    const result = await both(['users', 'list', '--limit', '150', '--sort', 'username', '--json'])
    expectSame(result, 0)
    expect((JSON.parse(result.remote.stdout) as {items: unknown[]}).items).to.have.length(150)
    await twin.reset()
  })

  it('commands that need the database say so under --api: exit 2', async () => {
    for (const args of [['db', 'migrate'], ['db', 'seed'], ['serve']]) {
      const result = await runCli([...args, '--api', twin.server.url], {env: isolatedEnv()})
      expect(result.code, result.stderr).to.equal(2)
      expect(result.stderr).to.equal(
        `Error: \`stayctl ${args.join(' ')}\` needs the database itself and cannot run against a server (API URL from flag --api); run it where the database is, without --api, STAYCTL_API_URL or an apiUrl in the config\n`,
      )
    }
  })
})
