#!/usr/bin/env node
/**
 * Builds dist/: the CLI bundled by esbuild, so that a start-up reads a few files instead of
 * the hundreds of modules of oclif, Sequelize and our own code (`npm run build` runs this after
 * tsc has checked the types, then `oclif manifest`).
 *
 * - Entry points: every command, migration and seeder (oclif and the migrator find them by path,
 *   as before: dist/commands/db/status.js…), bin/run.js's runner (src/cli/run.ts) and code cache
 *   (src/cli/compile-cache.ts), and the few modules that scripts and benchmarks import from dist
 *   (DIST_MODULES). What they share goes into dist/chunks/, loaded only by the commands that use
 *   it: `--help` loads oclif alone, `db status` no GraphQL, no umzug, no prompts.
 * - The bundle is CommonJS (dist/package.json says so): bundled as ES modules to split it into
 *   chunks, then each file turned into CommonJS, whose compiled code V8 can keep between runs on
 *   every Node (src/cli/compile-cache.ts).
 * - Code kept by that cache cannot call import() (vm.Script without a callback), so the bundle's import() of a
 *   computed specifier (oclif loading a plugin's ES module, a migration file) goes through
 *   dist/dynamic-import.js, which Node compiles itself; import() of a chunk becomes require().
 * - External: native modules (sqlite3, bcrypt) and drivers of dialects we do not use.
 * - The commands of the oclif plugins we ship (help, autocomplete) are entry points too
 *   (PLUGIN_ENTRIES), as dist/commands/help.js and autocomplete*.js: they are then stayctl's own
 *   commands (in the manifest), so a start-up reads no plugin's package.json and manifest (oclif
 *   did, for each plugin, at every start), and they share the bundle's one copy of oclif.
 * - Lines of oclif that cost every start-up are replaced by functions of src/cli/ with the same
 *   results (OCLIF_PATCHES): it sorts the commands by localeCompare, whose first call builds
 *   ICU's collator (command-order.ts), and its help compiles every text it prints as an EJS
 *   template, most of which have no tag (plain-text.ts).
 * - string-width, which oclif's help asks for the width of every word it wraps, matches an emoji
 *   regular expression against each: src/cli/ascii-width.ts puts a fast path for printable ASCII
 *   (the same widths) in front of it.
 * - moment-timezone comes without its zone data: Sequelize reads it only for a named time zone,
 *   and stayctl always gives it an offset (+00:00, src/db/connection.ts).
 * - Minified, names of classes and functions kept; each file has a source map (without the
 *   sources' text) that bin/run.js turns on under STAYCTL_DEBUG, so stack traces name the sources.
 *
 * The metafile (which sources are in which file) is written to dist/meta.json for the start-up
 * test; dist/package.json carries a hash of the bundle (stayctlBuild) that keys the code cache.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {parse} from 'acorn'
import * as esbuild from 'esbuild'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dist = path.join(root, 'dist')

/** Imported from dist by scripts/readme.js, bench/import.mjs (rules/gaps.ts: the gap rows of its anchor) and bench/csv.mjs. */
const DIST_MODULES = [
  'src/errors.ts',
  'src/config/database-url.ts',
  'src/db/index.ts',
  'src/services/schema.ts',
  'src/services/formats/csv-reader.ts',
  'src/services/rules/gaps.ts',
]

const EXTERNAL = [
  'sqlite3',
  'bcrypt',
  // jq compiled to WebAssembly: its loader reads jq.wasm next to itself.
  'jq-wasm',
  // Optional or unused by stayctl: TypeScript tooling oclif looks for in development, other dialects' drivers.
  'typescript',
  'ts-node',
  'pg',
  'pg-hstore',
  'tedious',
  'mariadb',
  'oracledb',
  'ibm_db',
  'snowflake-sdk',
]

/**
 * The oclif plugins' commands, by where they go in dist/ (see above). Their files are
 * named by path: the packages export only their index.
 */
const PLUGIN_ENTRIES = {
  'commands/help': '@oclif/plugin-help/lib/commands/help.js',
  'commands/autocomplete': '@oclif/plugin-autocomplete/lib/commands/autocomplete/index.js',
  'commands/autocomplete/create': '@oclif/plugin-autocomplete/lib/commands/autocomplete/create.js',
  'commands/autocomplete/script': '@oclif/plugin-autocomplete/lib/commands/autocomplete/script.js',
}

/**
 * Sequelize's dialects other than sqlite and mysql (stayctl speaks those two; MariaDB through
 * mysql): Sequelize requires a dialect's module only when a Sequelize of that dialect is made,
 * so they are left out of the bundle, and asking for one says so. Their data types stay
 * (data-types.js requires every dialect's at load).
 */
const UNUSED_DIALECTS = /^\.\/dialects\/(mariadb|mssql|oracle|postgres|db2|snowflake)$/
const onlyOurDialects = {
  name: 'only-our-dialects',
  setup(build) {
    build.onResolve({filter: UNUSED_DIALECTS}, (args) =>
      args.importer.endsWith(path.join('sequelize', 'lib', 'sequelize.js')) ? {path: args.path, namespace: 'unused-dialect'} : undefined,
    )
    build.onLoad({filter: /.*/, namespace: 'unused-dialect'}, (args) => ({
      contents: `throw new Error('stayctl bundles the sqlite and mysql dialects of Sequelize only, not ${args.path.slice('./dialects/'.length)}')`,
      loader: 'js',
    }))
  },
}

/**
 * Lines of oclif (files under @oclif/core/lib) and what replaces them (see above): `helper`, a
 * module of src/cli/, is `__stayctl` there. The build fails when oclif's line is not found once.
 */
const OCLIF_PATCHES = [
  {
    file: 'config/plugin.js',
    line: '.sort((a, b) => a.id.localeCompare(b.id));',
    replacement: '.sort((a, b) => __stayctl.compareCommandIds(a.id, b.id));',
    helper: 'src/cli/command-order.ts',
  },
  {
    file: 'help/util.js',
    line: 'return ejs_1.default.render(t, context);',
    replacement: 'return __stayctl.isPlainText(t) ? t : ejs_1.default.render(t, context);',
    helper: 'src/cli/plain-text.ts',
  },
]
const oclifPatches = {
  name: 'oclif-patches',
  setup(build) {
    build.onLoad({filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/].*\.js$/}, async (args) => {
      const patch = OCLIF_PATCHES.find(({file}) => args.path.endsWith(path.join('@oclif', 'core', 'lib', file)))
      if (!patch) return undefined
      const text = await fs.promises.readFile(args.path, 'utf8')
      if (text.split(patch.line).length !== 2) throw new Error(`build: ${args.path} no longer has the line ${patch.helper} replaces`)
      // On the file's first line, so that its source map keeps the lines.
      const contents = `const __stayctl = require(${JSON.stringify(path.join(root, patch.helper))});${text.replace(patch.line, patch.replacement)}`
      return {contents, loader: 'js', resolveDir: path.dirname(args.path)}
    })
  },
}

/** string-width, wherever the bundle imports it, behind src/cli/ascii-width.ts (see above). */
const asciiWidth = {
  name: 'ascii-width',
  setup(build) {
    build.onResolve({filter: /^string-width$/}, async (args) => {
      if (args.pluginData === 'ascii-width') return undefined
      const real = await build.resolve(args.path, {kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'ascii-width'})
      if (real.errors.length > 0) return {errors: real.errors}
      return {path: real.path, namespace: 'ascii-width'}
    })
    build.onLoad({filter: /.*/, namespace: 'ascii-width'}, (args) => ({
      contents: `module.exports = require(${JSON.stringify(path.join(root, 'src', 'cli', 'ascii-width.ts'))}).withAsciiFastPath(require(${JSON.stringify(args.path)}))\n`,
      loader: 'js',
      resolveDir: root,
    }))
  },
}

/** What `import` of a computed import() becomes: as long as the keyword, so that the source map stays exact. */
const DYNAMIC_IMPORT = '__dImp'

function sources(dir) {
  return fs
    .readdirSync(path.join(root, dir), {recursive: true})
    .map(String)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => path.join(dir, file))
}

/** moment-timezone without its data (see above). */
const momentWithoutZones = {
  name: 'moment-timezone-without-zones',
  setup(build) {
    build.onResolve({filter: /^moment-timezone$/}, (args) =>
      build.resolve('moment-timezone/moment-timezone.js', {kind: args.kind, resolveDir: args.resolveDir}),
    )
  },
}

/** Positions of `import(` calls whose specifier is not a string literal. */
function computedImports(code, file) {
  const found = []
  const visit = (node) => {
    if (Array.isArray(node)) return node.forEach(visit)
    if (!node || typeof node.type !== 'string') return
    if (node.type === 'ImportExpression' && !(node.source.type === 'Literal' && typeof node.source.value === 'string')) {
      found.push(node.start)
    }
    for (const key in node) if (key !== 'type' && node[key] && typeof node[key] === 'object') visit(node[key])
  }
  try {
    visit(parse(code, {ecmaVersion: 'latest', sourceType: 'module'}))
  } catch (error) {
    throw new Error(`build: cannot parse ${file}: ${error.message}`)
  }
  return found
}

/** One ES module of the split bundle (with its source map inline), as CommonJS and its source map (see the top of this file). */
async function toCommonJs(output) {
  let code = output.text
  const imports = computedImports(code, output.path)
  for (const start of imports.reverse()) code = `${code.slice(0, start)}${DYNAMIC_IMPORT}${code.slice(start + 'import'.length)}`
  const prelude = []
  if (imports.length > 0) {
    const helper = path.relative(path.dirname(output.path), path.join(dist, 'dynamic-import.js')).split(path.sep).join('/')
    prelude.push(`const ${DYNAMIC_IMPORT}=require(${JSON.stringify(helper.startsWith('.') ? helper : `./${helper}`)});`)
  }
  if (code.includes('__importMetaUrl')) prelude.push("const __importMetaUrl=require('node:url').pathToFileURL(__filename).href;")
  const result = await esbuild.transform(code, {
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    loader: 'js',
    // import() of a chunk or of an external package becomes require().
    supported: {'dynamic-import': false},
    banner: prelude.join(''),
    // Names are kept by the bundle's own __name calls (keepNames there): keeping them again
    // here would add a second call for every function it renames, 3,300 in Sequelize's chunk.
    minify: true,
    // Composed with the bundle's own map (inline in `code`): it points at the sources.
    sourcemap: 'external',
    sourcefile: path.basename(output.path),
    logLevel: 'warning',
  })
  if (result.warnings.length > 0) throw new Error(`build: esbuild warned on ${output.path}`)
  return {code: `${result.code}//# sourceMappingURL=${path.basename(output.path)}.map\n`, map: result.map}
}

const started = performance.now()
fs.rmSync(dist, {recursive: true, force: true})
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: [
    ...sources('commands'),
    ...sources('migrations'),
    ...sources('seeders'),
    'src/cli/run.ts',
    'src/cli/compile-cache.ts',
    // oclif's command_not_found hook (package.json oclif.hooks), loaded by oclif by path when a command line names no command.
    'src/cli/not-found.ts',
    ...DIST_MODULES,
    ...Object.entries(PLUGIN_ENTRIES).map(([out, file]) => ({in: path.join(root, 'node_modules', file), out})),
  ],
  outdir: 'dist',
  outbase: '.',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Minified (less to read and keep in memory at every start), with the names of classes and
  // functions as written; stack traces map back to the sources under STAYCTL_DEBUG (bin/run.js).
  minify: true,
  keepNames: true,
  sourcemap: 'inline',
  sourcesContent: false,
  external: EXTERNAL,
  plugins: [momentWithoutZones, onlyOurDialects, oclifPatches, asciiWidth],
  // import.meta.url of our code, in CommonJS: the URL of the file it ends up in (see toCommonJs).
  define: {'import.meta.url': '__importMetaUrl'},
  supported: {'top-level-await': false},
  metafile: true,
  write: false,
  logLevel: 'warning',
})
if (result.warnings.length > 0) throw new Error('build: esbuild warned (see above)')

const hash = crypto.createHash('sha256')
for (const output of result.outputFiles) {
  const {code, map} = await toCommonJs(output)
  fs.mkdirSync(path.dirname(output.path), {recursive: true})
  fs.writeFileSync(output.path, code)
  fs.writeFileSync(`${output.path}.map`, map)
  hash.update(path.relative(dist, output.path)).update('\0').update(code)
}
fs.writeFileSync(
  path.join(dist, 'dynamic-import.js'),
  '// import() for the bundle: code compiled with a V8 code cache cannot import (vm.Script without a callback) (scripts/build.mjs).\n' +
    'module.exports = (specifier) => import(specifier)\n',
)
fs.writeFileSync(path.join(dist, 'package.json'), `${JSON.stringify({type: 'commonjs', stayctlBuild: hash.digest('hex').slice(0, 16)}, null, 2)}\n`)
fs.writeFileSync(path.join(dist, 'meta.json'), JSON.stringify(result.metafile))

const bytes = result.outputFiles.reduce((sum, output) => sum + fs.statSync(output.path).size, 0)
console.log(`build: ${result.outputFiles.length} files, ${(bytes / 1e6).toFixed(1)} MB in dist/ (${Math.round(performance.now() - started)} ms)`)
