/**
 * compareCommandIds (src/cli/command-order.ts), which the bundle uses in place of oclif's
 * localeCompare when it sorts the commands: the same sign as localeCompare for every pair of
 * the manifest's ids, for random ids of its alphabet, and for ids outside it.
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {compareCommandIds} from '../../src/cli/command-order.js'
import {root} from '../support/cli.js'

const sign = (n: number) => Math.sign(n)

/** Pairs where compareCommandIds and localeCompare disagree. */
function disagreements(ids: string[]): string[] {
  const found: string[] = []
  for (const a of ids) for (const b of ids) if (sign(compareCommandIds(a, b)) !== sign(a.localeCompare(b))) found.push(`${a} ${b}`)
  return found
}

describe('command order without ICU (unit)', () => {
  it('agrees with localeCompare on every pair of the manifest\'s command ids, and sorts them alike', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>}
    const ids = Object.keys(manifest.commands)
    expect(ids).to.include.members(['help', 'db:migration:new', 'autocomplete:create'])
    expect(disagreements(ids)).to.deep.equal([])
    expect([...ids].sort(compareCommandIds)).to.deep.equal([...ids].sort((a, b) => a.localeCompare(b)))
  })

  it('agrees on random ids of lower-case letters, digits, colons and hyphens (prefixes, punctuation against digits)', () => {
    let seed = 7
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31)
    const alphabet = 'ab09:-z'
    const ids = Array.from({length: 300}, () => Array.from({length: Math.floor(random() * 6)}, () => alphabet[Math.floor(random() * alphabet.length)]).join(''))
    expect(disagreements([...ids, 'a', 'a-', 'a:', 'a0', 'a-b', 'a:b', 'ab'])).to.deep.equal([])
  })

  it('leaves ids outside that alphabet to localeCompare (capitals, underscores, accents)', () => {
    expect(disagreements(['Users', 'users', 'users_list', 'users:list', 'usérs', 'a.b', 'a:b', 'A-b'])).to.deep.equal([])
  })
})
