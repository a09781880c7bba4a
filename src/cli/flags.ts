/** Flag definitions shared by several commands, defined once. */
import {Flags} from '@oclif/core'

export const databaseUrl = Flags.string({
  description: 'Database URL: mysql://user:pass@host:port/db or sqlite:<path> [env: STAYCTL_DATABASE_URL, DATABASE_URL]',
  helpGroup: 'GLOBAL',
})

export const lockTimeout = Flags.integer({
  description: 'Seconds to wait for another runner holding the schema lock',
  default: 600,
  min: 1,
})

export const force = Flags.boolean({
  char: 'f',
  description: 'Do not ask for confirmation',
  aliases: ['yes'],
  charAliases: ['y'],
  default: false,
})
