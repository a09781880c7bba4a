/**
 * A Node preload (`node --import ./module-recorder.mjs …`) that records every module the
 * process loads into the file named by STAYCTL_MODULE_LOG, one path or file: URL a line.
 * ES modules are seen by a resolve hook (registered with module.register); CommonJS modules
 * (sequelize, mysql2 and sqlite3 are CommonJS) by wrapping Module._load, and by the require
 * cache as it stands at exit. Plain JavaScript, so a child process needs no TypeScript loader.
 */
import fs from 'node:fs'
import Module, {register} from 'node:module'

const log = process.env.STAYCTL_MODULE_LOG
if (log) {
  fs.writeFileSync(log, '')
  register('./module-recorder-hooks.mjs', {parentURL: import.meta.url, data: {log}})

  const seen = new Set()
  const originalLoad = Module._load
  Module._load = function (request, parent, isMain) {
    try {
      seen.add(Module._resolveFilename(request, parent, isMain))
    } catch {
      seen.add(String(request))
    }
    return originalLoad.apply(this, arguments)
  }
  process.on('exit', () => {
    for (const file of Object.keys(Module._cache)) seen.add(file)
    fs.appendFileSync(log, [...seen].map((entry) => `${entry}\n`).join(''))
  })
}
