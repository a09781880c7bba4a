/**
 * A temporary home for a child process of stayctl: HOME and the XDG folders point into a new
 * temporary folder, so no real configuration or database is read or touched. Plain
 * JavaScript so that the benchmarks run by node alone (bench/startup.js) share it with the
 * tests (test/support/cli.ts); its types are in isolated-env.d.ts.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** The folders made by tempFolder in this process, removed when it exits (a test may remove its own earlier). */
const made = new Set()
process.once('exit', () => {
  for (const folder of made) fs.rmSync(folder, {recursive: true, force: true})
})

/** A new folder under the system's temporary folder, named `prefix` + random; gone when the process exits. */
export function tempFolder(prefix = 'stayctl-') {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  made.add(folder)
  return folder
}

/** The environment: PATH, the temporary HOME and XDG folders, no colours, CI mode, then `extra`. */
export function isolatedHome(extra = {}, prefix = 'stayctl-home-') {
  const home = tempFolder(prefix)
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    NO_COLOR: '1',
    CI: 'true',
    ...extra,
  }
}
