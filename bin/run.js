#!/usr/bin/env node
// Fast path: `stayctl --version` answers from package.json alone, without loading oclif,
// in exactly oclif's format. Everything else goes through oclif (help reads the manifest).
const argv = process.argv.slice(2)
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version')) {
  const {readFileSync} = await import('node:fs')
  const {version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`stayctl/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // Node 22.1+ keeps compiled code of loaded modules on disk (os.tmpdir()), which cuts the
  // time spent loading oclif at every start; Node 20 has no such cache.
  const {enableCompileCache} = await import('node:module')
  enableCompileCache?.()
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
