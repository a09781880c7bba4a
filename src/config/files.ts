/**
 * Writing the files of the config dir (config.json, credentials.json). A file is replaced
 * whole: the new text goes to a temporary file in the same folder, created with the file's
 * mode, flushed to disk, then renamed over the old one, so a reader sees the old file or the
 * new one and never a half-written one, and a secret is never readable by others, not even
 * for a moment. Read-modify-write runs under a lock file, so that two stayctl processes
 * changing the same file at once (two logins in CI) do not lose each other's change.
 */
import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import lockfile from 'proper-lockfile'

import {UnavailableError} from '../errors.js'

/** Replaces `file` with `text` atomically; the file ends up with exactly `mode`. */
export function writeFileAtomic(file: string, text: string, mode: number): void {
  const dir = path.dirname(file)
  fs.mkdirSync(dir, {recursive: true, mode: 0o700})
  const temporary = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const fd = fs.openSync(temporary, 'wx', mode)
  try {
    // The umask may have taken bits away from `mode` (never added any): set it exactly.
    fs.fchmodSync(fd, mode)
    fs.writeSync(fd, text)
    fs.fsyncSync(fd)
  } catch (error) {
    fs.closeSync(fd)
    fs.rmSync(temporary, {force: true})
    throw error
  }
  fs.closeSync(fd)
  try {
    fs.renameSync(temporary, file)
  } catch (error) {
    fs.rmSync(temporary, {force: true})
    throw error
  }
}

/** The text of `file`, or undefined when there is none. */
export function readTextIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/**
 * Runs `fn` holding the lock of `file` (a `<file>.lock` folder beside it, taken over when
 * its holder stopped refreshing it for 10 s: a killed process does not block the next one).
 */
export async function withFileLock<T>(file: string, fn: () => T | Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(file), {recursive: true, mode: 0o700})
  let release: () => Promise<void>
  try {
    release = await lockfile.lock(file, {realpath: false, stale: 10_000, retries: {retries: 100, minTimeout: 20, maxTimeout: 200}})
  } catch (error) {
    throw new UnavailableError(`cannot lock ${file}: ${(error as Error).message}`, {
      suggestion: `another stayctl is changing it; if none runs, remove ${file}.lock`,
    })
  }
  try {
    return await fn()
  } finally {
    await release().catch(() => {})
  }
}
