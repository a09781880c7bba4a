/**
 * The one settings lookup: flag, then environment, then the config file, then the default.
 * Every value comes back with where it came from, so errors can name the setting to fix.
 */
import fs from 'node:fs'

import {UsageError} from '../errors.js'
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
}

export const SETTINGS = {
  databaseUrl: {
    key: 'databaseUrl',
    flag: '--database-url',
    env: ['STAYCTL_DATABASE_URL', 'DATABASE_URL'],
    default: (env) => `sqlite:${defaultSqlitePath(env)}`,
    description: 'mysql://user:pass@host:port/db or sqlite:<path>',
  },
  apiUrl: {
    key: 'apiUrl',
    flag: '--api',
    env: ['STAYCTL_API_URL'],
    default: () => undefined,
    description: 'GraphQL endpoint of a stayctl server to run commands against (unset: run locally)',
  },
  bcryptCost: {
    key: 'bcryptCost',
    flag: '--bcrypt-cost',
    env: ['STAYCTL_BCRYPT_COST'],
    default: () => '12',
    description: 'bcrypt cost factor for new password hashes (4–31)',
  },
} satisfies Record<string, SettingSpec>

export type SettingName = keyof typeof SETTINGS

export interface ResolvedSetting {
  value: string | undefined
  /** 'flag --database-url', 'env DATABASE_URL', 'config file /…/config.json' or 'default'. */
  source: string
  /** How a user changes it, for error messages. */
  hint: string
}

export type ConfigFile = Record<string, unknown>

const configCache = new Map<string, ConfigFile>()

/** Reads (once per path) the JSON config file; a missing file is an empty config. */
export function readConfigFile(file = configFilePath()): ConfigFile {
  const cached = configCache.get(file)
  if (cached) return cached
  let parsed: ConfigFile = {}
  try {
    const text = fs.readFileSync(file, 'utf8')
    const value: unknown = JSON.parse(text)
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new UsageError(`config file ${file} must hold a JSON object`, {suggestion: 'fix or delete the file'})
    }
    parsed = value as ConfigFile
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (error instanceof UsageError) throw error
      throw new UsageError(`config file ${file} is not valid JSON: ${(error as Error).message}`, {
        suggestion: 'fix or delete the file',
      })
    }
  }
  configCache.set(file, parsed)
  return parsed
}

export function clearConfigCache(): void {
  configCache.clear()
}

export function settingHint(spec: SettingSpec, env: NodeJS.ProcessEnv = process.env): string {
  return [spec.flag, ...spec.env].filter(Boolean).join(' / ') + ` (or "${spec.key}" in ${configFilePath(env)})`
}

export function resolveSetting(
  name: SettingName,
  flagValue?: string,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedSetting {
  const spec: SettingSpec = SETTINGS[name]
  const hint = settingHint(spec, env)
  if (flagValue !== undefined && flagValue !== '') return {value: flagValue, source: `flag ${spec.flag}`, hint}
  for (const variable of spec.env) {
    const value = env[variable]
    if (value !== undefined && value !== '') return {value, source: `env ${variable}`, hint}
  }
  const file = configFilePath(env)
  const fromFile = readConfigFile(file)[spec.key]
  if (fromFile !== undefined && fromFile !== null && fromFile !== '') {
    return {value: String(fromFile), source: `config file ${file}`, hint}
  }
  return {value: spec.default(env), source: 'default', hint}
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
