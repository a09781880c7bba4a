/**
 * A flag's value is never the next flag (src/cli/usage-errors.ts swallowedFlagError): the words
 * oclif would take as a value though they start with `-` are refused, naming the flag and
 * showing the word only up to its flag's name; the values that may start with `-` (a negative
 * number, `-` for stdin, `--sort -createdAt`, the `=` and attached forms) pass, and oclif then
 * parses them as given.
 */
import {Flags, Parser} from '@oclif/core'
import {expect} from 'chai'

import {list} from '../../src/cli/flags.js'
import {swallowedFlagError} from '../../src/cli/usage-errors.js'
import {UsageError} from '../../src/errors.js'

const flags = {
  email: Flags.string({char: 'e'}),
  amount: Flags.string(),
  file: Flags.string(),
  filter: Flags.string({multiple: true}),
  limit: Flags.integer(),
  sort: list.sort,
  admin: Flags.boolean({char: 'a'}),
  yes: Flags.boolean({char: 'y', aliases: ['force'], charAliases: ['f']}),
  header: Flags.boolean({allowNo: true, default: true}),
  json: Flags.boolean(),
}

describe('a flag that swallows the next flag (usage-errors.ts)', () => {
  const refused: [string[], string, string][] = [
    [['--email', '--pasword=hunter2'], '--email', '--pasword=…'],
    [['--email', '--json'], '--email', '--json'],
    [['--email', '-phunter2'], '--email', '-p…'],
    [['--email', '-x'], '--email', '-x'],
    [['--email', '--'], '--email', '--'],
    [['-e', '--pasword=hunter2'], '--email', '--pasword=…'],
    [['-ye', '-phunter2'], '--email', '-p…'],
    [['--admin', 'ann', '--limit', '--no-header'], '--limit', '--no-header'],
    [['--filter', 'a=b', '--filter', '--secret=x'], '--filter', '--secret=…'],
    [['--sort', '--createdAt'], '--sort', '--createdAt'],
    [['--amount', '-five'], '--amount', '-f…'],
  ]
  for (const [argv, flag, shown] of refused) {
    it(`refuses ${argv.join(' ')}: names ${flag}, shows ${shown}`, () => {
      const error = swallowedFlagError(argv, flags)
      expect(error).to.be.instanceOf(UsageError)
      expect(error!.exitCode).to.equal(2)
      expect(error!.message).to.equal(`${flag} needs a value, and the word after it (${shown}) starts with -`)
      expect(error!.suggestion).to.equal(`write ${flag}=VALUE for a value that starts with -`)
      expect(`${error!.message} ${error!.suggestion}`).not.to.include('hunter2').and.not.to.include('secret=x')
    })
  }

  const taken: [string[], Record<string, unknown>][] = [
    [['--email', 'ann@example.com', '--admin'], {email: 'ann@example.com', admin: true}],
    [['--email=--pasword=hunter2'], {email: '--pasword=hunter2'}],
    [['--email=-x'], {email: '-x'}],
    [['-e--x'], {email: '--x'}],
    [['-eann@example.com', '-y'], {email: 'ann@example.com', yes: true}],
    [['-ay', '--no-header', '--force'], {admin: true, yes: true, header: false}],
    [['--amount', '-5'], {amount: '-5'}],
    [['--amount', '-0.5'], {amount: '-0.5'}],
    [['--amount', '-.5'], {amount: '-.5'}],
    [['--limit', '-1'], {limit: -1}],
    [['--file', '-'], {file: '-'}],
    [['--sort', '-createdAt', '--email', 'a@b.c'], {sort: '-createdAt', email: 'a@b.c'}],
    [['--filter', 'a=b', 'c=d', '--filter', 'e=f'], {filter: ['a=b', 'c=d', 'e=f']}],
    [['--email', 'a@b.c', '--', '--limit', '--x'], {email: 'a@b.c'}],
    [['--email'], {}],
  ]
  for (const [argv, values] of taken) {
    it(`takes ${argv.join(' ')} as oclif parses it`, async () => {
      expect(swallowedFlagError(argv, flags)).to.equal(undefined)
      if (argv.length === 1 && argv[0] === '--email') return // oclif's own "expects a value"
      const parsed = await Parser.parse(argv, {flags, args: {}, strict: false})
      expect(parsed.flags).to.deep.include(values)
    })
  }
})
