/**
 * Changing the config file (what `stayctl config set|unset` do): one setting at a time, at
 * its top level or in a profile, checked before it is stored, the file replaced atomically
 * under a lock (see files.ts). A new config file is readable by its owner only, since it may
 * hold a database password; an existing one keeps its mode, but loses the bits of group and
 * others when it holds a password.
 */
import fs from 'node:fs'

import {UsageError} from '../errors.js'
import {carriesPassword, maskUrl} from './database-url.js'
import {readTextIfExists, withFileLock, writeFileAtomic} from './files.js'
import {configFilePath} from './paths.js'
import {
  SETTINGS,
  activeProfile,
  checkProfileName,
  clearConfigCache,
  parseConfigText,
  readConfigFile,
  resolveSetting,
  settingOf,
  type ConfigFile,
  type SettingSpec,
} from './settings.js'

/** A value as shown to people: database passwords masked. */
export function shownValue(value: string | undefined): string | undefined {
  return value === undefined ? undefined : maskUrl(value)
}

/** Reads, changes and writes back the config file, under its lock. */
async function changeConfigFile<T>(file: string, change: (config: ConfigFile) => {result: T; changed: boolean}): Promise<T> {
  return withFileLock(file, () => {
    const text = readTextIfExists(file)
    const config = text === undefined ? {} : parseConfigText(text, file)
    const {result, changed} = change(config)
    if (changed) {
      const newText = JSON.stringify(config, null, 2) + '\n'
      const mode = text === undefined ? 0o600 : fs.statSync(file).mode & 0o777
      // A file that holds a password is for its owner only, also one that was readable by others until now.
      writeFileAtomic(file, newText, carriesPassword(newText) ? mode & 0o700 : mode)
      clearConfigCache()
    }
    return result
  })
}

export interface ConfigChange {
  file: string
  /** The profile changed; null for the top level. */
  profile: string | null
  key: string
  /** As stored (set) or as it was (unset), database passwords masked; null when there was none. */
  value: string | null
  /** unset: whether there was a value to remove. */
  changed: boolean
}

/** Stores a setting at the top level of the config file or in a profile (created when new). */
export async function setConfigValue(key: string, value: string, options: {profile?: string; env?: NodeJS.ProcessEnv} = {}): Promise<ConfigChange> {
  const name = settingOf(key)
  const spec: SettingSpec = SETTINGS[name]
  const stored = spec.check ? spec.check(value) : value
  if (stored.trim() === '') throw new UsageError(`${spec.key} cannot be empty`, {suggestion: `remove it with \`stayctl config unset ${spec.key}\``})
  const profile = options.profile === undefined ? undefined : checkProfileName(options.profile)
  const file = configFilePath(options.env)
  return changeConfigFile(file, (config) => {
    if (profile) {
      config.profiles ??= {}
      config.profiles[profile] ??= {}
      config.profiles[profile][spec.key] = stored
    } else {
      config[spec.key] = stored
    }
    return {result: {file, profile: profile ?? null, key: spec.key, value: shownValue(stored)!, changed: true}, changed: true}
  })
}

/** Removes a setting from the top level or a profile; a profile left empty is removed too. */
export async function unsetConfigValue(key: string, options: {profile?: string; env?: NodeJS.ProcessEnv} = {}): Promise<ConfigChange> {
  const spec: SettingSpec = SETTINGS[settingOf(key)]
  const file = configFilePath(options.env)
  const profile = options.profile
  return changeConfigFile(file, (config) => {
    const holder = profile === undefined ? config : config.profiles?.[profile]
    if (!holder) {
      const names = Object.keys(config.profiles ?? {})
      throw new UsageError(`no profile "${profile}" in ${file}; ${names.length > 0 ? `its profiles: ${names.join(', ')}` : 'it has no profiles'}`)
    }
    const had = Object.hasOwn(holder, spec.key)
    const previous = had && holder[spec.key] !== null && holder[spec.key] !== undefined ? shownValue(String(holder[spec.key]))! : null
    delete holder[spec.key]
    if (profile !== undefined && Object.keys(holder).length === 0) {
      delete config.profiles![profile]
      if (Object.keys(config.profiles!).length === 0) delete config.profiles
    }
    return {result: {file, profile: profile ?? null, key: spec.key, value: previous, changed: had}, changed: had}
  })
}

export interface SettingValue {
  key: string
  /** The value in effect, database passwords masked; null when unset. */
  value: string | null
  /** Where it comes from: a flag, a variable, a profile, the config file, or 'default'. */
  source: string
  description: string
}

/** The value in effect of one setting (for `config get`). */
export function effectiveSetting(key: string, env: NodeJS.ProcessEnv = process.env): SettingValue {
  const name = settingOf(key)
  const spec: SettingSpec = SETTINGS[name]
  const resolved = resolveSetting(name, undefined, env)
  return {key: spec.key, value: shownValue(resolved.value) ?? null, source: resolved.value === undefined ? 'unset' : resolved.source, description: spec.description}
}

export interface ConfigListing {
  file: string
  /** The profile in use (--profile or STAYCTL_PROFILE), null when none. */
  profile: string | null
  /** The profiles the config file holds. */
  profiles: string[]
  settings: SettingValue[]
}

/** Every setting with its value in effect and where it comes from (for `config list`). */
export function listConfig(env: NodeJS.ProcessEnv = process.env): ConfigListing {
  const file = configFilePath(env)
  const config = readConfigFile(file)
  return {
    file,
    profile: activeProfile(env)?.name ?? null,
    profiles: Object.keys(config.profiles ?? {}),
    settings: Object.keys(SETTINGS).map((key) => effectiveSetting(key, env)),
  }
}
