/**
 * References on their own (src/services/refs/): how a reference reads (an id or a text key),
 * and which property a name picks among those that have it, with or without the owner.
 */
import {expect} from 'chai'

import {ambiguousName, pickByName, type PropertyRef} from '../../src/services/refs/properties.js'
import {idOf} from '../../src/services/refs/resolver.js'
import {isEmailRef, userKey} from '../../src/services/refs/users.js'

const place = (id: number, ownerId: number, ownerUsername: string): PropertyRef => ({
  id,
  name: 'Sea View',
  ownerId,
  ownerUsername,
  ownerEmail: `${ownerUsername}@example.com`,
})

describe('refs: reading a reference', () => {
  it('digits are an id, anything else a text key', () => {
    expect(idOf(' 42 ')).to.equal(42)
    expect(idOf('ext-42')).to.equal(undefined)
    expect(idOf('4.2')).to.equal(undefined)
  })

  it('a user reference with @ is an email; usernames and emails fold their case', () => {
    expect(userKey('Alice')).to.equal('username:alice')
    expect(userKey(' Alice@Example.COM ')).to.equal('email:alice@example.com')
    expect(userKey('7')).to.equal('id:7')
    expect(isEmailRef('a@b.c')).to.equal(true)
    expect(isEmailRef(7)).to.equal(false)
  })
})

describe('refs: a property by name', () => {
  const alice = place(1, 10, 'alice')
  const bob = place(2, 20, 'bob')
  const alice2 = place(3, 10, 'alice')

  it('one property of the name is it; none is unknown', () => {
    expect(pickByName('Sea View', [alice])).to.deep.equal({property: alice})
    expect(pickByName('Sea View', [])).to.deep.equal({error: 'unknown property "Sea View"'})
    expect(pickByName('Sea View', [alice], 'bob')).to.deep.equal({error: 'unknown property "Sea View" of owner "bob"'})
  })

  it('a name two hosts use is ambiguous, naming the hosts; the owner (id, username or email) tells them apart', () => {
    expect(ambiguousName('Sea View', [alice, bob, alice2])).to.equal('property name "Sea View" is ambiguous: hosts alice, bob each have one')
    expect(pickByName('Sea View', [alice, bob])).to.deep.equal({
      error: 'property name "Sea View" is ambiguous: hosts alice, bob each have one; add propertyOwner to say whose',
      ambiguous: [alice, bob],
    })
    for (const owner of ['bob', 'BOB', '20', 'bob@example.com']) expect(pickByName('Sea View', [alice, bob], owner)).to.deep.equal({property: bob})
    expect(pickByName('Sea View', [alice, bob, alice2], 'alice')).to.deep.equal({
      error: 'alice has 2 properties named "Sea View"; refer to one by id',
      ambiguous: [alice, alice2],
    })
  })
})
