/**
 * GDPR erasure, exactly: finds one user's personal data (every username, email and name the
 * user has had) wherever the product keeps it, and nothing of anyone else's.
 *
 * Nothing is found by searching text for a value: "guest4" is inside "guest40", and a name a
 * user gave up may be someone else's now. Instead, the rows that are the user's are found by
 * their keys, and only inside those rows are the values replaced, as whole tokens:
 *   - the user's own audit events (entity user, their id): the history that also gives every
 *     value the user has had, and the time each username was theirs;
 *   - the events the user made: the actor is their username at that time, so an event is
 *     theirs when its actor is a name they held while they held it (usernames are unique at
 *     any moment, without regard to case);
 *   - the events about their records (their bookings, the payments of those, their reviews and
 *     API tokens) and the reasons of those payments, free text that may name them.
 */
import {Op, type Transaction, type WhereOptions} from 'sequelize'

import type {AuditEvent, User} from '../db/models.js'
import type {ServiceContext} from './context.js'

/** What stands for an erased value inside free text. */
export const ERASED_TEXT = '[erased]'

/** The fields of a user that are personal data, as user.create and user.update events record them. */
const PERSONAL_FIELDS = ['username', 'email', 'firstName', 'lastName'] as const
type PersonalField = (typeof PERSONAL_FIELDS)[number]

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * A matcher of `values` as whole tokens, without regard to case: a value counts only where
 * neither side continues it (a letter, digit, _ or @, or a dot, dash or plus between two of
 * those), so "guest4" is found in "thanks, guest4." but not in "guest40", "x.guest4" or
 * "guest4@example.com". Longer values are tried first (an email before the name inside it).
 */
export function tokenMatcher(values: Iterable<string>): RegExp | undefined {
  const distinct = [...new Set([...values].filter((v) => v.trim() !== ''))].sort((a, b) => b.length - a.length)
  if (distinct.length === 0) return undefined
  const word = '[\\p{L}\\p{N}_@]'
  const joiner = '[.+\\-]'
  return new RegExp(`(?<!${word})(?<!${word}${joiner})(?:${distinct.map(escapeRegExp).join('|')})(?!${word})(?!${joiner}${word})`, 'giu')
}

/** `text` with every whole-token occurrence of the matcher's values replaced by ERASED_TEXT. */
export function scrubText(text: string, matcher: RegExp | undefined): string {
  return matcher ? text.replace(matcher, ERASED_TEXT) : text
}

/** `value` (JSON) with every string scrubbed. */
function scrubJson(value: unknown, matcher: RegExp | undefined): unknown {
  if (typeof value === 'string') return scrubText(value, matcher)
  if (Array.isArray(value)) return value.map((item) => scrubJson(item, matcher))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubJson(item, matcher)]))
  }
  return value
}

const parsed = (changes: AuditEvent['changes'] | string): Record<string, unknown> | null =>
  typeof changes === 'string' ? (JSON.parse(changes) as Record<string, unknown>) : changes

/** A username the user held, and when: [from, to) in event time; open ends are null. */
interface Tenure {
  username: string
  from: Date | null
  to: Date | null
}

interface History {
  /** Every value of each personal field the user has had, the current ones included. */
  values: Record<PersonalField, Set<string>>
  tenures: Tenure[]
}

/** Values and usernames over time, from the user's row and their own events (oldest first). */
function historyOf(user: User, own: AuditEvent[]): History {
  const values = Object.fromEntries(PERSONAL_FIELDS.map((field) => [field, new Set<string>()])) as History['values']
  const add = (field: PersonalField, value: unknown) => {
    if (typeof value === 'string' && value.trim() !== '') values[field].add(value)
  }
  for (const field of PERSONAL_FIELDS) add(field, user[field])
  const renames: {from: string; to: string; at: Date}[] = []
  let created: {username?: string; at: Date} | undefined
  for (const event of own) {
    const changes = parsed(event.changes)
    if (!changes) continue
    for (const field of PERSONAL_FIELDS) {
      const change = changes[field]
      if (change !== null && typeof change === 'object') {
        add(field, (change as {from?: unknown}).from)
        add(field, (change as {to?: unknown}).to)
      } else add(field, change)
    }
    const username = changes.username
    if (event.action === 'user.create' && created === undefined) {
      created = {username: typeof username === 'string' ? username : undefined, at: new Date(event.at)}
    }
    if (event.action === 'user.update' && username !== null && typeof username === 'object') {
      const {from, to} = username as {from?: unknown; to?: unknown}
      if (typeof from === 'string' && typeof to === 'string') renames.push({from, to, at: new Date(event.at)})
    }
  }
  // No one acts before the account exists: its first username is its own from then on.
  const createdAt = new Date(user.createdAt)
  const start = created && created.at < createdAt ? created.at : createdAt
  const tenures: Tenure[] = []
  let name = renames[0]?.from ?? created?.username ?? user.username
  let from: Date | null = start
  for (const rename of renames) {
    tenures.push({username: name, from, to: rename.at})
    name = rename.to
    from = rename.at
  }
  tenures.push({username: user.username, from, to: null})
  return {values, tenures}
}

/** In chunks, so that no IN list grows past what every database takes. */
function chunks<T>(items: T[], size = 500): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

export interface ErasureCounts {
  auditEventsScrubbed: number
  paymentReasonsScrubbed: number
}

/**
 * Replaces the personal data of `user` (still holding the values being erased) in the audit
 * trail and in the reasons of their payments, inside `transaction`; `replacement` holds what
 * the user row's fields become. The user row itself, reviews and tokens are the caller's.
 */
export async function scrubPersonalData(
  ctx: ServiceContext,
  transaction: Transaction,
  user: User,
  replacement: {username: string; email: string},
): Promise<ErasureCounts> {
  const {AuditEvent, Booking, Payment, Review, ApiToken} = ctx.db.models
  const own = await AuditEvent.findAll({where: {entity: 'user', entityId: String(user.id)}, order: [['id', 'ASC']], transaction})
  const {values, tenures} = historyOf(user, own)
  const matcher = tokenMatcher(PERSONAL_FIELDS.flatMap((field) => [...values[field]]))

  // The user's records, by key.
  const bookingIds = (await Booking.findAll({attributes: ['id'], where: {guestId: user.id}, transaction})).map((b) => b.id)
  const payments = (
    await Promise.all(chunks(bookingIds).map((ids) => Payment.findAll({attributes: ['id', 'reason'], where: {bookingId: ids}, transaction})))
  ).flat()
  const reviewIds = (await Review.findAll({attributes: ['id'], where: {reviewerId: user.id}, transaction})).map((r) => r.id)
  const tokenIds = (await ApiToken.findAll({attributes: ['id'], where: {userId: user.id}, transaction})).map((t) => t.id)
  const records: [entity: string, ids: number[]][] = [
    ['booking', bookingIds],
    ['payment', payments.map((p) => p.id)],
    ['review', reviewIds],
    ['api_token', tokenIds],
  ]

  const byUser: WhereOptions[] = tenures.map(({username, from, to}) => ({
    actor: username,
    ...(from || to ? {at: {...(from ? {[Op.gte]: from} : {}), ...(to ? {[Op.lt]: to} : {})}} : {}),
  }))
  const about: WhereOptions[] = records.flatMap(([entity, ids]) => chunks(ids).map((chunk) => ({entity, entityId: chunk.map(String)})))
  const others = (
    await Promise.all(
      chunks([...byUser, ...about], 50).map((or) => AuditEvent.findAll({where: {[Op.or]: or}, order: [['id', 'ASC']], transaction})),
    )
  ).flat()

  const events = new Map<string, AuditEvent>()
  for (const event of [...own, ...others]) events.set(String(event.id), event)
  const tenureOf = (event: AuditEvent) =>
    tenures.some((t) => t.username === event.actor && (!t.from || new Date(event.at) >= t.from) && (!t.to || new Date(event.at) < t.to))
  const erasedField: Record<PersonalField, string | null> = {username: replacement.username, email: replacement.email, firstName: null, lastName: null}

  let auditEventsScrubbed = 0
  for (const event of events.values()) {
    const changes = parsed(event.changes)
    let scrubbed = scrubJson(changes, matcher) as Record<string, unknown> | null
    if (scrubbed && event.entity === 'user' && event.entityId === String(user.id)) {
      // The user's own fields, wholesale (as they are now), whatever their text.
      for (const field of PERSONAL_FIELDS) {
        const change = changes?.[field]
        if (change === undefined) continue
        scrubbed[field] = change !== null && typeof change === 'object' ? {from: erasedField[field], to: erasedField[field]} : erasedField[field]
      }
    }
    if (JSON.stringify(scrubbed) === JSON.stringify(changes)) scrubbed = changes
    const actor = tenureOf(event) ? replacement.username : event.actor
    if (actor === event.actor && scrubbed === changes) continue
    await event.update({actor, changes: scrubbed}, {transaction})
    auditEventsScrubbed += 1
  }

  let paymentReasonsScrubbed = 0
  for (const payment of payments) {
    if (payment.reason === null) continue
    const reason = scrubText(payment.reason, matcher)
    if (reason === payment.reason) continue
    await Payment.update({reason}, {where: {id: payment.id}, transaction})
    paymentReasonsScrubbed += 1
  }
  return {auditEventsScrubbed, paymentReasonsScrubbed}
}
