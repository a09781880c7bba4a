/**
 * A temporary home for a child process of stayctl: HOME and the XDG folders point into a new
 * temporary folder, so no real configuration or database is read or touched. Plain
 * JavaScript so that the benchmarks run by node alone (bench/startup.js) share it with the
 * tests (test/support/cli.ts); its types are in isolated-env.d.ts.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** The homes made by this process, removed when it exits (a test may remove its own earlier). */
const homes = new Set()
process.once('exit', () => {
  for (const home of homes) fs.rmSync(home, {recursive: true, force: true})
})

/** The environment: PATH, the temporary HOME and XDG folders, no colours, CI mode, then `extra`. */
export function isolatedHome(extra = {}, prefix = 'stayctl-home-') {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  homes.add(home)
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
