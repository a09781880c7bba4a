import os from 'node:os'
import path from 'node:path'

/** Per-user directories, following the XDG base directory spec (as oclif and git do). */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'stayctl')
}

export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share'), 'stayctl')
}

/** The config file: `STAYCTL_CONFIG` when set, else `<config dir>/config.json`. */
export function configFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.STAYCTL_CONFIG || path.join(configDir(env), 'config.json')
}

/** Where the embedded SQLite database lives when nothing else is configured. */
export function defaultSqlitePath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(dataDir(env), 'stayctl.sqlite')
}
