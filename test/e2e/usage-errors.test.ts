/**
 * The parser's mistakes, for every command (ours, read from the oclif manifest, so a new
 * command is covered by being added, and those of the oclif plugins we ship): with --json, (a) an unknown flag, (b) no value for a
 * required flag or argument, (c) a value a flag refuses each print one JSON error object
 * (code USAGE, exit code 2, under 1 KB) on stdout and exit 2; without --json, one line on
 * stderr. Nothing reaches a database: parsing fails first.
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {isOwnCommand, isolatedEnv, root, runCli, type CliResult} from '../support/cli.js'
import {useScratch} from '../support/scratch.js'
import {removeHome} from './helpers.js'

interface ManifestCommand {
  id: string
  relativePath: string[]
  hidden?: boolean
  flags: Record<string, {type: string; required?: boolean; char?: string}>
  args: Record<string, {required?: boolean}>
}

const manifest = JSON.parse(fs.readFileSync(path.join(root, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, ManifestCommand>}
// Ours, and those of the oclif plugins we ship (help, autocomplete): the runner gives theirs our usage errors (src/cli/run.ts).
// Not the plugins' hidden ones: their internals (`autocomplete create`, run by `autocomplete`, reads no flags at all).
const commands = Object.values(manifest.commands).filter((command) => isOwnCommand(command) || !command.hidden)

function expectUsageJson(result: CliResult, what: string): void {
  expect(result.code, `${what}: exit code; stderr: ${result.stderr}`).to.equal(2)
  expect(Buffer.byteLength(result.stdout), `${what}: size of the error`).to.be.below(1024)
  const body = JSON.parse(result.stdout) as {error: {code: string; exitCode: number; message: string}}
  expect(Object.keys(body), what).to.deep.equal(['error'])
  expect(body.error.code, what).to.equal('USAGE')
  expect(body.error.exitCode, what).to.equal(2)
  expect(body.error.message, what).to.not.include('\n')
}

describe('usage errors of every command (e2e)', function () {
  this.timeout(600_000)
  const scratch = useScratch({per: 'suite', folder: 'stayctl-usage-'})
  let env: NodeJS.ProcessEnv

  before(() => {
    // A database that does not exist yet: a command that got past parsing would create it.
    env = isolatedEnv({STAYCTL_DATABASE_URL: `sqlite:${path.join(scratch.dir, 'untouched.sqlite')}`})
    scratch.defer(() => removeHome(env))
    // At the end, while the folder is still there.
    scratch.defer(() => {
      const file = env.STAYCTL_DATABASE_URL!.slice('sqlite:'.length)
      expect(fs.existsSync(file), 'no command reached the database').to.equal(false)
    })
  })

  it('covers the commands of the manifest', () => {
    expect(commands.length).to.be.above(40)
  })

  for (const command of commands) {
    const words = command.id.split(':')
    const required = [
      ...Object.entries(command.flags)
        .filter(([, flag]) => flag.required)
        .map(([name]) => `--${name}`),
      ...Object.entries(command.args)
        .filter(([, arg]) => arg.required)
        .map(([name]) => name),
    ]

    describe(words.join(' '), () => {
      it('--json with an unknown flag: one JSON error, exit 2', async () => {
        expectUsageJson(await runCli([...words, '--json', '--no-such-flag'], {env}), 'unknown flag')
      })

      it('--json with a bad flag value (--timeout nope): one JSON error, exit 2', async () => {
        expectUsageJson(await runCli([...words, '--timeout', 'nope', '--json'], {env}), 'bad value')
      })

      if (required.length > 0) {
        it(`--json without ${required.join(', ')}: one JSON error, exit 2`, async () => {
          const result = await runCli([...words, '--json'], {env})
          expectUsageJson(result, 'missing required')
          expect(JSON.parse(result.stdout).error.message).to.match(/missing|required/i)
        })
      }

      it('without --json: one line on stderr, exit 2', async () => {
        const result = await runCli([...words, '--no-such-flag'], {env})
        expect(result.code).to.equal(2)
        expect(result.stdout).to.equal('')
        expect(result.stderr.trimEnd().split('\n')).to.have.length(1)
        expect(result.stderr).to.match(/^Error: Nonexistent flag: --no-such-flag; see `stayctl .+ --help`\n$/)
      })
    })
  }

  describe('a command line naming no command (src/cli/not-found.ts)', () => {
    it('--json: one JSON error, exit 2, with the nearest command and where the topic lists its commands', async () => {
      const result = await runCli(['users', 'lst', '--json'], {env})
      expectUsageJson(result, 'unknown command')
      expect(JSON.parse(result.stdout).error).to.deep.include({
        message: '"users lst" is not a stayctl command',
        suggestion: 'did you mean `stayctl users list`? `stayctl help users` lists the commands',
      })
      expect(result.stderr).to.equal('')
    })

    it('without --json: one line on stderr, exit 2; a topic mistyped is suggested, nothing near is not', async () => {
      const cases: [string[], string][] = [
        [['bokings'], 'Error: "bokings" is not a stayctl command; did you mean `stayctl bookings`? `stayctl help` lists the commands\n'],
        [['db', 'migrat', '--dry-run'], 'Error: "db migrat" is not a stayctl command; did you mean `stayctl db migrate`? `stayctl help db` lists the commands\n'],
        [['nosuchcmd'], 'Error: "nosuchcmd" is not a stayctl command; `stayctl help` lists the commands\n'],
      ]
      for (const [argv, line] of cases) {
        const result = await runCli(argv, {env})
        expect([result.code, result.stdout, result.stderr], argv.join(' ')).to.deep.equal([2, '', line])
      }
    })
  })
})
