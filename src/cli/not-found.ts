/**
 * oclif's command_not_found hook: a command line that names no command (`stayctl users lst`)
 * is a usage error like any other (errors.ts USAGE, exit 2; with --json one JSON error on
 * stdout), naming the nearest command when one is near, and where to list them. It replaces
 * @oclif/plugin-not-found, which exits 127, prints text under --json, suggests nothing outside
 * a terminal and in one asks whether to run its guess: a script must not be asked, and a typo
 * must not run a command the caller did not type.
 */
import type {Config, Hook} from '@oclif/core'
import {distance} from 'fastest-levenshtein'

import {UsageError} from '../errors.js'

/** A name a command line may start with: a command's id or alias, or a topic's. */
interface Named {
  id?: string
  name?: string
  hidden?: boolean
  aliases?: string[]
}

/** The nearest visible command, alias or topic to `id`, as typed ("users list"), when it is near enough to be what was meant. */
export function nearestCommand(id: string, named: Named[]): string | undefined {
  const typed = id.replace(/:/g, ' ')
  let best: {name: string; cost: number} | undefined
  for (const entry of named) {
    if (entry.hidden) continue
    for (const name of [entry.id ?? entry.name ?? '', ...(entry.aliases ?? [])].map((n) => n.replace(/:/g, ' '))) {
      const cost = distance(typed, name)
      if (!best || cost < best.cost) best = {name, cost}
    }
  }
  // A third of what was typed may differ (two letters at least, as a swap costs; less than all of it): further, a guess misleads more than it helps.
  return best && best.cost <= Math.min(Math.max(2, Math.floor(typed.length / 3)), typed.length - 1) ? best.name : undefined
}

/** The usage error of a command line whose words `id` (colon-separated) name no command. */
export function notFoundError(id: string, config: Pick<Config, 'bin' | 'commands' | 'topics' | 'findTopic'>): UsageError {
  const words = id.split(':')
  const topic = words.length > 1 && config.findTopic(words[0]) ? ` ${words[0]}` : ''
  const nearest = nearestCommand(id, [...config.commands, ...config.topics])
  const list = `\`${config.bin} help${topic}\` lists the commands`
  return new UsageError(`"${words.join(' ')}" is not a ${config.bin} command`, {
    suggestion: nearest ? `did you mean \`${config.bin} ${nearest}\`? ${list}` : list,
  })
}

const hook: Hook<'command_not_found'> = async function (options) {
  throw notFoundError(options.id, options.config)
}

export default hook
