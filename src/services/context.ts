/**
 * Who is calling and through which door. Every service takes a ServiceContext first: the
 * database, the actor (recorded in audit events, checked by authorization) and the channel.
 */
import os from 'node:os'

import type {Db} from '../db/index.js'
import type {AuditChannel} from '../domain.js'

export interface Actor {
  /** What audit events record: the OS user for local CLI runs, the username for API calls. */
  name: string
  /** The platform user behind the call, when there is one (API sessions, tokens). */
  userId?: number
  /** Operators at a local terminal have full rights, like admins. */
  isAdmin: boolean
  /** Nobody logged in (an API call without a token). An actor without userId who is not an admin is anonymous too. */
  anonymous?: true
  /** The session or API token the call was authenticated with: what tokens it makes are recorded as made by. */
  tokenId?: number
}

export interface ServiceContext {
  db: Db
  actor: Actor
  via: AuditChannel
  /** bcrypt cost for new password hashes, and of the dummy compare for unknown accounts at login. */
  bcryptCost: number
  /** Session lifetime and login throttling; DEFAULT_AUTH_POLICY (src/services/login-attempts.ts) where absent. */
  auth?: Partial<AuthPolicy>
}

export interface AuthPolicy {
  /** Lifetime of a session token from login. */
  sessionTtlMs: number
  /** Failed logins of one account within `failureWindowMs` that lock it… */
  maxFailures: number
  failureWindowMs: number
  /** …for this long; every login of the account is refused meanwhile, even with the right password. */
  lockMs: number
}

/** The actor of an API call that carries no token. */
export function anonymousActor(): Actor {
  return {name: 'anonymous', isAdmin: false, anonymous: true}
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
