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
  for (const flag of unknown) {
    if (typeof flag !== 'string') continue
    const hidden = flag.startsWith('--') ? flag.replace(/=.*$/s, '=…') : flag.replace(/^(-[^-=])(.+)$/s, '$1…')
    message = message.replace(flag, hidden)
  }
  return message
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
