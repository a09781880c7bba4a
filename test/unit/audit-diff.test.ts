import {expect} from 'chai'

import {diff} from '../../src/services/audit.js'

describe('audit diff', () => {
  it('a field set to what it held is no change, compared as text (5 and "5", a Date and its text)', () => {
    const at = new Date('2026-01-02T03:04:05.000Z')
    expect(diff({rating: 5, price: '12.50', at}, {rating: '5' as unknown as number, price: '12.50', at: new Date(at.getTime())})).to.equal(undefined)
  })

  it('a field left out is no change', () => {
    expect(diff({comment: 'x', rating: 4}, {rating: undefined})).to.equal(undefined)
  })

  it('the text "null" cleared to null, and null set to "null", are changes', () => {
    expect(diff({comment: 'null' as string | null}, {comment: null})).to.deep.equal({comment: {from: 'null', to: null}})
    expect(diff({comment: null as string | null}, {comment: 'null'})).to.deep.equal({comment: {from: null, to: 'null'}})
  })

  it('null to null is no change; a value to null and back are changes', () => {
    expect(diff({comment: null as string | null}, {comment: null})).to.equal(undefined)
    expect(diff({comment: 'ok' as string | null}, {comment: null})).to.deep.equal({comment: {from: 'ok', to: null}})
    expect(diff({comment: null as string | null}, {comment: 'ok'})).to.deep.equal({comment: {from: null, to: 'ok'}})
  })
})
