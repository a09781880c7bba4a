/**
 * The base of every command: `--json`, the global flags, the database handle, and the one
 * place where errors become a single line on stderr (or a JSON error) and an exit code.
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'

import {Command, Config, Errors, type Interfaces} from '@oclif/core'

import {maskUrl, parseDatabaseUrl, type DatabaseTarget} from '../config/database-url.js'
import {checkApiUrl, parseReplicaUrls, replicaConsistencySetting, resolveIntSetting, resolveSetting, selectProfile, type ResolvedSetting} from '../config/settings.js'
import type {Backend} from '../backend.js'
import type {OpenOptions} from '../db/connection.js'
import type {Db} from '../db/index.js'
import {ERROR_CATALOGUE, UnavailableError, UsageError, isStayctlError, type ErrorKind} from '../errors.js'
import type {ClientOptions, RemoteClient} from '../remote/client.js'
import {checkTexts} from '../services/text.js'
import * as flags from './flags.js'
import {errorLine, jsonError} from './error-report.js'
import {clearTextApiWarning, exposedConfigWarning, typedUrlWarnings, warnOnStderr} from './secret-warnings.js'
import {colorEnabled, terminalText} from './terminal.js'
import {swallowedFlagError, usageErrorOf} from './usage-errors.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * A page longer than the terminal goes through a pager, as gh and git do: $STAYCTL_PAGER, else
 * $PAGER, else `less -FRX` (which prints and quits when it fits). Never off a terminal, and
 * not when the pager is set to "" or "cat". Our text is UTF-8 (box drawing): less is told so unless
 * LESSCHARSET says otherwise. Returns whether it was shown.
 */
function showInPager(text: string): boolean {
  if (!process.stdout.isTTY || !process.stdin.isTTY) return false
  const lines = text.split('\n').length
  if (lines < (process.stdout.rows || 24)) return false
  const pager = (process.env.STAYCTL_PAGER ?? process.env.PAGER ?? 'less -FRX').trim()
  if (pager === '' || pager === 'cat') return false
  const result = spawnSync(pager, {input: `${terminalText(text)}\n`, stdio: ['pipe', 'inherit', 'inherit'], shell: true, env: {LESS: 'FRX', LESSCHARSET: 'utf-8', ...process.env}})
  return result.status === 0 && !result.error
}

const sqliteFileExists = (storage: string) => storage === ':memory:' || fs.existsSync(storage)

/** A SQLite file a command reads must be there: a typo in the path would otherwise create an empty database. */
function missingSqliteFile(storage: string, settingHint: string): UnavailableError {
  return new UnavailableError(`no database at sqlite:${storage} (the file does not exist)`, {
    suggestion: `create it with \`stayctl db migrate\`, or check ${settingHint}`,
  })
}

/**
 * The command's arguments, none of them read from stdin. oclif takes piped text as a missing
 * argument when it arrives within 10 ms: a password piped to `users set-password
 * --password-stdin` with USER left out became the user's name and was printed in "no user …";
 * `cat users.csv | stayctl import users` took the file's text as its path. Commands read stdin
 * themselves, where they say so: FILE `-`, --password-stdin, --value-stdin.
 */
function withoutStdin(args: typeof Command.args): typeof Command.args {
  return Object.fromEntries(Object.entries(args ?? {}).map(([name, arg]) => [name, {...arg, ignoreStdin: true}]))
}

export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    'database-url': flags.databaseUrl,
    'read-replica-url': flags.readReplicaUrl,
    'max-replica-lag': flags.maxReplicaLag,
    api: flags.api,
    profile: flags.profile,
    timeout: flags.timeout,
  }

  /** Whether the command may create a SQLite file that is not there (db migrate, db reset); others refuse to. */
  static createsDatabase = false

  protected flags!: BaseFlags<T>
  protected args!: BaseArgs<T>
  private openedDb?: Db
  private warnedClearText = false

  /**
   * Runs the command with the config oclif's runner hands over. oclif's own Command.run loads
   * that config again (a copy, for plugins built on another oclif than the runner's); ours run
   * on the runner's oclif, so the copy would only cost a second load at every start.
   */
  public static override async run<C extends Command>(
    this: new (argv: string[], config: Config) => C,
    argv: string[] = process.argv.slice(2),
    opts?: Interfaces.LoadOptions,
  ): Promise<ReturnType<C['run']>> {
    if (!(opts instanceof Config)) return super.run.call(this, argv, opts) as Promise<ReturnType<C['run']>>
    const command = new this(argv, opts) as C & {_run(): Promise<ReturnType<C['run']>>}
    return command._run()
  }

  public override async init(): Promise<void> {
    await super.init()
    const {baseFlags} = this.ctor as typeof BaseCommand
    // `--email --pasword=x`: a flag's value is not the next flag, as oclif would have it.
    const swallowed = swallowedFlagError(this.argv, {...baseFlags, ...this.ctor.flags})
    if (swallowed) throw swallowed
    const {args, flags} = await this.parse({
      flags: this.ctor.flags,
      baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: withoutStdin(this.ctor.args),
      strict: this.ctor.strict,
    }).catch((error: unknown) => {
      throw usageErrorOf(error, `${this.config.bin} ${(this.id ?? '').replace(/:/g, ' ')}`)
    })
    // Where text enters from the command line: no flag or argument carries a NUL or a lone surrogate (exit 3).
    for (const [name, value] of Object.entries(flags)) checkTexts(value, `--${name}`)
    for (const [name, value] of Object.entries(args)) checkTexts(value, name.toUpperCase())
    this.flags = flags as BaseFlags<T>
    this.args = args as BaseArgs<T>
    for (const warning of typedUrlWarnings(flags)) await warnOnStderr(warning)
    // Every setting lookup of this run (database, API URL, bcrypt cost…) reads the chosen profile.
    selectProfile(this.flags.profile)
  }

  /** The API URL setting (--api, STAYCTL_API_URL, config file); its value is undefined for local runs. */
  protected apiSetting(): ResolvedSetting {
    return resolveSetting('apiUrl', this.flags.api)
  }

  /** The database setting, with where it came from (flag, env, config file, default). */
  protected databaseSetting(): ResolvedSetting {
    const api = this.apiSetting()
    if (api.value !== undefined) {
      throw new UsageError(`\`${this.config.bin} ${this.id?.replace(/:/g, ' ')}\` needs the database itself and cannot run against a server (API URL from ${api.source})`, {
        suggestion: 'run it where the database is, without --api, STAYCTL_API_URL or an apiUrl in the config',
      })
    }
    return resolveSetting('databaseUrl', this.flags['database-url'])
  }

  /** The server's URL, checked: undefined for local runs. */
  protected apiUrl(): string | undefined {
    const setting = this.apiSetting()
    return setting.value === undefined ? undefined : checkApiUrl(setting.value, setting.hint)
  }

  /** A client of the server named by the API URL (with the token for it), or undefined for local runs. */
  protected async remoteClient(): Promise<RemoteClient | undefined> {
    const url = this.apiUrl()
    if (url === undefined) return undefined
    const {tokenFor} = await import('../config/credentials.js')
    return this.connect(url, {token: tokenFor(url)})
  }

  /**
   * A client of the server at `url` (checked), with the --timeout of this run. Warns once per run,
   * on stderr, when its requests would cross the network unencrypted (http:// to another machine).
   */
  protected async connect(url: string, options: Omit<ClientOptions, 'url' | 'timeoutMs'> = {}): Promise<RemoteClient> {
    const warning = clearTextApiWarning(url)
    if (warning !== undefined && !this.warnedClearText) {
      this.warnedClearText = true
      await warnOnStderr(warning)
    }
    const {createClient} = await import('../remote/client.js')
    return createClient({...options, url, timeoutMs: this.flags.timeout * 1000})
  }

  protected databaseTarget(): DatabaseTarget {
    const setting = this.databaseSetting()
    return parseDatabaseUrl(setting.value!, setting.hint)
  }

  /**
   * Opens the configured database once per command run (with `options` the first time); closed when the command ends.
   * A SQLite file that is not there is refused, unless the command creates databases; `ifMissing: 'empty'` reads
   * it as an empty database in memory instead (db status: everything pending), still creating nothing.
   * With `replicas`, the read replicas configured (--read-replica-url…) take the reads that are not part of a write.
   */
  protected async db(
    options: Pick<OpenOptions, 'queryTimeoutMs'> & {ifMissing?: 'empty'; replicas?: boolean; warn?: (line: string) => void} = {},
  ): Promise<Db> {
    if (!this.openedDb) {
      const setting = this.databaseSetting()
      let target = parseDatabaseUrl(setting.value!, setting.hint)
      if (target.dialect === 'sqlite' && !(this.ctor as typeof BaseCommand).createsDatabase && !sqliteFileExists(target.storage)) {
        if (options.ifMissing !== 'empty') throw missingSqliteFile(target.storage, setting.hint)
        target = {...target, storage: ':memory:'}
      }
      const replicaSetting = options.replicas ? this.replicaSetting() : undefined
      // A password read from a config file that others can read (the database's, a replica's): once each.
      for (const exposed of new Set([setting, replicaSetting].map((s) => s && exposedConfigWarning(s)))) if (exposed !== undefined) await warnOnStderr(exposed)
      const replicas = replicaSetting ? this.replicaTargets(target, replicaSetting) : []
      const maxReplicaLagSeconds = replicas.length > 0 ? resolveIntSetting('maxReplicaLag', this.flags['max-replica-lag'], {min: 1, max: 3600}) : undefined
      const replicaConsistency = replicas.length > 0 ? replicaConsistencySetting() : undefined
      const {openDb} = await import('../db/index.js')
      const logSql = process.env.STAYCTL_LOG_SQL ? (sql: string) => process.stderr.write(`${sql}\n`) : undefined
      // On stderr also under --json: a replica skipped is worth one line wherever the output goes.
      const warn = options.warn ?? ((line: string) => process.stderr.write(terminalText(`${line}\n`, colorEnabled(process.stderr))))
      this.openedDb = await openDb(target, {queryTimeoutMs: options.queryTimeoutMs, logSql, settingHint: setting.hint, readReplicas: replicas, maxReplicaLagSeconds, replicaConsistency, warn})
    }
    return this.openedDb
  }

  /** The read replicas setting (flag, env, config file). */
  private replicaSetting(): ResolvedSetting {
    const flag = this.flags['read-replica-url']
    return resolveSetting('readReplicaUrls', flag && flag.length > 0 ? flag.join(',') : undefined)
  }

  /** The read replicas configured: mysql:// only, and only for a MySQL primary. */
  private replicaTargets(primary: DatabaseTarget, setting: ResolvedSetting) {
    const replicas = parseReplicaUrls(setting.value, `${setting.hint}; it came from ${setting.source}`)
    if (replicas.length > 0 && primary.dialect !== 'mysql') {
      throw new UsageError(`read replicas (from ${setting.source}) need a MySQL/MariaDB database, and ${primary.display} is SQLite`, {
        suggestion: `unset ${setting.hint}, or use a mysql:// database URL`,
      })
    }
    return replicas
  }

  /**
   * The operations: against the server when an API URL is set (as the token's user), else
   * locally against the configured database as the OS user.
   */
  protected async backend(): Promise<Backend> {
    const client = await this.remoteClient()
    if (client) {
      const {remoteBackend} = await import('../remote/backend.js')
      return remoteBackend(client)
    }
    // The services load while the database connection is being opened (it waits on the server).
    const [db, {localBackend}, {localOperator}] = await Promise.all([this.db({replicas: true}), import('../backend.js'), import('../services/context.js')])
    const bcryptCost = resolveIntSetting('bcryptCost', undefined, {min: 4, max: 31})
    return localBackend({db, actor: localOperator(), via: 'cli', bcryptCost})
  }

  /** Human output on stdout, as oclif prints it, with the control characters of data taken out (render.ts). */
  public override log(message = '', ...args: unknown[]): void {
    super.log(terminalText(message), ...args)
  }

  /** Human output on stderr, as log. */
  public override logToStderr(message = '', ...args: unknown[]): void {
    super.logToStderr(terminalText(message, colorEnabled(process.stderr)), ...args)
  }

  /** Prints a page of a list command (table or CSV) and the next-page hint. */
  protected printPage(rendered: {stdout: string; stderr?: string}): void {
    if (rendered.stderr) this.logToStderr(rendered.stderr)
    if (!showInPager(rendered.stdout)) this.log(rendered.stdout)
  }

  /** Progress and notes for people: stderr, and silent under --json. */
  protected note(message: string): void {
    this.logToStderr(message)
  }

  /** Notes on stderr when the schema lock is busy, or taken over from a runner that died. */
  protected lockNotes() {
    return {
      onLockWait: (holder: string) => this.note(`Waiting for the schema lock (held by ${holder})…`),
      onLockTakeover: (holder: string, how: 'expired' | 'gone') =>
        this.note(
          `Took the schema lock over from ${holder} (${how === 'gone' ? 'its connection is gone' : 'it stopped renewing it'}); resuming its work.`,
        ),
    }
  }

  protected override async finally(error: Error | undefined): Promise<void> {
    await this.openedDb?.close().catch(() => {})
    await super.finally(error)
  }

  protected override async catch(thrown: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    // `this.exit()` (db status --check, import with rejections) comes after the command printed its result, also under
    // --json: leave quietly, without a second (error) document on stdout.
    if (thrown instanceof Errors.ExitError) throw thrown
    // Ctrl-C at a prompt (@inquirer's ExitPromptError): nothing was done; leave as a shell does after SIGINT, quietly.
    if (thrown.name === 'ExitPromptError') {
      process.stderr.write('\n')
      process.exitCode = 130
      return this.exit(130)
    }
    // The database went away or stopped answering while the command ran: exit 7, as when it cannot be reached at all.
    let error = thrown
    if (this.openedDb && !isStayctlError(error)) {
      const {isConnectionLoss, translateConnectionError, translateMissingTable} = await import('../db/connection.js')
      const {lockWaitConflict} = await import('../db/lock-wait.js')
      if (isConnectionLoss(error)) error = translateConnectionError(error, this.openedDb.target) as typeof thrown
      // A write outside a transaction (inTransaction says this itself) that waited out another writer.
      else error = (lockWaitConflict(error) ?? translateMissingTable(error, this.openedDb.target)) as typeof thrown
    }
    // oclif's own errors (parse errors) keep their handling and exit codes.
    if (!isStayctlError(error) && error.oclif?.exit !== undefined) {
      return super.catch(error)
    }
    const kind: ErrorKind = isStayctlError(error) ? error.kind : 'INTERNAL'
    const exitCode = ERROR_CATALOGUE[kind].exit
    const message = maskUrl(error.message || String(error))
    const suggestion = isStayctlError(error) && error.suggestion ? maskUrl(error.suggestion) : undefined
    if (this.jsonEnabled()) {
      this.logJson(jsonError(kind, message, exitCode, suggestion, isStayctlError(error) ? error.details : undefined))
    } else {
      const hint =
        suggestion ?? (kind === 'INTERNAL' && !process.env.STAYCTL_DEBUG ? 'set STAYCTL_DEBUG=1 to see where it failed' : undefined)
      process.stderr.write(errorLine(message, hint))
      if (kind === 'INTERNAL' && process.env.STAYCTL_DEBUG) process.stderr.write(terminalText(`${maskUrl(error.stack ?? '')}\n`, false))
    }
    process.exitCode = exitCode
    return this.exit(exitCode)
  }
}
