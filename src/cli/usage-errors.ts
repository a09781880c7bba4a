/**
 * oclif's parse errors as our usage error (errors.ts USAGE, exit 2): one line on stderr, or one
 * JSON error object on stdout when --json was asked for. Our commands convert them as they
 * parse (base-command.ts); the commands of oclif's plugins (help, autocomplete) throw them to
 * the runner, which reports them here (reportForeignUsageError), with the errors of our hooks
 * (not-found.ts: a command line naming no command), so that every command line keeps the same
 * contract (test/e2e/usage-errors.test.ts).
 */
import {Config} from '@oclif/core'

import {UsageError, isStayctlError} from '../errors.js'
import {errorLine, jsonError} from './error-report.js'

/**
 * A failure of oclif's parser (unknown flag, missing argument, a value a flag refuses, flags
 * that exclude each other) as our usage error: one line, exit 2, also under --json, instead of
 * oclif's error object with its whole parse context.
 */
export function usageErrorOf(error: unknown, command: string): unknown {
  if (isStayctlError(error) || !(error instanceof Error)) return error
  const message = parseMessage(withoutUnknownFlagValues(error))
  return new UsageError(message.length > 300 ? `${message.slice(0, 297)}...` : message, {
    suggestion: `see \`${command.trim()} --help\``,
    cause: error,
  })
}

/**
 * oclif's message, with the values of unknown flags hidden: a mistyped flag may carry a secret
 * (`--pasword=hunter2`, or `-phunter2` from mysql's habits), and the message would print it.
 * The flag's name stays, to show what was mistyped: `--pasword=…`, `-p…`.
 */
function withoutUnknownFlagValues(error: Error & {flags?: unknown}): string {
  const unknown = /^Nonexistent flags?: /.test(error.message) && Array.isArray(error.flags) ? (error.flags as unknown[]) : []
  let message = error.message
  for (const flag of unknown) if (typeof flag === 'string') message = message.replace(flag, flagPart(flag))
  return message
}

/** A word that starts with `-`, with only its flag's name shown: `--pasword=…`, `-p…`, `--json`. */
const flagPart = (word: string) => (word.startsWith('--') ? word.replace(/=.*$/s, '=…') : word.replace(/^(-[^-=])(.+)$/s, '$1…'))

/** What swallowedFlagError reads of a flag's definition: oclif's, and our `dashValues` (flags.ts). */
interface FlagShape {
  type: string
  char?: string
  aliases?: string[]
  charAliases?: string[]
  dashValues?: boolean
}

/**
 * A flag that takes a value, given as a separate word (`--email X`, `-e X`), followed by a word
 * that starts with `-`: oclif takes that word as the value (`--email --pasword=hunter2` made the
 * email "--pasword=hunter2"), unless it names a flag of the command. Refused here, before oclif
 * parses, as argparse does: a usage error naming the flag, and showing the word only up to its
 * flag's name, as an unknown flag is (it may hold a secret). Taken as values: a negative number
 * (`--amount -5`: our own checks answer), `-` (stdin), and a word starting with one `-` for
 * flags marked `dashValues` (`--sort -createdAt`). `--email=--x` and `-e--x` are always taken as
 * given; after `--`, words are arguments. oclif's parser cannot say which form a value came in
 * (it splits `--email=X` into two words), so `argv` is read here as it reads it: long flags and
 * their aliases, short ones and runs of them (`-yu` ends with -u's value in the next word).
 */
export function swallowedFlagError(argv: readonly string[], flags: Record<string, FlagShape>): UsageError | undefined {
  const named = new Map<string, [string, FlagShape]>()
  for (const [name, flag] of Object.entries(flags)) {
    for (const long of [name, ...(flag.aliases ?? [])]) named.set(`--${long}`, [name, flag])
    for (const char of [flag.char, ...(flag.charAliases ?? [])]) if (char) named.set(`-${char}`, [name, flag])
  }
  // The flag whose value is the next word, if `word` ends with one (`--email`, `-e`, `-ye`).
  const valueFlag = (word: string): [string, FlagShape] | undefined => {
    if (word.startsWith('--')) return named.get(word)?.[1].type === 'option' ? named.get(word) : undefined
    for (let i = 1; i < word.length; i++) {
      const found = named.get(`-${word[i]}`)
      if (found?.[1].type !== 'boolean') return found?.[1].type === 'option' && i === word.length - 1 ? found : undefined
    }
    return undefined
  }
  for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
    const found = argv[i].startsWith('-') ? valueFlag(argv[i]) : undefined
    const next = argv[i + 1]
    if (!found || next === undefined) continue
    i++
    const [name, flag] = found
    if (!next.startsWith('-') || next === '-' || /^-\.?\d/.test(next) || (flag.dashValues && !next.startsWith('--'))) continue
    return new UsageError(`--${name} needs a value, and the word after it (${flagPart(next)}) starts with -`, {
      suggestion: `write --${name}=VALUE for a value that starts with -`,
    })
  }
  return undefined
}

/** oclif's parse message (one error or a list of them, over several lines) as one sentence. */
function parseMessage(text: string): string {
  const parts: string[] = []
  const missing: string[] = []
  let prefix = ''
  for (const raw of text.split('\n')) {
    const line = raw.trim().replace(/\s+/g, ' ')
    if (!line || /^(See more help with|The following errors? occurred)/.test(line)) continue
    const flag = /^Missing required flag (\S+)$/.exec(line)
    const parsing = /^Parsing (--\S+)$/.exec(line)
    if (flag) missing.push(`--${flag[1]}`)
    else if (parsing) prefix = `${parsing[1]}: `
    else if (/^\S+ {2,}\S/.test(raw.trim())) parts[parts.length - 1] += ` ${raw.trim().replace(/^(\S+)\s{2,}(.*)$/, '$1 ($2)')}`
    else (parts.push(prefix + line), (prefix = ''))
  }
  if (missing.length > 0) parts.unshift(`missing required flag${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`)
  return parts.join('; ')
}

/** What oclif's parser throws: a CLIError with exit code 2, and the parse it failed in. */
interface ParseFailure extends Error {
  oclif?: {exit?: number}
  parse?: {input?: {context?: {id?: string; config?: {bin?: string}}}}
}

/**
 * The command a parse failure happened in, as typed ("stayctl autocomplete"): from the parse
 * context, else (a failure of an argument's options carries none) the longest run of leading
 * words of `argv` that names a command, found in oclif's config (loaded again: an error path).
 */
async function commandOf(failure: ParseFailure, argv: string[], root: string): Promise<string> {
  const context = failure.parse?.input?.context
  const bin = context?.config?.bin ?? 'stayctl'
  if (context?.id) return `${bin} ${context.id.replace(/:/g, ' ')}`
  const config = await Config.load(root)
  const words = argv.slice(0, argv.findIndex((word) => word.startsWith('-')) >>> 0)
  for (let n = words.length; n > 0; n--) {
    if (config.findCommand(words.slice(0, n).join(':'))) return `${config.bin} ${words.slice(0, n).join(' ')}`
  }
  return config.bin
}

/**
 * Reports `error` when it is ours (a hook's: not-found.ts) or a parse failure of oclif (a
 * command of a plugin, as our usage error), and returns whether it did; anything else is left
 * to oclif's handler. `root`: the package's folder.
 */
export async function reportForeignUsageError(error: unknown, argv: string[], root: string): Promise<boolean> {
  const failure = error as ParseFailure
  const ours = isStayctlError(error) ? error : undefined
  if (!ours && (!(error instanceof Error) || failure.oclif?.exit !== 2 || !failure.parse)) return false
  const reported = ours ?? (usageErrorOf(error, await commandOf(failure, argv, root)) as UsageError)
  const {exitCode} = reported
  if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(jsonError(reported.kind, reported.message, exitCode, reported.suggestion), null, 2)}\n`)
  else process.stderr.write(errorLine(reported.message, reported.suggestion))
  process.exitCode = exitCode
  return true
}
