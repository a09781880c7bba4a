/**
 * The one settings lookup: flag, then environment, then the selected profile of the config
 * file, then the config file's top level, then the default. Every value comes back with where
 * it came from, so errors can name the setting to fix.
 *
 * Profiles are named sets of settings in the config file, selected with `--profile NAME` or
 * STAYCTL_PROFILE:
 *   {"apiUrl": "…", "profiles": {"staging": {"apiUrl": "https://…/graphql", "databaseUrl": "…"}}}
 * A profile that the config file does not hold is a usage error.
 */
import fs from 'node:fs'

import {UsageError} from '../errors.js'
import {maskUrl, parseDatabaseUrl, type DatabaseTarget} from './database-url.js'
import {configFilePath, defaultSqlitePath} from './paths.js'

export interface SettingSpec {
  /** Key in the config file. */
  key: string
  /** The flag that sets it, as typed. */
  flag?: string
  /** Environment variables, most specific first. */
  env: string[]
  default: (env: NodeJS.ProcessEnv) => string | undefined
  description: string
  /** Checks a value before `config set` stores it; returns it as stored, or throws UsageError. */
  check?: (value: string) => string
}

function checkInt(name: string, min: number, max: number) {
  return (value: string) => {
    const n = Number(value.trim())
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} must be an integer from ${min} to ${max}, got "${value}"`)
    return String(n)
  }
}

/** An http(s) URL of a stayctl server's GraphQL endpoint, as given (trimmed). */
/**
 * What users type for a server, as its URL (as gh takes a bare host): without a scheme,
 * http:// for this machine (localhost, 127.x, [::1], 0.0.0.0) and https:// elsewhere; without a path,
 * the server's endpoint /graphql. `localhost:4517` → `http://localhost:4517/graphql`.
 */
export function normaliseApiUrl(text: string): string {
  if (text === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return addEndpoint(text)
  const host = text.replace(/[/?#].*$/, '').replace(/:\d+$/, '')
  return addEndpoint(`${isLocalHost(host) ? 'http' : 'https'}://${text}`)
}

/**
 * This machine, as a URL's hostname writes it: a loopback name or address (localhost,
 * 127.0.0.0/8, [::1]), or the unspecified address (0.0.0.0, [::]), which a client connecting
 * to it reaches this machine by (`serve --host 0.0.0.0` prints it).
 */
export function isLocalHost(host: string): boolean {
  return /^(localhost|127(\.\d{1,3}){3}|\[::1\]|0\.0\.0\.0|\[::\])$/i.test(host)
}

/** Whether requests to the (checked) API URL cross the network unencrypted: http:// to another machine than this one. */
export function sendsInClear(apiUrl: string): boolean {
  const url = new URL(apiUrl)
  return url.protocol === 'http:' && !isLocalHost(url.hostname)
}

function addEndpoint(text: string): string {
  try {
    const url = new URL(text)
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.pathname === '/' && !/\/$/.test(text.replace(/[?#].*$/, ''))) {
      url.pathname = '/graphql'
      return url.toString()
    }
  } catch {
    // checkApiUrl says what is wrong with it
  }
  return text
}

export function checkApiUrl(value: string, hint = '--api / STAYCTL_API_URL'): string {
  const text = normaliseApiUrl(value.trim())
  let url: URL | undefined
  try {
    url = new URL(text)
  } catch {
    url = undefined
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new UsageError(`invalid API URL "${maskUrl(text)}": give the http(s) URL of a stayctl server's GraphQL endpoint`, {
      suggestion: `set ${hint} to e.g. https://admin.example.com/graphql`,
    })
  }
  return text
}

export const SETTINGS = {
  databaseUrl: {
    key: 'databaseUrl',
    flag: '--database-url',
    env: ['STAYCTL_DATABASE_URL', 'DATABASE_URL'],
    default: (env) => `sqlite:${defaultSqlitePath(env)}`,
    description: 'mysql://user:pass@host:port/db or sqlite:<path>',
    check: (value) => {
      parseDatabaseUrl(value, 'databaseUrl')
      return value.trim()
    },
  },
  bcryptCost: {
    key: 'bcryptCost',
    flag: '--bcrypt-cost',
    env: ['STAYCTL_BCRYPT_COST'],
    default: () => '12',
    description: 'bcrypt cost factor for new password hashes (4–31)',
    check: checkInt('bcryptCost', 4, 31),
  },
  apiUrl: {
    key: 'apiUrl',
    flag: '--api',
    env: ['STAYCTL_API_URL'],
    default: () => undefined,
    description: 'GraphQL endpoint of a stayctl server to run commands against (unset: run locally)',
    check: (value) => checkApiUrl(value, 'apiUrl'),
  },
  readReplicaUrls: {
    key: 'readReplicaUrls',
    flag: '--read-replica-url',
    env: ['STAYCTL_READ_REPLICA_URLS'],
    default: () => undefined,
    description: 'read replicas of a MySQL/MariaDB database, comma-separated mysql:// URLs (reads that are not part of a write go there)',
    check: (value) => {
      parseReplicaUrls(value, 'readReplicaUrls')
      return value.trim()
    },
  },
  maxReplicaLag: {
    key: 'maxReplicaLag',
    flag: '--max-replica-lag',
    env: ['STAYCTL_MAX_REPLICA_LAG'],
    default: () => '5',
    description: 'seconds a read replica may lag behind the primary before reads skip it (1–3600)',
    check: checkInt('maxReplicaLag', 1, 3600),
  },
  replicaConsistency: {
    key: 'replicaConsistency',
    env: ['STAYCTL_REPLICA_CONSISTENCY'],
    default: () => 'bounded',
    description:
      'how fresh replica reads are: bounded (a replica within maxReplicaLag; a command reads what was committed before it started) or causal (each request of serve also waits until the replicas have what the primary had committed)',
    check: (value) => checkReplicaConsistency(value),
  },
} satisfies Record<string, SettingSpec>

export type SettingName = keyof typeof SETTINGS

const loose = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '')

/** The setting a key names: its config key (apiUrl), or its flag (api, database-url), in any case. */
export function settingOf(key: string): SettingName {
  const wanted = loose(key)
  for (const [name, spec] of Object.entries(SETTINGS) as [SettingName, SettingSpec][]) {
    if (loose(spec.key) === wanted || (spec.flag && loose(spec.flag) === wanted)) return name
  }
  throw new UsageError(`unknown setting "${key}"; settings: ${Object.values(SETTINGS).map((s) => s.key).join(', ')}`, {
    suggestion: 'see them with `stayctl config list`',
  })
}

/**
 * The read replica URLs of a setting: comma-separated (a config file may hold a JSON array,
 * which reads back the same way), each a mysql:// URL, or a usage error naming the setting.
 */
export function parseReplicaUrls(value: string | undefined, hint = 'readReplicaUrls'): Extract<DatabaseTarget, {dialect: 'mysql'}>[] {
  const urls = (value ?? '').split(',').map((url) => url.trim()).filter((url) => url !== '')
  return urls.map((url) => {
    const target = parseDatabaseUrl(url, hint)
    if (target.dialect !== 'mysql') {
      throw new UsageError(`read replica "${target.display}" is not a MySQL/MariaDB URL; only mysql:// databases have replicas`, {suggestion: `fix ${hint}`})
    }
    return target as Extract<DatabaseTarget, {dialect: 'mysql'}>
  })
}

export interface ResolvedSetting {
  value: string | undefined
  /** 'flag --database-url', 'env DATABASE_URL', 'config file /…/config.json' or 'default'. */
  source: string
  /** How a user changes it, for error messages. */
  hint: string
  /** The config file it was read from (top level or a profile), when it came from one. */
  file?: string
}

export type ConfigFile = Record<string, unknown> & {profiles?: Record<string, Record<string, unknown>>}

const configCache = new Map<string, ConfigFile>()

/** Parses the text of a config file, or throws a usage error naming the file. */
export function parseConfigText(text: string, file: string): ConfigFile {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new UsageError(`config file ${file} is not valid JSON: ${(error as Error).message}`, {suggestion: 'fix or delete the file'})
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`config file ${file} must hold a JSON object`, {suggestion: 'fix or delete the file'})
  }
  const profiles = (value as ConfigFile).profiles
  const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v)
  if (profiles !== undefined && (!isObject(profiles) || !Object.values(profiles).every(isObject))) {
    throw new UsageError(`config file ${file}: "profiles" must map each profile name to an object of settings`, {
      suggestion: 'fix the file, e.g. {"profiles": {"staging": {"apiUrl": "https://…/graphql"}}}',
    })
  }
  return value as ConfigFile
}

/** Reads (once per path) the JSON config file; a missing file is an empty config. */
export function readConfigFile(file = configFilePath()): ConfigFile {
  const cached = configCache.get(file)
  if (cached) return cached
  let parsed: ConfigFile = {}
  let text: string | undefined
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new UsageError(`cannot read config file ${file}: ${(error as Error).message}`, {suggestion: 'fix its permissions or delete it'})
    }
  }
  if (text !== undefined) parsed = parseConfigText(text, file)
  configCache.set(file, parsed)
  return parsed
}

export function clearConfigCache(): void {
  configCache.clear()
}

export function settingHint(spec: SettingSpec, env: NodeJS.ProcessEnv = process.env): string {
  return [spec.flag, ...spec.env].filter(Boolean).join(' / ') + ` (or "${spec.key}" in ${configFilePath(env)})`
}

// ---------------------------------------------------------------------------------------------
// Profiles

/** Profile names: letters, digits, ".", "_" and "-", starting with a letter or digit. */
export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export function checkProfileName(name: string): string {
  if (!PROFILE_NAME.test(name)) {
    throw new UsageError(`invalid profile name "${name}": use letters, digits, ".", "_" and "-" (at most 64)`)
  }
  return name
}

let profileFlag: string | undefined

/**
 * The profile named by the --profile flag of this run (the base command calls this once,
 * after parsing). STAYCTL_PROFILE is read at each lookup; the flag wins over it.
 */
export function selectProfile(name: string | undefined): void {
  profileFlag = name === '' ? undefined : name
}

export interface ResolveOptions {
  /** The --profile flag's value; default: what selectProfile() was given. */
  profile?: string
}

export interface ProfileChoice {
  name: string
  /** 'flag --profile' or 'env STAYCTL_PROFILE'. */
  source: string
}

/** The profile in use: the --profile flag, else STAYCTL_PROFILE, else none. */
export function activeProfile(env: NodeJS.ProcessEnv = process.env, options: ResolveOptions = {}): ProfileChoice | undefined {
  const flag = 'profile' in options ? options.profile : profileFlag
  if (flag !== undefined && flag !== '') return {name: flag, source: 'flag --profile'}
  const fromEnv = env.STAYCTL_PROFILE
  if (fromEnv !== undefined && fromEnv !== '') return {name: fromEnv, source: 'env STAYCTL_PROFILE'}
  return undefined
}

/** The settings of the chosen profile; a usage error when the config file has no such profile. */
export function profileSettings(choice: ProfileChoice, file: string, config = readConfigFile(file)): Record<string, unknown> {
  const profiles = config.profiles ?? {}
  if (!Object.hasOwn(profiles, choice.name)) {
    const names = Object.keys(profiles)
    throw new UsageError(
      `no profile "${choice.name}" (from ${choice.source}) in ${file}; ${names.length > 0 ? `its profiles: ${names.join(', ')}` : 'it has no profiles'}`,
      {suggestion: `create it with \`stayctl config set apiUrl URL --profile ${choice.name}\`, or pick another profile`},
    )
  }
  return profiles[choice.name]
}

const present = (value: unknown) => value !== undefined && value !== null && value !== ''

export function resolveSetting(
  name: SettingName,
  flagValue?: string,
  env: NodeJS.ProcessEnv = process.env,
  options: ResolveOptions = {},
): ResolvedSetting {
  const spec: SettingSpec = SETTINGS[name]
  const hint = settingHint(spec, env)
  if (flagValue !== undefined && flagValue !== '') return {value: flagValue, source: `flag ${spec.flag}`, hint}
  for (const variable of spec.env) {
    const value = env[variable]
    if (value !== undefined && value !== '') return {value, source: `env ${variable}`, hint}
  }
  const file = configFilePath(env)
  const config = readConfigFile(file)
  const profile = activeProfile(env, options)
  if (profile) {
    const fromProfile = profileSettings(profile, file, config)[spec.key]
    if (present(fromProfile)) return {value: String(fromProfile), source: `profile ${profile.name} in ${file}`, hint, file}
  }
  const fromFile = config[spec.key]
  if (present(fromFile)) return {value: String(fromFile), source: `config file ${file}`, hint, file}
  return {value: spec.default(env), source: 'default', hint}
}

/**
 * The API URL for a command that only makes sense against a server (login, logout, api):
 * checked, or a usage error saying how to give one.
 */
export function requireApiUrl(flagValue: string | undefined, command: string, env: NodeJS.ProcessEnv = process.env): string {
  const setting = resolveSetting('apiUrl', flagValue, env)
  if (setting.value === undefined) {
    throw new UsageError(`${command} talks to a stayctl server, and no API URL is set`, {
      suggestion: 'pass --api URL, set STAYCTL_API_URL, or store one with `stayctl config set apiUrl URL [--profile NAME]`',
    })
  }
  return checkApiUrl(setting.value, `${setting.hint}; it came from ${setting.source}`)
}

/** An integer setting within bounds, or a usage error naming the setting. */
export function resolveIntSetting(
  name: SettingName,
  flagValue: string | number | undefined,
  bounds: {min: number; max: number},
  env: NodeJS.ProcessEnv = process.env,
): number {
  const resolved = resolveSetting(name, flagValue === undefined ? undefined : String(flagValue), env)
  const value = Number(resolved.value)
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw new UsageError(
      `${name} must be an integer from ${bounds.min} to ${bounds.max}, got "${resolved.value}" (from ${resolved.source})`,
      {suggestion: `set ${resolved.hint}`},
    )
  }
  return value
}

/** A replicaConsistency value, checked: bounded or causal (from: where it came from, for the error). */
function checkReplicaConsistency(value: string | undefined, from?: ResolvedSetting): 'bounded' | 'causal' {
  const v = value?.trim()
  if (v === 'bounded' || v === 'causal') return v
  const origin = from ? ` (from ${from.source})` : ''
  throw new UsageError(`replicaConsistency must be bounded or causal, got "${value}"${origin}`, from ? {suggestion: `set ${from.hint}`} : {})
}

/** replicaConsistency as resolved (flag-less: environment, config file, default), checked. */
export function replicaConsistencySetting(env: NodeJS.ProcessEnv = process.env): 'bounded' | 'causal' {
  const resolved = resolveSetting('replicaConsistency', undefined, env)
  return checkReplicaConsistency(resolved.value, resolved)
}
