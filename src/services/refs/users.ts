/**
 * User references: digits are an id, text with @ an email, anything else a username; usernames
 * and emails compared without regard to case (see resolver.ts). Who may name a user by email is
 * the service's rule (findUser in services/users.ts): emails are private.
 */
import {missingKeys, selectIn, type Resolver} from './resolver.js'

export interface UserRef {
  id: number
  username: string
  email: string
  isActive: boolean
}

/** How a user reference reads: digits are an id, text with @ an email, anything else a username. */
export function userKey(ref: string): string {
  const text = ref.trim()
  if (/^\d+$/.test(text)) return `id:${Number(text)}`
  if (text.includes('@')) return `email:${text.toLowerCase()}`
  return `username:${text.toLowerCase()}`
}

/** Whether `ref` names a user by email. */
export function isEmailRef(ref: string | number): boolean {
  return userKey(String(ref)).startsWith('email:')
}

/** Whether `ref` (id, username or email) names this user. */
export function isUser(ref: string, user: {id: number; username: string; email: string}): boolean {
  const key = userKey(ref)
  return key === `id:${user.id}` || key === `email:${user.email.toLowerCase()}` || key === `username:${user.username.toLowerCase()}`
}

/** Resolves user references (ids, usernames, emails): one query per kind of key. */
export const resolveUsers: Resolver<UserRef> = async (ctx, transaction, refs, cache) => {
  const found = new Map<string, UserRef>()
  const wanted = missingKeys(refs, userKey, found, cache, 'user')
  const select = 'SELECT id, username, email, is_active AS isActive FROM users WHERE'
  const rows = [
    ...(await selectIn<UserRef>(ctx, transaction, `${select} id IN (:values)`, [...wanted('id')].map(Number))),
    ...(await selectIn<UserRef>(ctx, transaction, `${select} username IN (:values)`, [...wanted('username')])),
    ...(await selectIn<UserRef>(ctx, transaction, `${select} email IN (:values)`, [...wanted('email')])),
  ]
  for (const row of rows) {
    const user: UserRef = {id: Number(row.id), username: row.username, email: row.email, isActive: Boolean(row.isActive)}
    for (const key of [`id:${user.id}`, `username:${user.username.toLowerCase()}`, `email:${user.email.toLowerCase()}`]) {
      found.set(key, user)
    }
    // Cached under the kind of key the file uses, so that the cache holds as many users as it can.
    const asked = wanted('id').has(String(user.id))
      ? `id:${user.id}`
      : wanted('username').has(user.username.toLowerCase())
        ? `username:${user.username.toLowerCase()}`
        : `email:${user.email.toLowerCase()}`
    cache?.set(`user:${asked}`, user)
  }
  return (ref) => found.get(userKey(ref))
}
