/**
 * The rules of user accounts, as one kernel for `users create/update` and `import users`:
 *   - normalisation: usernames trimmed (3–50 letters, digits, dots, dashes, underscores),
 *     emails trimmed and lower-case, names trimmed (at most 100 characters, blank is none),
 *     passwords 8 characters to 72 bytes (passwords.ts) or, in imports, bcrypt hashes;
 *   - uniqueness: no two users share a username or an email, without regard to case.
 *
 * UserKeys (pure) holds the users and rows that own usernames and emails; loadUserKeys reads
 * the users holding the names and emails of N candidates. The guard is the database's: the
 * unique keys on username and email (case-blind on both dialects, see migration-kit.ts), which
 * every competing insert or update also meets, so a clash the read missed is still refused.
 */
import {Op, type Transaction} from 'sequelize'

import {BCRYPT_HASH} from '../../bcrypt-hash.js'
import {ValidationError} from '../../errors.js'
import type {ServiceContext} from '../context.js'
import {UNUSABLE_PASSWORD_HASH} from '../passwords.js'

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{2,49}$/
// Deliberately simple (as browsers' type=email): one @, no spaces, a dot in the domain.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

export function checkUsername(username: string): string {
  const value = username.trim()
  if (!USERNAME.test(value)) {
    throw new ValidationError(
      `username "${username}" is not valid: 3–50 letters, digits, dots, dashes or underscores, starting with a letter or digit`,
      {details: {field: 'username'}},
    )
  }
  return value
}

export function checkEmail(email: string): string {
  const value = email.trim().toLowerCase()
  if (value.length > 254 || !EMAIL.test(value)) {
    throw new ValidationError(`email "${email}" is not a valid address`, {details: {field: 'email'}})
  }
  return value
}

/** A first or last name: trimmed, at most 100 characters; blank is none, `undefined` (not given) stays undefined. */
export function checkName(value: string | null | undefined, field: string): string | null | undefined {
  if (value === undefined || value === null) return value
  const trimmed = value.trim()
  if (trimmed.length > 100) throw new ValidationError(`${field} is longer than 100 characters`, {details: {field}})
  return trimmed === '' ? null : trimmed
}

/** A password given as its hash (imports): bcrypt, or the marker of erased accounts, so an export with hashes imports again. */
export function checkPasswordHash(hash: string): string {
  if (!BCRYPT_HASH.test(hash) && hash !== UNUSABLE_PASSWORD_HASH) {
    throw new ValidationError('passwordHash is not a bcrypt hash ($2a$/$2b$/$2y$, 60 characters)', {details: {field: 'passwordHash'}})
  }
  return hash
}

/** Who holds a username and an email: a user of the database (id) or an earlier row of a batch (line). */
export interface KeyHolder {
  username: string
  email: string
  id?: number
  line?: number
}

/** A username or email someone else holds. */
export interface Taken {
  field: 'username' | 'email'
  holder: KeyHolder
}

const fold = (value: string) => value.toLowerCase()

/** The usernames and emails held, each compared without regard to case. */
export class UserKeys {
  private readonly usernames = new Map<string, KeyHolder>()
  private readonly emails = new Map<string, KeyHolder>()

  constructor(holders: KeyHolder[] = []) {
    for (const holder of holders) this.add(holder)
  }

  add(holder: KeyHolder): void {
    this.usernames.set(fold(holder.username), holder)
    this.emails.set(fold(holder.email), holder)
  }

  byUsername(username: string): KeyHolder | undefined {
    return this.usernames.get(fold(username))
  }

  byEmail(email: string): KeyHolder | undefined {
    return this.emails.get(fold(email))
  }

  /**
   * The first of `wanted`'s username and email (in that order) that a holder other than user
   * `exceptId` has: what a user created (no exceptId) or renamed would clash with.
   */
  taken(wanted: {username?: string; email?: string}, exceptId?: number): Taken | undefined {
    // Written out (no loop over the two fields): an import asks this for every row.
    const byName = wanted.username === undefined ? undefined : this.byUsername(wanted.username)
    if (byName && (byName.id === undefined || byName.id !== exceptId)) return {field: 'username', holder: byName}
    const byEmail = wanted.email === undefined ? undefined : this.byEmail(wanted.email)
    if (byEmail && (byEmail.id === undefined || byEmail.id !== exceptId)) return {field: 'email', holder: byEmail}
    return undefined
  }
}

/** Candidates per loader query (each name or email is one parameter). */
const LOAD_CHUNK = 2500

/**
 * The loader: the users holding any of the usernames or emails of `wanted` (the database
 * compares them without case), as UserKeys. Nothing is locked: the unique keys are the guard.
 */
export async function loadUserKeys(
  ctx: ServiceContext,
  transaction: Transaction | undefined,
  wanted: {username?: string; email?: string}[],
): Promise<UserKeys> {
  const keys = new UserKeys()
  for (let i = 0; i < wanted.length; i += LOAD_CHUNK) {
    const part = wanted.slice(i, i + LOAD_CHUNK)
    const usernames = part.flatMap((w) => (w.username === undefined ? [] : [w.username]))
    const emails = part.flatMap((w) => (w.email === undefined ? [] : [w.email]))
    const or = [...(usernames.length > 0 ? [{username: usernames}] : []), ...(emails.length > 0 ? [{email: emails}] : [])]
    if (or.length === 0) continue
    const users = await ctx.db.models.User.findAll({attributes: ['id', 'username', 'email'], where: {[Op.or]: or}, transaction, raw: true})
    for (const user of users) keys.add({id: Number(user.id), username: user.username, email: user.email})
  }
  return keys
}
