/** Loader hooks of module-recorder.mjs: appends every resolved module URL to the log. */
import fs from 'node:fs'

let log

export function initialize(data) {
  log = data.log
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context)
  fs.appendFileSync(log, `${result.url}\n`)
  return result
}
