/**
 * Startup: `--version` and `--help` answer without loading command code, Sequelize or a
 * database driver (acceptance 6), and commands load only what they use (issue 14). The CLI
 * runs under a preload that records every file the process loads; the files of the bundle
 * (dist/, scripts/build.mjs) stand for the sources bundled into them, which dist/meta.json
 * lists. `db status` shows that the same check does see Sequelize when it loads.
 */
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {Config} from '@oclif/core'
import {expect} from 'chai'

import {isOwnCommand, isolatedEnv, root, runCli, type CliResult} from '../support/cli.js'

const recorder = pathToFileURL(path.join(root, 'test', 'support', 'module-recorder.mjs')).href
const DATABASE_PACKAGES = ['sequelize', 'mysql2', 'sqlite3']
/** Our own code that every start loads: bin/run.js's runner and code cache, the bundle's import(), what oclif's help runs on (scripts/build.mjs). */
const STARTUP_CODE = ['src/cli/run.ts', 'src/cli/compile-cache.ts', 'dist/dynamic-import.js', 'src/cli/command-order.ts', 'src/cli/plain-text.ts', 'src/cli/ascii-width.ts']

interface Traced {
  result: CliResult
  /** Every file the process loaded. */
  files: string[]
  /** The sources in them: a file of the bundle stands for the sources bundled into it, other files for themselves. */
  sources: string[]
  /** The npm packages among the sources. */
  packages: Set<string>
}

/** The sources in each file of the bundle, from esbuild's metafile: absolute path → paths relative to the root. */
function bundleSources(): Map<string, string[]> {
  const meta = JSON.parse(fs.readFileSync(path.join(root, 'dist', 'meta.json'), 'utf8')) as {outputs: Record<string, {inputs: Record<string, unknown>}>}
  return new Map(Object.entries(meta.outputs).map(([file, output]) => [path.join(root, file), Object.keys(output.inputs)]))
}

async function traced(args: string[], env = isolatedEnv()): Promise<Traced> {
  const log = path.join(env.HOME!, 'modules.log')
  const result = await runCli(args, {env: {...env, STAYCTL_MODULE_LOG: log}, nodeArgs: ['--import', recorder]})
  const files = [...new Set(fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((m) => (m.startsWith('file:') ? fileURLToPath(m) : m)))]
  const bundle = bundleSources()
  const sources = files.flatMap((file) => bundle.get(file) ?? [file])
  const packages = new Set<string>()
  for (const source of sources) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source)
    if (match) packages.add(match[1])
  }
  return {result, files, sources, packages}
}

/**
 * Our own code (commands, services, db, …) among the sources, as paths relative to the root.
 * Not dist/package.json: oclif's Command module, bundled, reads it (for an engines check of its
 * own package.json, ../package.json from dist/chunks) wherever a command loads, `help` too.
 */
const ownCode = (sources: string[]) =>
  sources
    .map((source) => (path.isAbsolute(source) ? path.relative(root, source) : source))
    .filter((source) => /^(commands|src|migrations|seeders|dist)\//.test(source) && source !== 'dist/package.json')

describe('startup (e2e)', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {version: string}

  describe('--version', () => {
    it('prints oclif\'s version line: name/version platform-arch node-version', async () => {
      const {code, stdout, stderr} = await runCli(['--version'])
      expect(code).to.equal(0)
      expect(stderr).to.equal('')
      expect(stdout).to.equal(`stayctl/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`)
      // The fast path in bin/run.js must print exactly what oclif itself would.
      const config = await Config.load(root)
      expect(stdout.trim()).to.equal(config.userAgent)
    })

    it('answers -v and `version` the same way', async () => {
      const long = await runCli(['--version'])
      for (const args of [['-v'], ['version']]) {
        const other = await runCli(args)
        expect(other.code, args.join(' ')).to.equal(0)
        expect(other.stdout, args.join(' ')).to.equal(long.stdout)
      }
    })

    it('loads no database package, no command code, not even oclif', async () => {
      const {result, packages, files, sources} = await traced(['--version'])
      expect(result.code).to.equal(0)
      expect(files.length, 'the recorder saw nothing').to.be.greaterThan(0)
      expect([...packages]).to.deep.equal([])
      expect(ownCode(sources)).to.deep.equal([])
    })
  })

  describe('--help', () => {
    it('lists the topics and the help command', async () => {
      const {code, stdout} = await runCli(['--help'])
      expect(code).to.equal(0)
      expect(stdout).to.match(/^USAGE\n\s+\$ stayctl \[COMMAND\]/m)
      const topics = stdout.slice(stdout.indexOf('TOPICS'), stdout.indexOf('COMMANDS'))
      for (const topic of ['audit', 'bookings', 'db', 'payments', 'properties', 'reviews', 'users']) {
        expect(topics).to.match(new RegExp(`^\\s+${topic}\\s+\\S`, 'm'))
      }
      expect(topics).to.match(/^\s+db\s+Manage the schema/m)
      expect(stdout).to.match(/^\s+help\s+Display help for stayctl/m)
    })

    it('lists the db commands under `db --help`', async () => {
      const {code, stdout} = await runCli(['db', '--help'])
      expect(code).to.equal(0)
      for (const command of ['create', 'drop', 'migrate', 'reset', 'rollback', 'status']) {
        expect(stdout).to.match(new RegExp(`^\\s+db ${command}\\s`, 'm'))
      }
    })

    for (const args of [['--help'], ['db', '--help'], ['help', 'db']]) {
      it(`\`${args.join(' ')}\` loads neither Sequelize nor a driver nor command code`, async () => {
        const {result, packages, sources} = await traced(args)
        expect(result.code).to.equal(0)
        expect(packages.has('@oclif/core'), 'the recorder did not see oclif').to.equal(true)
        for (const name of DATABASE_PACKAGES) expect(packages.has(name), `${name} was loaded`).to.equal(false)
        expect(ownCode(sources).filter((source) => !STARTUP_CODE.includes(source))).to.deep.equal([])
      })
    }
  })

  it('the same check sees Sequelize and the drivers when a command needs them', async () => {
    const {result, packages, files, sources} = await traced(['db', 'status'])
    expect(result.code, result.stderr).to.equal(0)
    expect(packages.has('sequelize')).to.equal(true)
    expect(packages.has('sqlite3')).to.equal(true)
    expect(files).to.include(path.join(root, 'dist', 'commands', 'db', 'status.js'))
    expect(ownCode(sources)).to.include('commands/db/status.ts')
  })

  // What a command does not use, it does not load: GraphQL serves `serve`, umzug changes the
  // schema, prompts ask on a terminal, bcrypt hashes and compares passwords.
  for (const [args, unused] of [
    [['db', 'status'], ['umzug', 'graphql', 'graphql-yoga', '@inquirer/prompts', 'bcrypt', 'mysql2', '@faker-js/faker']],
    [['users', 'list'], ['umzug', 'graphql', 'graphql-yoga', '@inquirer/prompts', 'bcrypt', 'mysql2', '@faker-js/faker']],
  ] as const) {
    it(`\`${args.join(' ')}\` loads none of ${unused.join(', ')}`, async () => {
      const env = isolatedEnv()
      const migrated = await runCli(['db', 'migrate'], {env})
      expect(migrated.code, migrated.stderr).to.equal(0)
      const {result, packages} = await traced([...args], env)
      expect(result.code, result.stderr).to.equal(0)
      expect(packages.has('sequelize'), 'the recorder did not see Sequelize').to.equal(true)
      expect(unused.filter((name) => packages.has(name))).to.deep.equal([])
    })
  }

  it('under STAYCTL_DEBUG, the stack trace of an unexpected error names the TypeScript sources (the bundle is minified)', async () => {
    const env = isolatedEnv({STAYCTL_DEBUG: '1'})
    const file = path.join(env.HOME!, 'taken.sqlite')
    // A users table that the first migration cannot create: db migrate fails, exit 1.
    const {default: sqlite3} = await import('sqlite3')
    await new Promise<void>((resolve, reject) => {
      const db = new sqlite3.Database(file)
      db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY)', (error) => db.close(() => (error ? reject(error) : resolve())))
    })
    const result = await runCli(['db', 'migrate', '--database-url', `sqlite:${file}`], {env})
    expect(result.code, result.stderr).to.equal(1)
    expect(result.stderr).to.match(/^\s+at .*src\/[\w/.-]+\.ts:\d+:\d+\)?$/m)
  })

  describe('the manifest', () => {
    const manifestPath = path.join(root, 'oclif.manifest.json')

    it('exists (written by `npm run build`) and holds every command', () => {
      expect(fs.existsSync(manifestPath), 'run `npm run build` first').to.equal(true)
      const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as {version: string; commands: object}
      expect(manifest.version).to.equal(pkg.version)
      const compiled = fs
        .readdirSync(path.join(root, 'dist', 'commands'), {recursive: true})
        .map(String)
        .filter((file) => file.endsWith('.js'))
        .map((file) => file.replace(/\.js$/, '').split(path.sep).join(':'))
      expect(Object.keys(manifest.commands).sort()).to.deep.equal(compiled.sort())
    })

    it('every command of ours has a description, examples and --json (the others are the oclif plugins\' we bundle)', () => {
      const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as {
        commands: Record<string, {summary?: string; description?: string; examples?: unknown[]; flags: Record<string, unknown>; relativePath: string[]}>
      }
      const ids = Object.keys(manifest.commands)
      expect(ids).to.include('db:status')
      const ours = Object.entries(manifest.commands).filter(([, command]) => isOwnCommand(command))
      expect(ids.filter((id) => !isOwnCommand(manifest.commands[id])).sort()).to.deep.equal(['autocomplete', 'autocomplete:create', 'autocomplete:script', 'help'])
      for (const [id, command] of ours) {
        expect(command.summary ?? command.description, `${id} has no summary`).to.be.a('string').and.not.equal('')
        expect(command.description, `${id} has no description`).to.be.a('string').and.not.equal('')
        expect(command.examples, `${id} has no examples`).to.be.an('array').that.is.not.empty
        expect(command.flags, `${id} has no --json`).to.have.property('json')
      }
    })
  })
})
