/**
 * Who is calling and through which door. Every service takes a ServiceContext first: the
 * database, the actor (recorded in audit events, checked by authorization) and the channel.
 */
import os from 'node:os'

import type {Db} from '../db/index.js'
import type {AuditChannel} from '../db/models.js'

export interface Actor {
  /** What audit events record: the OS user for local CLI runs, the username for API calls. */
  name: string
  /** The platform user behind the call, when there is one (API sessions, tokens). */
  userId?: number
  /** Operators at a local terminal have full rights, like admins. */
  isAdmin: boolean
}

export interface ServiceContext {
  db: Db
  actor: Actor
  via: AuditChannel
  /** bcrypt cost for new password hashes. */
  bcryptCost: number
}

/** The actor of a local CLI run: the operating-system user, with full rights. */
export function localOperator(): Actor {
  let name = process.env.STAYCTL_ACTOR
  if (!name) {
    try {
      name = os.userInfo().username
    } catch {
      name = process.env.USER ?? 'unknown'
    }
  }
  return {name: `os:${name}`, isAdmin: true}
}
