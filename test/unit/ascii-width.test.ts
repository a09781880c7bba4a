/**
 * withAsciiFastPath (src/cli/ascii-width.ts), which the bundle puts in front of string-width:
 * the same width as string-width for printable ASCII (answered by the fast path), and for
 * what it hands on (escape sequences, controls, wide, combining and emoji characters).
 */
import {expect} from 'chai'
import stringWidth from 'string-width'

import {withAsciiFastPath} from '../../src/cli/ascii-width.js'

describe('string width with an ASCII fast path (unit)', () => {
  const calls: string[] = []
  const counted = (text: string) => (calls.push(text), stringWidth(text))
  const width = withAsciiFastPath(counted)

  beforeEach(() => (calls.length = 0))

  it('answers printable ASCII itself, with string-width\'s width', () => {
    const samples = ['', ' ', 'db', 'Manage the schema (migrations)', '$ stayctl users create --username ~x', String.fromCharCode(...Array.from({length: 95}, (_, i) => 32 + i))]
    for (const text of samples) expect(width(text), JSON.stringify(text)).to.equal(stringWidth(text))
    expect(calls).to.deep.equal([])
  })

  it('hands anything else to string-width', () => {
    const samples = ['\u001B[1mbold\u001B[22m', 'tab\there', 'line\n', 'caf\u00E9', '\u65E5\u672C', 'e\u0301', '\u{1F600} ok', '#\uFE0F\u20E3', '\u007F']
    for (const text of samples) expect(width(text), JSON.stringify(text)).to.equal(stringWidth(text))
    expect(calls).to.deep.equal(samples)
  })

  it('is its own default export, as string-width is', () => {
    expect(width.default).to.equal(width)
    expect(withAsciiFastPath({default: counted})('abc')).to.equal(3)
  })
})
