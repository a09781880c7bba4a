/**
 * Warnings for a secret that went where others can read it: typed on the command line (the
 * process list, the shell's history) or sent unencrypted to another machine. They go to
 * stderr, also under --json (whose document stays alone on stdout), and the command goes on:
 * the secret is out already, and whoever typed it should learn where, and how to keep it in.
 */
import fs from 'node:fs'

import {carriesPassword, maskUrl} from '../config/database-url.js'
import {SETTINGS, sendsInClear, settingOf, type ResolvedSetting, type SettingName, type SettingSpec} from '../config/settings.js'
import {colorEnabled, terminalText} from './terminal.js'

/** Writes `text` as one line on stderr, in the warning colour on a terminal. */
export async function warnOnStderr(text: string): Promise<void> {
  const {color} = await import('./render.js')
  process.stderr.write(terminalText(`${color.warn(text)}\n`, colorEnabled(process.stderr)))
}

/** The warning for a secret typed on the command line: `given` is how (`--admin-password`), `instead` how to keep it off. */
export function typedSecretWarning(given: string, what: string, instead: string): string {
  return `Warning: ${given} put ${what} in the process list, where other users of this machine see it, and in your shell's history; ${instead}`
}

/** The global flags that take database URLs, and the setting each one sets. */
const URL_FLAGS: {flag: string; setting: SettingName}[] = [
  {flag: 'database-url', setting: 'databaseUrl'},
  {flag: 'read-replica-url', setting: 'readReplicaUrls'},
]

/** The warnings for the database URLs given as flags with a password in them (--database-url, --read-replica-url). */
export function typedUrlWarnings(flags: Record<string, unknown>): string[] {
  return URL_FLAGS.filter(({flag}) => [flags[flag]].flat().some((value) => typeof value === 'string' && carriesPassword(value))).map(({flag, setting}) => {
    const spec = SETTINGS[setting]
    return typedSecretWarning(
      `--${flag}`,
      'the database password',
      `set ${spec.env[0]} instead, or store it in the config file, readable by you only: stayctl config set ${spec.key} --value-stdin (the URL on stdin)`,
    )
  })
}

/** The warning for `config set KEY VALUE` when the value holds a password (whether or not it is then stored), or undefined. */
export function typedConfigValueWarning(key: string, value: string): string | undefined {
  if (!carriesPassword(value)) return undefined
  let spec: SettingSpec | undefined
  try {
    spec = SETTINGS[settingOf(key)]
  } catch {
    spec = undefined // an unknown setting: its own error follows
  }
  return typedSecretWarning(
    'the command line',
    'the password',
    `to keep it off the command line, pipe it in with --value-stdin${spec ? `, or set ${spec.env[0]}` : ''}`,
  )
}

/** The warning for requests to `apiUrl` that cross the network unencrypted (http:// to another machine), or undefined. */
export function clearTextApiWarning(apiUrl: string): string | undefined {
  if (!sendsInClear(apiUrl)) return undefined
  return `Warning: ${maskUrl(apiUrl)} is plain http:// to another machine: the token or password, and the data, cross the network unencrypted; use the server's https:// URL`
}

/**
 * The warning for a setting with a password read from a config file that other users of the
 * machine can read (group or other bits set; libpq warns of a .pgpass so), or undefined.
 */
export function exposedConfigWarning(setting: ResolvedSetting): string | undefined {
  if (setting.file === undefined || setting.value === undefined || process.platform === 'win32' || !carriesPassword(setting.value)) return undefined
  let mode: number
  try {
    mode = fs.statSync(setting.file).mode & 0o777
  } catch {
    return undefined
  }
  if ((mode & 0o077) === 0) return undefined
  return `Warning: ${setting.file} holds the database password and other users of this machine can read it (mode ${mode.toString(8).padStart(4, '0')}); make it yours only: chmod 600 ${setting.file}`
}
