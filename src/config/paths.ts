import os from 'node:os'
import path from 'node:path'

/**
 * Per-user directories: oclif's (this.config.configDir, dataDir, cacheDir), computed here
 * without loading oclif so that code below the command layer can use them. The rule is oclif's
 * on Linux: STAYCTL_<KIND>_DIR, else $XDG_<KIND>_HOME/stayctl, else ~/.config, ~/.local/share or
 * ~/.cache. test/unit/config.test.ts checks that they are oclif's.
 */
function xdgDir(env: NodeJS.ProcessEnv, override: string, xdg: string, fallback: string[]): string {
  return env[override] || path.join(env[xdg] || path.join(os.homedir(), ...fallback), 'stayctl')
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return xdgDir(env, 'STAYCTL_CONFIG_DIR', 'XDG_CONFIG_HOME', ['.config'])
}

export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return xdgDir(env, 'STAYCTL_DATA_DIR', 'XDG_DATA_HOME', ['.local', 'share'])
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return xdgDir(env, 'STAYCTL_CACHE_DIR', 'XDG_CACHE_HOME', ['.cache'])
}

/** The config file: `STAYCTL_CONFIG` when set, else `<config dir>/config.json`. */
export function configFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.STAYCTL_CONFIG || path.join(configDir(env), 'config.json')
}

/** Where the embedded SQLite database lives when nothing else is configured. */
export function defaultSqlitePath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(dataDir(env), 'stayctl.sqlite')
}
