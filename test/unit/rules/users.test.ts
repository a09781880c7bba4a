/**
 * The users kernel on its own: normalisation of what a user is made of, and uniqueness of
 * usernames and emails without regard to case, as `users create/update` and `import users`
 * both apply them.
 */
import {expect} from 'chai'

import {ValidationError} from '../../../src/errors.js'
import {UNUSABLE_PASSWORD_HASH} from '../../../src/services/passwords.js'
import {UserKeys, checkEmail, checkName, checkPasswordHash, checkUsername} from '../../../src/services/rules/users.js'

describe('rules: users, normalisation', () => {
  it('trims usernames and keeps their case; refuses short, long or odd ones', () => {
    expect(checkUsername('  Alice.B-c_1 ')).to.equal('Alice.B-c_1')
    for (const bad of ['ab', '-abc', 'a b c', 'x'.repeat(51), 'ünï']) {
      expect(() => checkUsername(bad), bad).to.throw(ValidationError, `username "${bad}" is not valid`)
    }
    expect(checkUsername('x'.repeat(50))).to.have.length(50)
  })

  it('stores emails trimmed and lower-case; refuses what is not an address', () => {
    expect(checkEmail(' Alice@Example.COM ')).to.equal('alice@example.com')
    for (const bad of ['alice', 'a@b', 'a b@c.d', 'a@@b.c', `${'x'.repeat(250)}@b.cd`]) {
      expect(() => checkEmail(bad), bad).to.throw(ValidationError, `email "${bad}" is not a valid address`)
    }
  })

  it('trims names: blank is none, not given stays not given, over 100 characters is refused', () => {
    expect(checkName('  Ada ', 'first name')).to.equal('Ada')
    expect(checkName('   ', 'first name')).to.equal(null)
    expect(checkName(null, 'first name')).to.equal(null)
    expect(checkName(undefined, 'first name')).to.equal(undefined)
    expect(checkName('x'.repeat(100), 'firstName')).to.have.length(100)
    expect(() => checkName('x'.repeat(101), 'firstName')).to.throw(ValidationError, 'firstName is longer than 100 characters')
  })

  it('takes bcrypt hashes and the marker of erased accounts as password hashes, nothing else', () => {
    const hash = `$2b$04$${'a'.repeat(53)}`
    expect(checkPasswordHash(hash)).to.equal(hash)
    expect(checkPasswordHash(UNUSABLE_PASSWORD_HASH)).to.equal(UNUSABLE_PASSWORD_HASH)
    for (const bad of ['secret-password', `$2b$04$${'a'.repeat(52)}`, `$1$04$${'a'.repeat(53)}`]) {
      expect(() => checkPasswordHash(bad), bad).to.throw(ValidationError, 'passwordHash is not a bcrypt hash')
    }
  })
})

describe('rules: users, uniqueness', () => {
  const keys = () =>
    new UserKeys([
      {id: 1, username: 'Alice', email: 'alice@example.com'},
      {id: 2, username: 'bob', email: 'bob@example.com'},
    ])

  it('finds holders of a username or an email without regard to case', () => {
    expect(keys().byUsername('ALICE')?.id).to.equal(1)
    expect(keys().byEmail('Bob@Example.com')?.id).to.equal(2)
    expect(keys().byUsername('carol')).to.equal(undefined)
  })

  it('a new user clashes on the username first, then on the email; free values clash with nothing', () => {
    expect(keys().taken({username: 'alice', email: 'bob@example.com'})).to.deep.include({field: 'username'})
    expect(keys().taken({username: 'carol', email: 'BOB@example.com'})?.holder.id).to.equal(2)
    expect(keys().taken({username: 'carol', email: 'bob@example.com'})?.field).to.equal('email')
    expect(keys().taken({username: 'carol', email: 'carol@example.com'})).to.equal(undefined)
    expect(keys().taken({})).to.equal(undefined)
  })

  it('a user keeps their own username and email (exceptId), but not another user’s', () => {
    expect(keys().taken({username: 'ALICE', email: 'alice@example.com'}, 1)).to.equal(undefined)
    expect(keys().taken({username: 'alice', email: 'bob@example.com'}, 1)).to.deep.include({field: 'email'})
    expect(keys().taken({email: 'alice@example.com'}, 2)?.holder.id).to.equal(1)
  })

  it('rows of a batch hold their values too, by line, and no exceptId frees them', () => {
    const earlier = new UserKeys()
    expect(earlier.taken({username: 'dora', email: 'dora@example.com'})).to.equal(undefined)
    earlier.add({username: 'dora', email: 'dora@example.com', line: 2})
    expect(earlier.taken({username: 'DORA', email: 'other@example.com'})).to.deep.equal({
      field: 'username',
      holder: {username: 'dora', email: 'dora@example.com', line: 2},
    })
    expect(earlier.taken({username: 'eve', email: 'dora@example.com'}, 7)?.holder.line).to.equal(2)
  })
})
