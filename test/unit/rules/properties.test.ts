/**
 * The properties kernel on its own: naming and pricing of a listing, the ownership rule, and
 * the natural key (owner, name) by which an import finds the property a row is.
 */
import {expect} from 'chai'

import {ValidationError} from '../../../src/errors.js'
import {
  PropertyNames,
  checkAddress,
  checkDescription,
  checkPricePerNight,
  checkPropertyName,
  checkText,
  ownerRefusal,
} from '../../../src/services/rules/properties.js'

describe('rules: properties, naming', () => {
  it('trims names and addresses, which must not be empty nor too long; undefined is not given', () => {
    expect(checkPropertyName('  Sea View ')).to.equal('Sea View')
    expect(checkPropertyName(undefined)).to.equal(undefined)
    expect(() => checkPropertyName('  ')).to.throw(ValidationError, 'name must not be empty')
    expect(checkPropertyName('x'.repeat(200))).to.have.length(200)
    expect(() => checkPropertyName('x'.repeat(201))).to.throw(ValidationError, 'name is longer than 200 characters')
    expect(checkAddress(' 1 Main St ')).to.equal('1 Main St')
    expect(() => checkAddress('')).to.throw(ValidationError, 'address must not be empty')
    expect(() => checkAddress('x'.repeat(301))).to.throw(ValidationError, 'address is longer than 300 characters')
  })

  it('a description may be blank (none) or null, and at most 10,000 characters', () => {
    expect(checkDescription('  ')).to.equal(null)
    expect(checkDescription(null)).to.equal(null)
    expect(checkDescription(undefined)).to.equal(undefined)
    expect(checkDescription('x'.repeat(10_000))).to.have.length(10_000)
    expect(() => checkDescription('x'.repeat(10_001))).to.throw(ValidationError, 'description is longer than 10000 characters')
    expect(checkText(' a ', 'note', 1, false)).to.equal('a')
  })

  it('prices are positive amounts of at most two decimals, within what the column holds', () => {
    expect(checkPricePerNight('120.5')).to.equal(12_050)
    expect(() => checkPricePerNight('0')).to.throw(ValidationError, 'price per night must be above 0')
    expect(() => checkPricePerNight('1.234')).to.throw(ValidationError)
    expect(() => checkPricePerNight('100000000')).to.throw(ValidationError, 'price per night must be at most')
  })
})

describe('rules: properties, ownership', () => {
  it('an inactive host cannot list a property, but may hold an unlisted one; an active host lists', () => {
    const inactive = {id: 4, username: 'olga', isActive: false}
    expect(ownerRefusal(inactive, true)).to.equal('user 4 (olga) is inactive and cannot list a property')
    expect(ownerRefusal(inactive, false)).to.equal(undefined)
    expect(ownerRefusal({...inactive, isActive: true}, true)).to.equal(undefined)
  })
})

describe('rules: properties, the natural key (owner, name)', () => {
  const host = {id: 1, username: 'hana'}
  const names = () =>
    new PropertyNames([
      {id: 12, ownerId: 1, name: 'Twin'},
      {id: 10, ownerId: 1, name: 'Loft'},
      {id: 11, ownerId: 1, name: 'Twin'},
      {id: 13, ownerId: 2, name: 'Barn'},
    ])

  it('a new name is inserted, and a second row of it repeats the first', () => {
    const n = names()
    expect(n.admit(host, 'Barn', 2, {upsert: false})).to.deep.equal({})
    expect(n.admit(host, 'Barn', 3, {upsert: true})).to.deep.equal({refusal: 'property "Barn" of hana repeats line 2'})
    expect(n.admit({id: 2, username: 'ben'}, 'Cabin', 4, {upsert: false})).to.deep.equal({})
  })

  it('an existing name is a duplicate, or updates its property with the upsert option', () => {
    expect(names().admit(host, 'Loft', 2, {upsert: false})).to.deep.equal({
      refusal: 'hana already has a property named "Loft" (property 10); use --upsert to update it',
    })
    const n = names()
    expect(n.admit(host, 'Loft', 2, {upsert: true})).to.deep.equal({update: 10})
    expect(n.admit(host, 'Loft', 5, {upsert: true})?.refusal).to.equal('property "Loft" of hana repeats line 2')
  })

  it('a name several properties of the owner share is refused either way; names are compared exactly', () => {
    for (const upsert of [false, true]) {
      expect(names().admit(host, 'Twin', 2, {upsert})).to.deep.equal({refusal: 'hana has 2 properties named "Twin" (11, 12); rename one first'})
    }
    expect(names().admit(host, 'twin', 2, {upsert: false})).to.deep.equal({})
  })

  it('a refused row claims nothing', () => {
    const n = names()
    expect(n.admit(host, 'Loft', 2, {upsert: false}).refusal).to.be.a('string')
    expect(n.admit(host, 'Loft', 3, {upsert: true})).to.deep.equal({update: 10})
  })
})
