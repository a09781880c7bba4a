/**
 * Prompts, only on a terminal. Off a TTY (CI, pipes) a missing answer is a usage error that
 * says which flag to pass instead. @inquirer/prompts is loaded only when a prompt is shown.
 */
import {UsageError} from '../errors.js'
import {checkEmail, checkUsername} from '../services/rules/users.js'
import {checkText} from '../services/text.js'

export function interactive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY) && process.env.CI !== 'true'
}

/**
 * Asks yes/no; off a TTY throws a usage error naming the flag that skips the question.
 * `what`, on a terminal only, says what it will do (e.g. the amount a dry run computed).
 */
export async function confirmOrFail(message: string, skipFlag: string, what?: () => Promise<string>): Promise<boolean> {
  if (!interactive()) {
    throw new UsageError(`${message.replace(/\?$/, '')}: refusing without confirmation`, {
      suggestion: `pass ${skipFlag} to confirm when not on a terminal`,
    })
  }
  const said = what ? ` ${await what()}` : ''
  const {confirm} = await import('@inquirer/prompts')
  return confirm({message: `${message}${said}`, default: false})
}

/**
 * Asks for a line of text; off a TTY throws a usage error naming the flag to pass. `check`
 * (a rule of the services, which throws its error) runs on each answer as it is given: a bad
 * one is refused with the rule's message and asked again, before anything else is asked.
 */
export async function inputOrFail(message: string, flag: string, check?: (value: string) => unknown): Promise<string> {
  if (!interactive()) {
    throw new UsageError(`${message.replace(/[:?]\s*$/, '')} is required`, {suggestion: `pass ${flag}`})
  }
  const {input} = await import('@inquirer/prompts')
  const validate = (value: string) => {
    try {
      checkText(value, flag)
      check?.(value)
      return true
    } catch (error) {
      return (error as Error).message
    }
  }
  return checkText(await input({message, validate}), flag)
}

/** Reads a whole secret from stdin (for --password-stdin), without the trailing newline. */
export async function readStdinSecret(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
}

/**
 * A new password: from stdin with --password-stdin, else asked twice without echo on a TTY,
 * else a usage error. Passwords are never taken as flag values (they would land in shell history).
 */
export async function newPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin) return readStdinSecret()
  if (!interactive()) {
    throw new UsageError('a password is required', {suggestion: 'pipe it in with --password-stdin'})
  }
  const {password} = await import('@inquirer/prompts')
  const first = await password({message: 'Password:', mask: true})
  const second = await password({message: 'Repeat password:', mask: true})
  if (first !== second) throw new UsageError('the two passwords differ')
  return first
}

/** An existing password: from stdin with --password-stdin, else asked once without echo on a TTY, else a usage error. */
export async function currentPassword(fromStdin: boolean, message = 'Password:'): Promise<string> {
  return secretInput(fromStdin, {message, what: 'a password', flag: '--password-stdin'})
}

/** A secret: from stdin with its `flag`, else asked once without echo on a TTY, else a usage error naming `what` is required. */
export async function secretInput(fromStdin: boolean, ask: {message: string; what: string; flag: string}): Promise<string> {
  if (fromStdin) return readStdinSecret()
  if (!interactive()) throw new UsageError(`${ask.what} is required`, {suggestion: `pipe it in with ${ask.flag}`})
  const {password} = await import('@inquirer/prompts')
  return password({message: ask.message, mask: true})
}

/** A username asked on a terminal, checked by the accounts' rule as it is typed (--username off a terminal). */
export const askUsername = () => inputOrFail('Username:', '--username', checkUsername)

/** An email asked on a terminal, checked by the accounts' rule as it is typed (--email off a terminal). */
export const askEmail = () => inputOrFail('Email:', '--email', checkEmail)
