/**
 * The variables of `stayctl api`, given as flags the way `gh api` takes them: `--var
 * name=value` typed (true, false, null, integers and decimals become JSON booleans, null and
 * numbers; @file reads a file, @- stdin), `--raw-var name=value` always a string. A name may
 * nest: `input[name]=x` sets a field of an object, `ids[]=1` appends to a list. And whether the
 * document is a query, which the client may retry.
 */
import fs from 'node:fs'

import {UsageError} from '../errors.js'

type Json = null | boolean | number | string | Json[] | {[key: string]: Json}

/** A --var value in its JSON type. */
export function typedValue(text: string, readFile: (file: string) => string = (file) => fs.readFileSync(file === '-' ? 0 : file, 'utf8')): Json {
  if (text === 'true') return true
  if (text === 'false') return false
  if (text === 'null') return null
  if (/^-?(0|[1-9]\d*)$/.test(text)) {
    const n = Number(text)
    // Integers beyond what a double holds exactly stay text rather than change.
    return Number.isSafeInteger(n) ? n : text
  }
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return Number(text)
  if (text.startsWith('@')) {
    try {
      return readFile(text.slice(1))
    } catch (error) {
      throw new UsageError(`--var: cannot read ${text.slice(1)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
    }
  }
  return text
}

/** The key path of a name: `input[name]` → ['input', 'name']; `ids[]` → ['ids', '']. */
function keyPath(name: string, flag: string): string[] {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)((?:\[[^\]]*\])*)$/.exec(name)
  if (!match) throw new UsageError(`${flag} "${name}": a variable name is letters, digits and _, then optionally [key] or [] parts`)
  return [match[1], ...[...match[2].matchAll(/\[([^\]]*)\]/g)].map((m) => m[1])]
}

/** Builds the variables object from --var (typed) and --raw-var (strings) pairs, in the order given. */
export function buildVariables(pairs: {pair: string; raw: boolean}[], readFile?: (file: string) => string): Record<string, Json> {
  const root: Record<string, Json> = {}
  for (const {pair, raw} of pairs) {
    const flag = raw ? '--raw-var' : '--var'
    const at = pair.indexOf('=')
    if (at <= 0) throw new UsageError(`${flag} "${pair}" is not name=value`)
    const path = keyPath(pair.slice(0, at), flag)
    const value = raw ? pair.slice(at + 1) : typedValue(pair.slice(at + 1), readFile)
    let holder: Record<string, Json> | Json[] = root
    for (let i = 0; i < path.length; i++) {
      const key = path[i]
      const last = i === path.length - 1
      if (Array.isArray(holder)) {
        if (key !== '') throw new UsageError(`${flag} "${pair}": ${path.slice(0, i).join('.')} is a list; add to it with []`)
        if (last) holder.push(value)
        else {
          const next: Record<string, Json> | Json[] = path[i + 1] === '' ? [] : {}
          holder.push(next)
          holder = next
        }
        continue
      }
      if (key === '') throw new UsageError(`${flag} "${pair}": [] needs a list`)
      if (last) {
        holder[key] = value
        continue
      }
      const wantList = path[i + 1] === ''
      const existing: Json | undefined = holder[key]
      if (existing === undefined) holder[key] = wantList ? [] : {}
      else if (wantList !== Array.isArray(existing) || existing === null || typeof existing !== 'object') {
        throw new UsageError(`${flag} "${pair}": ${path.slice(0, i + 1).join('.')} was given as another kind of value before`)
      }
      holder = holder[key] as Record<string, Json> | Json[]
    }
  }
  return root
}

/** Whether the operation sent is a query (safe to retry); a document that does not parse is sent once, for the server to refuse. */
export async function isQuery(document: string): Promise<boolean> {
  const {getOperationAST, parse} = await import('graphql')
  try {
    return getOperationAST(parse(document))?.operation === 'query'
  } catch {
    return false
  }
}
