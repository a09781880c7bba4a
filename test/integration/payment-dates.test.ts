/**
 * Issue 12, item 3: payment dates (and the createdAt of imported rows) are ISO 8601 or
 * refused: `payments record` refuses with the field and the reason and writes nothing; an
 * import rejects the row with its line, field and reason and takes the good rows. Nothing
 * depends on the time zone of the machine that reads them.
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {ValidationError} from '../../src/errors.js'
import {importFile, type Rejection} from '../../src/services/import/index.js'
import {recordCharge} from '../../src/services/payments.js'
import {testDialect} from '../support/db.js'
import {expectRefused, useScenario} from '../support/integration.js'
import {useScratch} from '../support/scratch.js'

const LENIENT = ['2027-02-30', '1', 'March 7', '2027-06-01 10:00:00', '2027-06-01T10:00:00', '2027-06-01T10:00:00.123456Z']

describe(`payment dates and imported date-times are ISO 8601 (${testDialect})`, () => {
  const s = useScenario('payment_dates')
  const temp = useScratch({per: 'suite', folder: 'stayctl-dates-'})
  let dir: string
  let counter = 0
  let savedTz: string | undefined

  before(() => (dir = temp.dir))
  beforeEach(() => {
    // A zone far from UTC: a date-time without a zone would be read in it.
    savedTz = process.env.TZ
    process.env.TZ = 'America/New_York'
  })
  afterEach(() => {
    if (savedTz === undefined) delete process.env.TZ
    else process.env.TZ = savedTz
  })

  async function importCsv(entity: string, lines: string[]) {
    const file = path.join(dir, `${entity}-${++counter}.csv`)
    fs.writeFileSync(file, lines.join('\n') + '\n')
    const rejections: Rejection[] = []
    const summary = await importFile(s.ctx, {entity, file, onRejected: (r) => rejections.push(r)})
    return {summary, rejections}
  }

  it('payments record refuses anything but a date or a date-time with a zone, naming the field', async () => {
    for (const paymentDate of LENIENT) {
      const error = await expectRefused(
        s.db,
        () => recordCharge(s.ctx, {bookingId: s.ids.bookings.confirmedFuture, amount: '10.00', transactionId: `txn_${paymentDate}`, paymentDate}),
        ValidationError,
        /^paymentDate "/,
      )
      expect(error.details, paymentDate).to.deep.equal({field: 'paymentDate'})
    }
  })

  it('payments record stores the instant given, whatever the offset', async () => {
    const booking = s.ids.bookings.confirmedFuture
    const at = async (paymentDate: string, transactionId: string) =>
      (await recordCharge(s.ctx, {bookingId: booking, amount: '1.00', transactionId, paymentDate})).paymentDate
    expect(await at('2027-06-01T12:00:00.250+02:00', 'txn_offset')).to.equal('2027-06-01T10:00:00.250Z')
    expect(await at('2027-06-01', 'txn_day')).to.equal('2027-06-01T00:00:00.000Z')
  })

  it('an import of payments rejects each lenient date with its line, field and reason, and takes the good rows', async () => {
    const booking = s.ids.bookings.confirmedFuture
    const {summary, rejections} = await importCsv('payments', [
      'transactionId,booking,amount,paymentDate',
      ...LENIENT.map((date, i) => `txn_bad_${i},${booking},1.00,${date}`),
      `txn_good_1,${booking},1.00,2027-06-01T10:00:00Z`,
      `txn_good_2,${booking},1.00,2027-06-01T06:00:00-04:00`,
    ])
    expect(rejections.map((r) => [r.line, r.field])).to.deep.equal(LENIENT.map((_, i) => [i + 2, 'paymentDate']))
    for (const r of rejections) expect(r.reason).to.match(/^paymentDate ".*" (names no day|is not an ISO 8601|has no time zone|has fractions)/)
    expect(summary).to.include({inserted: 2, rejected: LENIENT.length})
    const stored = await s.db.models.Payment.findAll({where: {transactionId: ['txn_good_1', 'txn_good_2']}})
    expect(stored.map((p) => new Date(p.paymentDate).toISOString())).to.deep.equal(['2027-06-01T10:00:00.000Z', '2027-06-01T10:00:00.000Z'])
  })

  it('an import of users rejects a createdAt that is not ISO 8601 with a zone', async () => {
    const {summary, rejections} = await importCsv('users', [
      'username,email,password,createdAt',
      'dated.one,one@example.com,password-123,2027-02-30',
      'dated.two,two@example.com,password-123,2027-06-01T10:00:00',
      'dated.three,three@example.com,password-123,March 7',
      'dated.four,four@example.com,password-123,2027-06-01T10:00:00.301+02:00',
    ])
    expect(rejections.map((r) => [r.line, r.field])).to.deep.equal([
      [2, 'createdAt'],
      [3, 'createdAt'],
      [4, 'createdAt'],
    ])
    expect(rejections[1].reason).to.match(/has no time zone/)
    expect(summary).to.include({inserted: 1, rejected: 3})
    const user = await s.db.models.User.findOne({where: {username: 'dated.four'}})
    expect(new Date(user!.createdAt).toISOString()).to.equal('2027-06-01T08:00:00.301Z')
  })
})
