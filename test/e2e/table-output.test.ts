/**
 * Tables of commands other than lists, in a pipe (gh's convention, as lists print theirs:
 * test/e2e/list-output.test.ts): db status, doctor and seed, the show commands' sections,
 * config list and the calendar lists print tab-separated rows under a header line, without box
 * drawing, each row's cells those of --json. A show command's or db status's sections keep their
 * headings, after a blank line. (On a terminal: framed tables, test/e2e/terminal.test.ts.)
 */
import {expect} from 'chai'

import {testDialect, type TestDatabase} from '../support/db.js'
import {useScratch} from '../support/scratch.js'
import {cli, cliEnv, expectExit, okJson, removeHome} from './helpers.js'

const BOX = /[│─┌┐└┘├┤┬┴┼]/

type Cell = string | number | null | undefined
const cells = (values: Cell[]) => values.map((v) => (v === null || v === undefined ? '' : String(v)))

/** The lines of stdout that are rows (they hold a tab), split into cells. */
const rows = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => line.includes('\t'))
    .map((line) => line.split('\t'))

/** The rows (header line first) right under `heading`, which follows a blank line. */
function section(stdout: string, heading: string): string[][] {
  const lines = stdout.split('\n')
  const at = lines.indexOf(heading)
  expect(at, `"${heading}" in:\n${stdout}`).to.be.above(0)
  expect(lines[at - 1], `a blank line before "${heading}" in:\n${stdout}`).to.equal('')
  const after = lines.slice(at + 1)
  const end = after.findIndex((line) => !line.includes('\t'))
  return after.slice(0, end < 0 ? after.length : end).map((line) => line.split('\t'))
}

interface Payment {
  id: number
  bookingId: number
  kind: string
  amount: string
  status: string
  transactionId: string | null
  refundOfId: number | null
  paymentDate: string
  reason: string | null
}
const PAYMENT_HEADER = ['ID', 'Booking', 'Kind', 'Amount', 'Status', 'Transaction', 'Refund of', 'Date']
const paymentCells = (p: Payment) => cells([p.id, p.bookingId, p.kind, p.amount, p.status, p.transactionId, p.refundOfId, p.paymentDate])

describe(`tables in a pipe (e2e, ${testDialect})`, function () {
  this.timeout(300_000)
  const scratch = useScratch({per: 'suite', database: 'tables', open: false})
  let database: TestDatabase
  let env: NodeJS.ProcessEnv
  let run: ReturnType<typeof cli>
  let seeded: string

  before(async () => {
    database = scratch.database
    env = cliEnv(database)
    scratch.defer(() => removeHome(env))
    run = cli(env)
    seeded = expectExit(await run(['db', 'seed', '--size', 'small']), 0).stdout
  })

  it('db status: Migrations and Seeders, each a header line and one row per entry, cells as --json', async () => {
    type Entry = {name: string; state: string; appliedAt: string | null}
    const json = okJson<{migrations: Entry[]; seeders: Entry[]}>(await run(['db', 'status', '--json']))
    const {stdout} = expectExit(await run(['db', 'status']), 0)
    expect(stdout).to.not.match(BOX)
    const entries = (list: Entry[]) => [['Name', 'State', 'Applied at'], ...list.map((e) => cells([e.name, e.state, e.appliedAt]))]
    expect(section(stdout, 'Migrations:')).to.deep.equal(entries(json.migrations))
    expect(section(stdout, 'Seeders:')).to.deep.equal(entries(json.seeders))
  })

  it('db seed: one row per table with the rows it inserted', async () => {
    type Seeder = {details: {rows: Record<string, number>}}
    const [seeder] = okJson<{seeders: Seeder[]}>(await run(['db', 'status', '--json'])).seeders
    expect(seeded).to.not.match(BOX)
    expect(rows(seeded)).to.deep.equal([['Table', 'Rows'], ...Object.entries(seeder.details.rows).map(([table, n]) => cells([table, n]))])
  })

  it('bookings show, payments show, properties show: the section under its heading, cells as --json', async () => {
    const [refund] = okJson<{items: Payment[]}>(await run(['payments', 'list', '--kind', 'refund', '--limit', '1', '--json'])).items
    expect(refund, 'the seeded data has a refund').to.not.equal(undefined)

    const charge = okJson<{bookingId: number; refunds: Payment[]}>(await run(['payments', 'show', String(refund.refundOfId), '--json']))
    const chargeText = expectExit(await run(['payments', 'show', String(refund.refundOfId)]), 0).stdout
    expect(chargeText).to.not.match(BOX)
    expect(section(chargeText, 'Refunds:')).to.deep.equal([[...PAYMENT_HEADER, 'Reason'], ...charge.refunds.map((p) => [...paymentCells(p), ...cells([p.reason])])])

    const booking = okJson<{payments: Payment[]}>(await run(['bookings', 'show', String(charge.bookingId), '--json']))
    const bookingText = expectExit(await run(['bookings', 'show', String(charge.bookingId)]), 0).stdout
    expect(bookingText).to.not.match(BOX)
    expect(booking.payments).to.have.length.above(1)
    expect(section(bookingText, 'Payments:')).to.deep.equal([PAYMENT_HEADER, ...booking.payments.map(paymentCells)])

    type Upcoming = {id: number; startDate: string; endDate: string; status: string; guestId: number}
    const properties = okJson<{items: {id: number}[]}>(await run(['properties', 'list', '--limit', '100', '--json'])).items
    let shown: {id: number; upcomingBookings: Upcoming[]} | undefined
    for (const p of properties) {
      shown = okJson<{id: number; upcomingBookings: Upcoming[]}>(await run(['properties', 'show', String(p.id), '--json']))
      if (shown.upcomingBookings.length > 0) break
    }
    expect(shown?.upcomingBookings, 'a seeded property with upcoming bookings').to.have.length.above(0)
    const propertyText = expectExit(await run(['properties', 'show', String(shown!.id)]), 0).stdout
    expect(propertyText).to.not.match(BOX)
    expect(section(propertyText, 'Upcoming bookings:')).to.deep.equal([
      ['ID', 'Check-in', 'Check-out', 'Status', 'Guest'],
      ...shown!.upcomingBookings.map((b) => cells([b.id, b.startDate, b.endDate, b.status, b.guestId])),
    ])
  })

  it('db doctor: one row per finding, its check and status first', async () => {
    const report = okJson<{findings: {check: string; status: string}[]}>(await run(['db', 'doctor', '--json']))
    const {stdout} = expectExit(await run(['db', 'doctor']), 0)
    expect(stdout).to.not.match(BOX)
    const found = rows(stdout)
    expect(found.map((row) => row.length)).to.deep.equal(found.map(() => 3))
    expect(found.map((row) => row.slice(0, 2))).to.deep.equal([['Check', 'Status'], ...report.findings.map((f) => [f.check, f.status === 'fail' ? 'FAIL' : f.status])])
  })

  it('config list: one row per setting', async () => {
    const listing = okJson<{settings: {key: string; value: string | null; source: string}[]}>(await run(['config', 'list', '--json']))
    const {stdout} = expectExit(await run(['config', 'list']), 0)
    expect(stdout).to.not.match(BOX)
    expect(rows(stdout)).to.deep.equal([['Setting', 'Value', 'Source'], ...listing.settings.map((s) => cells([s.key, s.value ?? '(unset)', s.source]))])
  })

  it('calendar tokens list and feeds list: one row per token, per feed', async () => {
    const [property] = okJson<{items: {id: number}[]}>(await run(['properties', 'list', '--limit', '1', '--json'])).items
    const id = String(property.id)
    expectExit(await run(['calendar', 'publish', id, '--json']), 0)
    expectExit(await run(['calendar', 'feeds', 'add', id, 'https://calendar.example/pipe.ics']), 0)

    type Token = {id: number; status: string; createdAt: string; lastUsedAt: string | null; revokedAt: string | null}
    const tokens = okJson<Token[]>(await run(['calendar', 'tokens', 'list', id, '--json']))
    const tokensText = expectExit(await run(['calendar', 'tokens', 'list', id]), 0).stdout
    expect(tokensText).to.not.match(BOX)
    expect(rows(tokensText)).to.deep.equal([
      ['ID', 'Status', 'Created', 'Last used', 'Revoked'],
      ...tokens.map((t) => cells([t.id, t.status, t.createdAt, t.lastUsedAt, t.revokedAt])),
    ])

    const feeds = okJson<{id: number; url: string; lastSyncedAt: string | null}[]>(await run(['calendar', 'feeds', 'list', id, '--json']))
    const feedsText = expectExit(await run(['calendar', 'feeds', 'list', id]), 0).stdout
    expect(feedsText).to.not.match(BOX)
    expect(rows(feedsText)).to.deep.equal([['ID', 'URL', 'Last synced'], ...feeds.map((f) => cells([f.id, f.url, f.lastSyncedAt]))])
  })
})
