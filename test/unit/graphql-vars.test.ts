/** The variables of `stayctl api`: typed like `gh api -F`, raw strings, nesting, and clear usage errors. */
import {expect} from 'chai'

import {buildVariables, typedValue} from '../../src/cli/graphql-vars.js'
import {StayctlError} from '../../src/errors.js'

const typed = (...pairs: string[]) => buildVariables(pairs.map((pair) => ({pair, raw: false})), (file) => `<${file}>`)

describe('stayctl api variables (unit)', () => {
  it('types values like gh: booleans, null, integers and decimals; anything else stays text', () => {
    expect([typedValue('true'), typedValue('false'), typedValue('null'), typedValue('42'), typedValue('-7'), typedValue('2.50'), typedValue('1e3')]).to.deep.equal([
      true,
      false,
      null,
      42,
      -7,
      2.5,
      1000,
    ])
    expect([typedValue('007'), typedValue('12.'), typedValue('abc'), typedValue(''), typedValue('True'), typedValue('9007199254740993')]).to.deep.equal([
      '007',
      '12.',
      'abc',
      '',
      'True',
      '9007199254740993',
    ])
  })

  it('@file reads a file; --raw-var keeps the text; values may hold "="', () => {
    expect(typed('doc=@notes.txt')).to.deep.equal({doc: '<notes.txt>'})
    expect(buildVariables([{pair: 'ref=42', raw: true}, {pair: 'n=42', raw: false}, {pair: 'q=a=b', raw: true}])).to.deep.equal({ref: '42', n: 42, q: 'a=b'})
  })

  it('nests objects with [key] and lists with []', () => {
    expect(typed('input[property]=Harbour Loft', 'input[rating]=5', 'input[tags][]=a', 'input[tags][]=b', 'ids[]=1', 'ids[]=2')).to.deep.equal({
      input: {property: 'Harbour Loft', rating: 5, tags: ['a', 'b']},
      ids: [1, 2],
    })
  })

  for (const [pairs, message] of [
    [['novalue'], /--var "novalue" is not name=value/],
    [['=1'], /is not name=value/],
    [['1x=1'], /a variable name is letters, digits and _/],
    [['a=1', 'a[b]=2'], /a was given as another kind of value before/],
    [['a[]=1', 'a[b]=2'], /a was given as another kind of value before/],
  ] as [string[], RegExp][]) {
    it(`refuses ${JSON.stringify(pairs)} as a usage error`, () => {
      let error: unknown
      try {
        typed(...pairs)
      } catch (caught) {
        error = caught
      }
      expect(error).to.be.instanceOf(StayctlError)
      expect((error as StayctlError).kind).to.equal('USAGE')
      expect((error as StayctlError).message).to.match(message)
    })
  }
})
