/**
 * Prompts, only on a terminal. Off a TTY (CI, pipes) a missing answer is a usage error that
 * says which flag to pass instead. @inquirer/prompts is loaded only when a prompt is shown.
 */
import {UsageError} from '../errors.js'

export function interactive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY) && process.env.CI !== 'true'
}

/** Asks yes/no; off a TTY throws a usage error naming the flag that skips the question. */
export async function confirmOrFail(message: string, skipFlag: string): Promise<boolean> {
  if (!interactive()) {
    throw new UsageError(`${message.replace(/\?$/, '')}: refusing without confirmation`, {
      suggestion: `pass ${skipFlag} to confirm when not on a terminal`,
    })
  }
  const {confirm} = await import('@inquirer/prompts')
  return confirm({message, default: false})
}

/** Asks for a line of text; off a TTY throws a usage error naming the flag to pass. */
export async function inputOrFail(message: string, flag: string): Promise<string> {
  if (!interactive()) {
    throw new UsageError(`${message.replace(/[:?]\s*$/, '')} is required`, {suggestion: `pass ${flag}`})
  }
  const {input} = await import('@inquirer/prompts')
  return input({message})
}
