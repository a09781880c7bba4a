#!/usr/bin/env node
/**
 * Checks the Dockerfile for the rules this project relies on (hadolint, the usual linter, has no
 * npm package carrying its binary, and only the npm registry is reachable here):
 * - the base image is a build argument with a default (ARG NODE_IMAGE=… before the first FROM),
 *   every FROM uses it or names an earlier stage, and no FROM uses :latest;
 * - the final stage sets a non-root USER, a HEALTHCHECK, ENTRYPOINT and CMD in exec (JSON) form;
 * - the final stage installs nothing (no apt-get, npm install or compilers), and no apt-get
 *   install lacks --no-install-recommends or leaves /var/lib/apt/lists behind;
 * - COPY, not ADD, for local files; WORKDIR, not `cd` in RUN.
 *   node scripts/lint-dockerfile.mjs [Dockerfile]
 */
import fs from 'node:fs'

/** Instructions of a Dockerfile: {line, op, args}, with continuation lines joined. */
export function instructions(text) {
  const result = []
  let pending = ''
  let start = 0
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim()
    if (!pending && (line === '' || line.startsWith('#'))) return
    if (!pending) start = index + 1
    if (line.endsWith('\\')) pending += `${line.slice(0, -1)} `
    else {
      const full = pending + line
      pending = ''
      const [op, ...rest] = full.split(/\s+/)
      result.push({line: start, op: op.toUpperCase(), args: rest.join(' ')})
    }
  })
  return result
}

export function lint(text) {
  const problems = []
  const all = instructions(text)
  const froms = all.filter((i) => i.op === 'FROM')
  const firstFrom = all.indexOf(froms[0])
  const args = all.slice(0, firstFrom).filter((i) => i.op === 'ARG')
  const baseArg = args.find((i) => /^\w+=\S+/.test(i.args))
  if (!baseArg) problems.push('the base image is not a build argument with a default (ARG NAME=image before FROM)')
  const stages = []
  for (const from of froms) {
    const [image, as, stage] = from.args.split(/\s+/)
    if (/:latest$/.test(image) || (!image.includes(':') && !image.startsWith('$') && !stages.includes(image))) problems.push(`line ${from.line}: FROM ${image}: pin a tag`)
    if (!image.startsWith('$') && !stages.includes(image)) problems.push(`line ${from.line}: FROM ${image}: use the build argument`)
    if (as?.toUpperCase() === 'AS' && stage) stages.push(stage)
  }
  const final = all.slice(all.indexOf(froms.at(-1)))
  const last = (op) => final.filter((i) => i.op === op).at(-1)
  const user = last('USER')
  if (!user || /^(root|0)(:|$)/.test(user.args)) problems.push('the final stage does not switch to a non-root USER')
  if (!last('HEALTHCHECK')) problems.push('the final stage has no HEALTHCHECK')
  for (const op of ['CMD', 'ENTRYPOINT']) {
    const found = last(op)
    if (!found) problems.push(`the final stage has no ${op}`)
    else if (!found.args.startsWith('[')) problems.push(`line ${found.line}: ${op} is not in exec (JSON) form`)
  }
  for (const i of final) {
    if (i.op === 'RUN' && /apt-get install|npm (install|ci)|\bg\+\+|\bmake\b|python3/.test(i.args)) problems.push(`line ${i.line}: the final stage installs or builds (${i.args.slice(0, 40)}…)`)
  }
  for (const i of all) {
    if (i.op === 'ADD') problems.push(`line ${i.line}: ADD: use COPY`)
    if (i.op === 'RUN' && /(^|&&|;)\s*cd\s/.test(i.args)) problems.push(`line ${i.line}: cd in RUN: use WORKDIR`)
    if (i.op === 'RUN' && /apt-get install/.test(i.args)) {
      if (!/--no-install-recommends/.test(i.args)) problems.push(`line ${i.line}: apt-get install without --no-install-recommends`)
      if (!/rm -rf \/var\/lib\/apt\/lists/.test(i.args)) problems.push(`line ${i.line}: apt-get install leaves /var/lib/apt/lists`)
    }
  }
  return problems
}

const file = process.argv[2] ?? 'Dockerfile'
const problems = lint(fs.readFileSync(file, 'utf8'))
for (const problem of problems) console.log(`${file}: ${problem}`)
console.log(`lint-dockerfile: ${file}, ${problems.length} problem(s)`)
process.exitCode = problems.length === 0 ? 0 : 1
