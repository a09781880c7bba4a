/**
 * Issue 12, items 10–12 through the GraphQL server (the service-level tests are in
 * users.test.ts, auth.test.ts and authorization.test.ts): conflicts that name no one to
 * non-admins, logins that do the same bcrypt work whether or not the account exists, and
 * tokens that end with the sessions that made them.
 */
import {expect} from 'chai'

import {createToken, forgetWorkCeiling} from '../../src/services/auth.js'
import {confirmBooking, createBooking} from '../../src/services/bookings.js'
import {recordCharge, refundPayment} from '../../src/services/payments.js'
import {createProperty} from '../../src/services/properties.js'
import {createUser} from '../../src/services/users.js'
import {otherHost} from '../support/actors.js'
import {recordBcryptWork, rounds} from '../support/bcrypt-work.js'
import {testDialect} from '../support/db.js'
import {day, fixtures} from '../support/fixtures.js'
import {codes, ok, useGraphQLServer} from '../support/graphql.js'

const {users} = fixtures

describe(`accounts over GraphQL (issue 12, items 10–12; ${testDialect})`, function () {
  this.timeout(120_000)
  const s = useGraphQLServer('graphql_accounts')

  async function loginAs(user: {username: string; password: string}): Promise<string> {
    const data = ok(
      await s.gql<{login: {token: string}}>('mutation ($l: String!, $p: String!) { login(login: $l, password: $p) { token } }', {l: user.username, p: user.password}, {anonymous: true}),
    )
    return data.login.token
  }

  describe('conflicts name no one to non-admins (item 10)', () => {
    const update = 'mutation ($ref: String!, $input: UpdateUserInput!) { updateUser(ref: $ref, input: $input) { id } }'

    it('a guest changing their email to someone else’s is told neither whose it is nor the address again', async () => {
      const token = await loginAs(users.guest)
      for (const input of [{email: users.otherGuest.email}, {email: users.admin.email.toUpperCase()}, {username: users.otherGuest.username}]) {
        const response = await s.gql(update, {ref: String(s.ids.users.guest), input}, {token})
        expect(codes(response), JSON.stringify(input)).to.deep.equal(['CONFLICT'])
        const [error] = response.errors!
        const told = JSON.stringify({message: error.message, extensions: error.extensions}).toLowerCase()
        expect(told, error.message).not.to.match(/user \d|userid|@/)
        for (const id of Object.values(s.ids.users)) expect(error.extensions?.details ?? {}).not.to.have.property('userId', id)
      }
    })

    it('an admin is told whose it is', async () => {
      const response = await s.gql(update, {ref: String(s.ids.users.guest), input: {email: users.otherGuest.email}})
      expect(codes(response)).to.deep.equal(['CONFLICT'])
      expect(response.errors![0].message).to.include(`user ${s.ids.users.otherGuest}`)
    })

    it('a host reusing an idempotency key of another host’s refund is not told which payment has it', async () => {
      const other = await createUser(s.ctx, otherHost)
      const hut = await createProperty(s.ctx, {owner: other.username, name: 'Dune Hut', address: '3 Dune Path', pricePerNight: '80.00'})
      const booking = await createBooking(s.ctx, {property: hut.id, guest: users.guest.username, startDate: day(70), endDate: day(72)})
      await confirmBooking(s.ctx, booking.id)
      const charge = await recordCharge(s.ctx, {bookingId: booking.id, amount: '160.00', transactionId: 'txn_hut'})
      const secret = await refundPayment(s.ctx, charge.id, {amount: '1.00', idempotencyKey: 'shared-key'})

      const token = await loginAs(users.host)
      const response = await s.gql(
        'mutation ($ref: String!) { refundPayment(ref: $ref, amount: "1.00", idempotencyKey: "shared-key") { replayed } }',
        {ref: String(s.ids.payments.charge100)},
        {token},
      )
      expect(codes(response)).to.deep.equal(['CONFLICT'])
      expect(response.errors![0].message).not.to.include(`payment ${secret.refund.id}`)
      expect(response.errors![0].message).to.match(/already used for another payment/)
    })
  })
})

describe(`login over GraphQL does the same bcrypt work for every name (issue 12, item 11; ${testDialect})`, function () {
  this.timeout(120_000)
  // Configured above the scenario's hashes (cost 4), as the audit's server (12) was above its seed (10).
  const s = useGraphQLServer('graphql_login_work', {bcryptCost: 7})
  let work: ReturnType<typeof recordBcryptWork>
  beforeEach(() => {
    forgetWorkCeiling(s.db)
    work = recordBcryptWork()
  })
  afterEach(() => work.restore())

  it('an unknown name, a wrong password, an inactive account: 2^7 rounds each, and the same answer', async () => {
    const answers = new Set<string>()
    for (const name of ['nobody.here', users.guest.username, users.guest.email, users.inactive.username, 'nobody@example.com']) {
      work.take()
      const response = await s.gql('mutation ($l: String!) { login(login: $l, password: "not-the-password") { token } }', {l: name}, {anonymous: true})
      expect(codes(response), name).to.deep.equal(['UNAUTHENTICATED'])
      answers.add(response.errors![0].message)
      expect(rounds(work.take()), name).to.equal(2 ** 7)
    }
    expect(answers.size).to.equal(1)
  })
})

describe(`tokens end with the sessions that made them, over GraphQL (issue 12, item 12; ${testDialect})`, function () {
  this.timeout(120_000)
  const s = useGraphQLServer('graphql_token_ends')
  const {guest} = users

  async function loginAs(user: {username: string; password: string}): Promise<string> {
    return ok(await s.gql<{login: {token: string}}>('mutation ($l: String!, $p: String!) { login(login: $l, password: $p) { token } }', {l: user.username, p: user.password}, {anonymous: true}))
      .login.token
  }
  const makeToken = async (token: string, name: string) =>
    ok(await s.gql<{createApiToken: {token: string}}>('mutation ($n: String!) { createApiToken(name: $n) { token } }', {n: name}, {token})).createApiToken.token
  const whoami = (token: string) => s.gql<{whoami: {actor: string}}>('{ whoami { actor } }', {}, {token})
  const expectEnded = async (tokens: string[]) => {
    for (const token of tokens) expect(codes(await whoami(token)), token.slice(0, 7)).to.deep.equal(['UNAUTHENTICATED'])
  }
  /** A session of the guest (perhaps stolen), a token made with it and a token made with that one; and a token an operator made. */
  async function tokensOfGuest() {
    const session = await loginAs(guest)
    const made = await makeToken(session, 'made by the session')
    const madeByMade = await makeToken(made, 'made by that token')
    const byOperator = (await createToken(s.ctx, {name: 'backup script', user: s.ids.users.guest})).token
    for (const token of [session, made, madeByMade, byOperator]) expect(ok(await whoami(token)).whoami.actor).to.equal(guest.username)
    return {session, made, madeByMade, byOperator}
  }

  it('a password change ends every session of the user and what they made; a token made at the command line stays', async () => {
    const t = await tokensOfGuest()
    const current = await loginAs(guest)
    const response = await s.gql(
      'mutation ($ref: String!, $p: String!, $c: String) { setUserPassword(ref: $ref, password: $p, currentPassword: $c) { id } }',
      {ref: String(s.ids.users.guest), p: 'a-brand-new-password', c: guest.password},
      {token: current},
    )
    ok(response)
    await expectEnded([t.session, t.made, t.madeByMade, current])
    expect(ok(await whoami(t.byOperator)).whoami.actor).to.equal(guest.username)
  })

  it('deactivating and activating again brings back no session and no token a session made', async () => {
    const t = await tokensOfGuest()
    for (const mutation of ['deactivateUser', 'activateUser']) ok(await s.gql(`mutation ($ref: String!) { ${mutation}(ref: $ref) { id } }`, {ref: String(s.ids.users.guest)}))
    await expectEnded([t.session, t.made, t.madeByMade])
    expect(ok(await whoami(t.byOperator)).whoami.actor).to.equal(guest.username)
  })
})
