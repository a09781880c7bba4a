/**
 * Issue 12, item 4: a date-time keeps its milliseconds on both databases. Every DATETIME(3)
 * column of every model is written through the model and read back through each way the
 * product reads it (the model, the batched raw reads of the GraphQL loaders, the views of the
 * services, the export), and what comes back is the instant written.
 */
import {expect} from 'chai'
import {DataTypes, type Model, type ModelStatic} from 'sequelize'

import {findRows} from '../../src/db/select.js'
import {createToken, listTokens} from '../../src/services/auth.js'
import {createBlock} from '../../src/services/blocks.js'
import {addCalendarFeed, listCalendarFeeds, listCalendarTokens, publishCalendar} from '../../src/services/calendar/manage.js'
import {exportPage} from '../../src/services/export.js'
import {showPayment} from '../../src/services/payments.js'
import {bookingsByIds, paymentsByIds, propertiesByIds, usersByIds} from '../../src/services/relations.js'
import {createUser, showUser} from '../../src/services/users.js'
import {testDialect} from '../support/db.js'
import {useScenario} from '../support/integration.js'

const INSTANT = new Date('2027-01-02T03:04:05.678Z')
const ISO = INSTANT.toISOString()

describe(`date-times keep their milliseconds (${testDialect})`, () => {
  const s = useScenario('timestamps')

  /** Every model with its date-time attributes. */
  const dateColumns = () =>
    Object.values(s.db.models).map((model) => {
      const attributes = Object.entries((model as ModelStatic<Model>).getAttributes())
        .filter(([, spec]) => spec.type instanceof DataTypes.DATE)
        .map(([attribute]) => attribute)
      return {model: model as ModelStatic<Model>, attributes}
    })

  /**
   * Writes INSTANT into every row's `attribute` through the model (Sequelize leaves updatedAt
   * to itself, so that one is written as the model's own writes store it: milliseconds and all).
   */
  async function write(model: ModelStatic<Model>, attribute: string) {
    if (attribute !== 'updatedAt') return void (await model.update({[attribute]: INSTANT}, {where: {}, silent: true}))
    const text = s.db.dialect === 'mysql' ? '2027-01-02 03:04:05.678' : '2027-01-02 03:04:05.678 +00:00'
    await s.db.sequelize.query(`UPDATE ${model.getTableName() as string} SET updated_at = ?`, {replacements: [text]})
  }

  beforeEach(async () => {
    // A row in every table: a token, a block, a calendar feed and token and a throttling row besides the scenario's.
    await createToken(s.ctx, {name: 'ci', user: s.ids.users.guest})
    await addCalendarFeed(s.ctx, {property: s.ids.properties.flat, url: 'https://example.com/flat.ics'})
    await publishCalendar(s.ctx, {property: s.ids.properties.flat})
    await createBlock(s.ctx, {property: s.ids.properties.flat, startDate: '2027-09-01', endDate: '2027-09-03'})
    await s.db.models.LoginAttempt.create({
      subject: 'f'.repeat(64),
      userId: s.ids.users.guest,
      failures: 1,
      windowStartedAt: new Date(),
      lockedUntil: new Date(),
      expiresAt: new Date(),
    })
  })

  it('on every date-time column of every model, written and read through the model and the raw reads', async () => {
    const checked: string[] = []
    for (const {model, attributes} of dateColumns()) {
      expect(await model.count(), `${model.name} has rows`).to.be.above(0)
      for (const attribute of attributes) {
        await write(model, attribute)
        const row = await model.findOne({order: [['id', 'ASC']]})
        expect(new Date(row!.get(attribute) as Date).toISOString(), `${model.name}.${attribute} through the model`).to.equal(ISO)
        const [raw] = await findRows<Record<string, unknown>>(model, {order: [['id', 'ASC']], limit: 1})
        if (raw) expect(new Date(raw[attribute] as string).toISOString(), `${model.name}.${attribute} read raw`).to.equal(ISO)
        checked.push(`${model.name}.${attribute}`)
      }
    }
    expect(checked).to.include.members([
      'User.createdAt',
      'Block.createdAt',
      'Block.updatedAt',
      'CalendarFeed.lastSyncedAt',
      'CalendarToken.feedChangedAt',
      'Payment.paymentDate',
      'ApiToken.expiresAt',
      'ApiToken.lastUsedAt',
      'ApiToken.revokedAt',
      'LoginAttempt.lockedUntil',
      'AuditEvent.at',
    ])
  })

  it('as the services, the GraphQL loaders and the export show them', async () => {
    for (const {model, attributes} of dateColumns()) {
      for (const attribute of attributes) await write(model, attribute)
    }
    const {guest} = s.ids.users
    expect((await showUser(s.ctx, guest)).createdAt).to.equal(ISO)
    expect(await showPayment(s.ctx, s.ids.payments.charge100)).to.include({paymentDate: ISO, createdAt: ISO})
    const [token] = (await listTokens(s.ctx, {user: guest, all: true})).items
    expect(token).to.include({createdAt: ISO, expiresAt: ISO, lastUsedAt: ISO, revokedAt: ISO})
    expect((await usersByIds(s.ctx, [guest]))[0]).to.include({createdAt: ISO, updatedAt: ISO})
    expect((await propertiesByIds(s.ctx, [s.ids.properties.loft]))[0]).to.include({createdAt: ISO})
    expect((await bookingsByIds(s.ctx, [s.ids.bookings.confirmedFuture]))[0]).to.include({createdAt: ISO})
    expect((await paymentsByIds(s.ctx, [s.ids.payments.charge100]))[0]).to.include({paymentDate: ISO, createdAt: ISO})
    const page = await exportPage(s.ctx, {entity: 'payments'})
    const row = Object.fromEntries(page.columns.map((column, i) => [column, page.rows[0][i]]))
    expect(row).to.include({paymentDate: ISO, createdAt: ISO})
    const {flat} = s.ids.properties
    expect((await listCalendarFeeds(s.ctx, {property: flat}))[0]).to.include({lastSyncedAt: ISO, createdAt: ISO})
    expect((await listCalendarTokens(s.ctx, {property: flat, all: true}))[0]).to.include({createdAt: ISO, lastUsedAt: ISO, revokedAt: ISO})
  })

  it('shows the same instant after a create as on every later read', async () => {
    // Whatever the clock says: a run where it happens to be on a whole second proves nothing, so try until it is not.
    for (let i = 0; i < 5; i++) {
      const created = await createUser(s.ctx, {username: `ms.user${i}`, email: `ms${i}@example.com`, password: 'password-123'})
      expect(await showUser(s.ctx, created.id)).to.include({createdAt: created.createdAt, updatedAt: created.updatedAt})
      expect((await usersByIds(s.ctx, [created.id]))[0]!.createdAt).to.equal(created.createdAt)
      if (!created.createdAt.endsWith('.000Z')) return
    }
  })
})
