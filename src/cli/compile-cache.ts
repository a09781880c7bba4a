/**
 * A V8 code cache for the bundle in dist/ (bin/run.js). Each CommonJS file of the bundle is
 * compiled with the code V8 kept from an earlier run, so a start-up reads oclif's, Sequelize's
 * and our own compiled code back instead of compiling it again. A file's cache is written when
 * the process exits, holding the functions that ran compiled: Node's own compile cache
 * (module.enableCompileCache) is made before the code runs, without the functions compiled
 * lazily as it runs, and left more to compile at every start. A file's cache is keyed by the
 * build (dist/package.json's stayctlBuild, a hash of the bundle), Node's version, the
 * architecture and Node's options, so a rebuild or another Node never reads a stale one. V8
 * itself refuses a cache it cannot use: the file is then compiled as usual, its cache written anew.
 * V8 stamps a cache with its flags: a module loaded while a command has set a flag at run time
 * (v8.setFlagsFromString) refuses its cache, and a cache written then is refused at every later
 * start; such a flag is set only where it pays (src/cli/import.ts capHeapGrowth) and set back.
 *
 * The folder is os.tmpdir()/stayctl-compile-cache-<uid>, made private (0700), and used only when
 * it is ours and no one else may write to it: a cache is code that runs. Whatever fails (a
 * read-only or full disk, another's folder) leaves the cache out, silently.
 * NODE_DISABLE_COMPILE_CACHE turns it off, as it does Node's own.
 *
 * Code compiled by vm.Script without an import() callback cannot call import(); the build routes
 * the bundle's import() calls through dist/dynamic-import.js, which is left to Node
 * (scripts/build.mjs).
 */
import fs from 'node:fs'
import Module, {createRequire} from 'node:module'
import os from 'node:os'
import path from 'node:path'
import vm from 'node:vm'

type Compile = (this: Module, content: string, filename: string, ...rest: unknown[]) => unknown
type Wrapper = (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => unknown

/** Module.wrap is public but missing from @types/node; _compile is what every CommonJS loader calls. */
const ModuleInternals = Module as unknown as {wrap(source: string): string; prototype: {_compile: Compile}}

interface Pending {
  file: string
  script: vm.Script
}

/** 32-bit FNV-1a, in hex: a short name for the folder of this installation. */
function shortHash(text: string): string {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0
  return hash.toString(16).padStart(8, '0')
}

function buildId(distDir: string): string | undefined {
  try {
    const {stayctlBuild} = JSON.parse(fs.readFileSync(path.join(distDir, 'package.json'), 'utf8')) as {stayctlBuild?: unknown}
    return typeof stayctlBuild === 'string' && /^[0-9a-f]+$/.test(stayctlBuild) ? stayctlBuild : undefined
  } catch {
    return undefined
  }
}

/** The private folder of this user, or undefined when it is not safe to use. */
function privateBase(): string | undefined {
  const uid = process.getuid?.()
  if (uid === undefined) return undefined
  const base = path.join(os.tmpdir(), `stayctl-compile-cache-${uid}`)
  try {
    fs.mkdirSync(base, {mode: 0o700})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return undefined
  }
  const stat = fs.lstatSync(base)
  return stat.isDirectory() && stat.uid === uid && (stat.mode & 0o022) === 0 ? base : undefined
}

/**
 * This build's folder, one per set of Node options (V8 refuses a cache made under other flags:
 * runs with and without them would otherwise rewrite each other's). Made on first use, when the
 * folders of this installation's earlier builds go.
 */
function cacheDir(distDir: string, build: string): string | undefined {
  try {
    const base = privateBase()
    if (!base) return undefined
    const installation = shortHash(distDir)
    const options = shortHash(`${process.execArgv.join(' ')}\0${process.env.NODE_OPTIONS ?? ''}`)
    const dir = path.join(base, `${installation}-${build}-${process.version}-${process.arch}-${options}`)
    if (fs.existsSync(dir)) return dir
    for (const entry of fs.readdirSync(base)) {
      if (entry.startsWith(`${installation}-`) && !entry.startsWith(`${installation}-${build}-`)) fs.rmSync(path.join(base, entry), {recursive: true, force: true})
    }
    fs.mkdirSync(dir, {mode: 0o700})
    return dir
  } catch {
    return undefined
  }
}

function writeCaches(pending: Pending[]): void {
  for (const {file, script} of pending) {
    const temporary = `${file}.${process.pid}.tmp`
    try {
      fs.writeFileSync(temporary, script.createCachedData(), {mode: 0o600})
      fs.renameSync(temporary, file)
    } catch {
      fs.rmSync(temporary, {force: true})
      return
    }
  }
}

/**
 * Compiles the CommonJS files of `distDir` (except dist/dynamic-import.js) with the code cache
 * from now on. Returns whether the cache is in use.
 */
export function enableCodeCache(distDir: string): boolean {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return false
  const build = buildId(distDir)
  const dir = build === undefined ? undefined : cacheDir(distDir, build)
  if (!dir) return false
  const prefix = distDir + path.sep
  const leftToNode = path.join(distDir, 'dynamic-import.js')
  const pending: Pending[] = []
  const compile = ModuleInternals.prototype._compile
  ModuleInternals.prototype._compile = function (content, filename, ...rest) {
    // rest[0] is the format Node has settled on, where it passes one: only CommonJS is ours.
    if (!filename.startsWith(prefix) || filename === leftToNode || (rest[0] !== undefined && rest[0] !== 'commonjs')) {
      return compile.call(this, content, filename, ...rest)
    }
    const file = path.join(dir, `${filename.slice(prefix.length).split(path.sep).join('+')}.v8`)
    let cachedData: Buffer | undefined
    try {
      cachedData = fs.readFileSync(file)
    } catch {
      // not cached yet
    }
    const script = new vm.Script(ModuleInternals.wrap(content), {filename, cachedData})
    if (cachedData === undefined || script.cachedDataRejected) pending.push({file, script})
    const wrapper = script.runInThisContext() as Wrapper
    return wrapper.call(this.exports, this.exports, createRequire(filename), this, filename, path.dirname(filename))
  }
  process.once('exit', () => writeCaches(pending))
  return true
}
