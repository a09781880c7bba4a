import bcrypt from 'bcrypt'
import {expect} from 'chai'
import {UniqueConstraintError} from 'sequelize'

import {ConflictError, NotFoundError, ValidationError} from '../../src/errors.js'
import {verifyPassword} from '../../src/services/passwords.js'
import {createUser, deleteUser, listUsers, setActive, setPassword, showUser, updateUser} from '../../src/services/users.js'
import {fixtures} from '../support/fixtures.js'
import {countRows, expectRefused, useScenario} from '../support/integration.js'

const {users} = fixtures

describe('users (integration)', () => {
  const s = useScenario('users')

  async function storedHash(id: number): Promise<string> {
    const user = await s.db.models.User.findByPk(id)
    return user!.passwordHash
  }

  const alice = {username: 'alice', email: 'alice@example.com', password: 'alice-password'}

  describe('passwords', () => {
    it('stores a bcrypt hash, never the password, and no view carries it', async () => {
      const user = await createUser(s.ctx, alice)
      const hash = await storedHash(user.id)
      expect(hash).to.match(/^\$2b\$04\$/)
      expect(hash).not.to.include(alice.password)
      expect(await bcrypt.compare(alice.password, hash)).to.equal(true)
      expect(JSON.stringify(user)).not.to.match(/password|\$2b\$/i)
      expect(JSON.stringify(await showUser(s.ctx, user.id))).not.to.match(/password|\$2b\$/i)
      expect(JSON.stringify(await listUsers(s.ctx, {limit: 1000}))).not.to.match(/password|\$2b\$/i)
    })

    it('accepts 72 ASCII bytes, and the whole password counts at login', async () => {
      const password = 'p'.repeat(71) + 'q'
      const user = await createUser(s.ctx, {...alice, password})
      const hash = await storedHash(user.id)
      expect(await verifyPassword(password, hash)).to.equal(true)
      expect(await verifyPassword('p'.repeat(72), hash)).to.equal(false)
    })

    it('refuses 73 ASCII bytes instead of cutting them', async () => {
      await expectRefused(s.db, () => createUser(s.ctx, {...alice, password: 'p'.repeat(73)}), ValidationError, /73 bytes/)
    })

    it('counts bytes, not characters: 24 × € (72 bytes) is fine, 25 × € (75 bytes) is refused', async () => {
      await createUser(s.ctx, {...alice, password: '€'.repeat(24)})
      await expectRefused(
        s.db,
        () => createUser(s.ctx, {username: 'bob', email: 'bob@example.com', password: '€'.repeat(25)}),
        ValidationError,
        /75 bytes/,
      )
      await expectRefused(
        s.db,
        () => createUser(s.ctx, {username: 'bob', email: 'bob@example.com', password: 'a'.repeat(71) + 'é'}),
        ValidationError,
        /73 bytes/,
      )
    })

    it('refuses passwords under 8 characters', async () => {
      await expectRefused(s.db, () => createUser(s.ctx, {...alice, password: 'short12'}), ValidationError, /at least 8/)
    })

    it('applies the same limits to set-password, and never audits the password', async () => {
      const id = s.ids.users.guest
      await expectRefused(s.db, () => setPassword(s.ctx, id, 'x'.repeat(73)), ValidationError, /73 bytes/)
      await expectRefused(s.db, () => setPassword(s.ctx, id, '€'.repeat(25)), ValidationError, /75 bytes/)
      const before = await storedHash(id)
      await setPassword(s.ctx, id, 'x'.repeat(72))
      const after = await storedHash(id)
      expect(after).not.to.equal(before)
      expect(await verifyPassword('x'.repeat(72), after)).to.equal(true)
      const [event] = await s.db.models.AuditEvent.findAll({where: {action: 'user.set-password'}})
      expect(event.changes).to.equal(null)
    })
  })

  describe('usernames and emails without regard to case', () => {
    beforeEach(async () => {
      await createUser(s.ctx, alice)
    })

    it('refuses "Alice" when "alice" exists', async () => {
      await expectRefused(
        s.db,
        () => createUser(s.ctx, {username: 'Alice', email: 'other@example.com', password: 'alice-password'}),
        ConflictError,
        /username "Alice" is already taken/,
      )
    })

    it('refuses ALICE@EXAMPLE.COM when alice@example.com exists', async () => {
      await expectRefused(
        s.db,
        () => createUser(s.ctx, {username: 'alice2', email: 'ALICE@EXAMPLE.COM', password: 'alice-password'}),
        ConflictError,
        /email "alice@example.com" is already taken/,
      )
    })

    it('finds her as ALICE@EXAMPLE.COM and as ALICE', async () => {
      const id = (await showUser(s.ctx, 'alice')).id
      expect((await showUser(s.ctx, 'ALICE@EXAMPLE.COM')).id).to.equal(id)
      expect((await showUser(s.ctx, 'ALICE')).id).to.equal(id)
    })

    it('stores emails in lower case', async () => {
      expect((await showUser(s.ctx, s.ids.users.guest)).email).to.equal(users.guest.email.toLowerCase())
    })

    it('refuses renaming someone to another user’s name in other case', async () => {
      await expectRefused(s.db, () => updateUser(s.ctx, s.ids.users.otherGuest, {username: 'ALICE'}), ConflictError, /already taken/)
      await expectRefused(s.db, () => updateUser(s.ctx, s.ids.users.otherGuest, {email: 'Alice@Example.com'}), ConflictError, /already taken/)
    })

    it('lets a user change the case of their own username', async () => {
      expect((await updateUser(s.ctx, 'alice', {username: 'Alice'})).username).to.equal('Alice')
    })

    it('has the database refuse case variants too (the last line under races)', async () => {
      const row = {email: 'x@example.com', passwordHash: 'x', firstName: null, lastName: null}
      let caught: unknown
      try {
        await s.db.models.User.create({...row, username: 'ALICE'})
      } catch (error) {
        caught = error
      }
      expect(caught).to.be.instanceOf(UniqueConstraintError)
    })
  })

  describe('update and (de)activation', () => {
    it('records what changed, and nothing when nothing did', async () => {
      const id = s.ids.users.otherGuest
      const events = () => countRows(s.db, 'audit_events', `entity = 'user' AND entity_id = '${id}'`)
      const before = await events()
      await updateUser(s.ctx, id, {firstName: users.otherGuest.firstName, isAdmin: false})
      expect(await events()).to.equal(before)
      const updated = await updateUser(s.ctx, id, {lastName: 'Ostrander'})
      expect(updated.lastName).to.equal('Ostrander')
      const event = await s.db.models.AuditEvent.findOne({where: {action: 'user.update', entityId: String(id)}})
      expect(event!.changes).to.deep.equal({lastName: {from: users.otherGuest.lastName, to: 'Ostrander'}})
    })

    it('deactivates and activates, once each', async () => {
      const id = s.ids.users.otherGuest
      expect((await setActive(s.ctx, id, false)).isActive).to.equal(false)
      expect((await setActive(s.ctx, id, false)).isActive).to.equal(false)
      expect((await setActive(s.ctx, id, true)).isActive).to.equal(true)
      const actions = (await s.db.models.AuditEvent.findAll({where: {entityId: String(id), entity: 'user'}, order: [['id', 'ASC']]})).map(
        (e) => e.action,
      )
      expect(actions).to.deep.equal(['user.create', 'user.deactivate', 'user.activate'])
    })

    it('refuses invalid usernames and emails', async () => {
      await expectRefused(s.db, () => createUser(s.ctx, {...alice, username: 'a b'}), ValidationError, /username/)
      await expectRefused(s.db, () => createUser(s.ctx, {...alice, email: 'not-an-email'}), ValidationError, /email/)
      await expectRefused(s.db, () => updateUser(s.ctx, 'nobody', {firstName: 'X'}), NotFoundError)
    })
  })

  describe('delete', () => {
    it('refuses a host who owns properties', async () => {
      const error = await expectRefused(s.db, () => deleteUser(s.ctx, s.ids.users.host), ConflictError, /owns 3 properties/)
      expect(error.details).to.deep.equal({properties: 3, bookings: 0, payments: 0})
      expect(error.suggestion).to.match(/users deactivate .* users erase/)
    })

    it('refuses a guest with bookings and payments', async () => {
      const error = await expectRefused(s.db, () => deleteUser(s.ctx, s.ids.users.guest), ConflictError, /has 3 booking\(s\), has 2 payment\(s\)/)
      expect(error.details).to.deep.equal({properties: 0, bookings: 3, payments: 2})
    })

    it('refuses a guest whose only booking was cancelled: the books keep it', async () => {
      await expectRefused(s.db, () => deleteUser(s.ctx, s.ids.users.otherGuest), ConflictError, /has 1 booking\(s\)/)
    })

    it('deletes a user who holds nothing, and audits it', async () => {
      const id = s.ids.users.admin
      expect(await deleteUser(s.ctx, id)).to.deep.equal({id, deleted: true, erased: false})
      expect(await countRows(s.db, 'users', `id = ${id}`)).to.equal(0)
      expect(await countRows(s.db, 'audit_events', `action = 'user.delete' AND entity_id = '${id}'`)).to.equal(1)
      await expectRefused(s.db, () => showUser(s.ctx, id), NotFoundError)
    })

    it('deletes a user who holds nothing but API tokens, with the tokens', async () => {
      const id = s.ids.users.admin
      await s.db.models.ApiToken.create({userId: id, name: 'ci', tokenHash: 'h'.repeat(64), expiresAt: null, lastUsedAt: null, revokedAt: null})
      expect((await deleteUser(s.ctx, id)).deleted).to.equal(true)
      expect(await countRows(s.db, 'api_tokens')).to.equal(0)
    })

    it('erases instead when asked to and the user holds something', async () => {
      const id = s.ids.users.guest
      expect(await deleteUser(s.ctx, id, {erase: true})).to.deep.equal({id, deleted: false, erased: true})
      expect((await showUser(s.ctx, id)).username).to.equal(`erased-${id}`)
      expect(await countRows(s.db, 'bookings', `guest_id = ${id}`)).to.equal(3)
    })
  })

  describe('search', () => {
    it('matches _ and % literally, on every database', async () => {
      await createUser(s.ctx, {username: 'alice_b', email: 'ab@example.com', password: 'alice-password'})
      await createUser(s.ctx, {username: 'aliceXb', email: 'axb@example.com', password: 'alice-password'})
      expect((await listUsers(s.ctx, {search: 'alice_b'})).items.map((u) => u.username)).to.deep.equal(['alice_b'])
      expect((await listUsers(s.ctx, {search: '%'})).items).to.deep.equal([])
    })

    it('matches any part of a name regardless of case, and filters by flags', async () => {
      expect((await listUsers(s.ctx, {search: 'QUILL'})).items.map((u) => u.id)).to.deep.equal([s.ids.users.guest])
      expect((await listUsers(s.ctx, {active: false})).items.map((u) => u.id)).to.deep.equal([s.ids.users.inactive])
      expect((await listUsers(s.ctx, {admin: true})).items.map((u) => u.id)).to.deep.equal([s.ids.users.admin])
    })
  })
})
