import {expect} from 'chai'

import {ValidationError} from '../../src/errors.js'
import {MAX_PASSWORD_BYTES, checkPassword, hashPassword, verifyPassword} from '../../src/services/passwords.js'
import {fixtures} from '../support/fixtures.js'

describe('passwords (unit)', () => {
  it('accepts 8 characters to 72 bytes', () => {
    expect(MAX_PASSWORD_BYTES).to.equal(72)
    for (const ok of ['12345678', 'p'.repeat(72), '€'.repeat(24), '😀'.repeat(18), '😀'.repeat(8), ...Object.values(fixtures.users).map((u) => u.password)]) {
      expect(() => checkPassword(ok), ok).not.to.throw()
    }
  })

  it('refuses more than 72 bytes, counting UTF-8 bytes rather than characters', () => {
    const cases: [string, number][] = [
      ['p'.repeat(73), 73],
      ['€'.repeat(25), 75],
      ['😀'.repeat(19), 76],
      ['a'.repeat(71) + 'é', 73],
    ]
    for (const [password, bytes] of cases) {
      expect(() => checkPassword(password)).to.throw(ValidationError, new RegExp(`is ${bytes} bytes long`))
    }
  })

  it('refuses fewer than 8 characters, counting characters rather than UTF-16 units', () => {
    expect(() => checkPassword('1234567')).to.throw(ValidationError, /at least 8 characters/)
    expect(() => checkPassword('😀'.repeat(7))).to.throw(ValidationError, /at least 8 characters/)
  })

  it('never echoes the password in its errors', () => {
    const secret = 'hunter2-'.repeat(10)
    expect(() => checkPassword(secret)).to.throw(ValidationError).that.satisfies((e: Error) => !e.message.includes('hunter2'))
  })

  it('hashes with bcrypt at the given cost and verifies', async () => {
    const hash = await hashPassword('p'.repeat(72), 4)
    expect(hash).to.match(/^\$2b\$04\$/)
    expect(await verifyPassword('p'.repeat(72), hash)).to.equal(true)
    // bcrypt alone would accept this (it reads 72 bytes); verifyPassword does not.
    expect(await verifyPassword('p'.repeat(73), hash)).to.equal(false)
    expect(await verifyPassword('anything', '!erased')).to.equal(false)
  })
})
