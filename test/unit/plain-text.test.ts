/**
 * isPlainText (src/cli/plain-text.ts), by which the bundle's oclif returns a help text without
 * compiling it as an EJS template: every text of the manifest it calls plain renders as itself
 * in EJS, and texts with a delimiter, which EJS changes, are not called plain.
 */
import fs from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'

import {expect} from 'chai'

import {isPlainText} from '../../src/cli/plain-text.js'
import {root} from '../support/cli.js'

// oclif's EJS (no types of its own here).
const ejs = createRequire(import.meta.url)('ejs') as {render(template: string, data?: object): string}
const context = {config: {bin: 'stayctl'}, command: {id: 'users:create'}}

/** Every string in the manifest's commands: summaries, descriptions, examples, flags' and args' texts. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(strings)
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings)
  return []
}

describe('help texts without a template (unit)', () => {
  it('renders every plain text of the manifest in EJS as itself', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'oclif.manifest.json'), 'utf8')) as {commands: object}
    const texts = [...new Set(strings(manifest.commands))]
    const plain = texts.filter((text) => isPlainText(text))
    expect(plain.length).to.be.greaterThan(500)
    expect(texts.length - plain.length, 'the examples with <%= config.bin %>').to.be.greaterThan(100)
    expect(plain.filter((text) => ejs.render(text, context) !== text)).to.deep.equal([])
  })

  it('does not call plain a text EJS changes: a tag, an escaped tag, a closing delimiter alone', () => {
    for (const text of ['$ <%= config.bin %> users', 'a <%% b', '100%> done', 'x -%>\ny', 'a <%# note %> b']) {
      expect(ejs.render(text, context), text).to.not.equal(text)
      expect(isPlainText(text), text).to.equal(false)
    }
  })

  it('is false for what is not a string', () => {
    expect(isPlainText(undefined)).to.equal(false)
    expect(isPlainText(42)).to.equal(false)
  })
})
