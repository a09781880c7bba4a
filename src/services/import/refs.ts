/**
 * References of import rows, resolved in bulk: users by id, username or email; properties by
 * id or name (with the owner to tell apart a name two hosts use); bookings by id or external
 * reference. Each batch runs one `IN (...)` query per kind of key, never one per row, and a
 * bounded cache carries what earlier batches of the same run found. Only rows of other
 * entities are cached (the run does not write them), so a retried batch never sees an id
 * that its rolled-back first attempt inserted.
 */
import {QueryTypes, type Transaction} from 'sequelize'

import type {ServiceContext} from '../context.js'
import {BOOKING_COLUMNS, calendarBooking, type CalendarBooking} from '../rules/calendar.js'

/** Keys IN (...) lists are cut into, to stay well inside statement size limits. */
const IN_CHUNK = 5000

/**
 * Resolved references of one import run, bounded: two generations of at most max/2 entries.
 * A hit in the old generation moves the entry to the young one; when the young one is full it
 * becomes the old one (the old one is dropped). As good as least-recently-used for a run's
 * access pattern, at the cost of one Map lookup per hit (an LRU Map re-inserts every hit).
 */
export class RefCache {
  private young = new Map<string, unknown>()
  private old = new Map<string, unknown>()

  constructor(readonly max = 50_000) {}

  get<T>(key: string): T | undefined {
    const value = this.young.get(key)
    if (value !== undefined) return value as T
    const aged = this.old.get(key)
    if (aged !== undefined) {
      this.old.delete(key)
      this.set(key, aged)
    }
    return aged as T | undefined
  }

  set(key: string, value: unknown): void {
    if (this.young.size >= this.max / 2 && !this.young.has(key)) {
      this.old = this.young
      this.young = new Map()
    }
    this.young.set(key, value)
  }
}

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += IN_CHUNK) out.push(items.slice(i, i + IN_CHUNK))
  return out
}

async function selectIn<R extends object>(ctx: ServiceContext, transaction: Transaction, sql: string, values: (string | number)[]): Promise<R[]> {
  const rows: R[] = []
  for (const part of chunks(values)) {
    rows.push(...(await ctx.db.sequelize.query<R>(sql, {replacements: {values: part}, transaction, type: QueryTypes.SELECT})))
  }
  return rows
}


// ---------------------------------------------------------------------------------- users

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

/** Whether `ref` (id, username or email) names this user. */
export function isUser(ref: string, user: {id: number; username: string; email: string}): boolean {
  const key = userKey(ref)
  return key === `id:${user.id}` || key === `email:${user.email.toLowerCase()}` || key === `username:${user.username.toLowerCase()}`
}

export type Lookup<T> = (ref: string) => T | undefined

/** Resolves the references of a batch (undefined ones are skipped) into a lookup, reading only what `cache` lacks. */
export type Resolver<T> = (
  ctx: ServiceContext,
  transaction: Transaction,
  refs: Iterable<string | undefined>,
  cache?: RefCache,
) => Promise<Lookup<T>>

/**
 * The keys (`kind:value`) of `refs` still to read: those found already, or in the cache (then
 * taken into `found`), are left out. Returns the values wanted of each kind.
 */
function missingKeys<T>(
  refs: Iterable<string | undefined>,
  keyOf: (ref: string) => string,
  found: Map<string, T>,
  cache: RefCache | undefined,
  prefix: string,
): (kind: string) => Set<string> {
  const wanted = new Map<string, Set<string>>()
  for (const ref of refs) {
    if (ref === undefined) continue
    const key = keyOf(ref)
    if (found.has(key)) continue
    const cached = cache?.get<T>(`${prefix}:${key}`)
    if (cached) {
      found.set(key, cached)
      continue
    }
    const colon = key.indexOf(':')
    const kind = key.slice(0, colon)
    wanted.set(kind, (wanted.get(kind) ?? new Set()).add(key.slice(colon + 1)))
  }
  return (kind) => wanted.get(kind) ?? new Set()
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

// ----------------------------------------------------------------------------- properties

export interface PropertyRef {
  id: number
  name: string
  ownerId: number
  ownerUsername: string
  ownerEmail: string
}

export interface PropertyQuery {
  /** An id or a name (names are compared exactly, on every database). */
  property: string
  /** The owner (id, username or email), to tell apart a name that several hosts use. */
  owner?: string
}

/** A resolved property, or why it could not be: unknown, or a name several properties share. */
export type PropertyResolution = {property: PropertyRef; error?: undefined} | {property?: undefined; error: string}

const PROPERTY_SELECT =
  'SELECT p.id AS id, p.name AS name, p.owner_id AS ownerId, u.username AS ownerUsername, u.email AS ownerEmail' +
  ' FROM properties p JOIN users u ON u.id = p.owner_id WHERE'

function propertyRef(row: PropertyRef): PropertyRef {
  return {id: Number(row.id), name: row.name, ownerId: Number(row.ownerId), ownerUsername: row.ownerUsername, ownerEmail: row.ownerEmail}
}

/** The fields of a row that name a property (see PropertyQuery), as importers declare them. */
export function propertyFields(required: boolean): {name: string; aliases: string[]; required?: boolean}[] {
  return [
    {name: 'property', aliases: ['propertyId', 'listing', 'propertyName'], ...(required ? {required} : {})},
    {name: 'propertyOwner', aliases: ['owner', 'host']},
  ]
}

/** Resolves property references by id or name (+ owner): one query per kind of key. */
export async function resolveProperties(
  ctx: ServiceContext,
  transaction: Transaction,
  queries: Iterable<PropertyQuery | undefined>,
  cache?: RefCache,
): Promise<(query: PropertyQuery) => PropertyResolution> {
  const byId = new Map<number, PropertyRef>()
  const byName = new Map<string, PropertyRef[]>()
  const ids = new Set<number>()
  const names = new Set<string>()
  for (const query of queries) {
    if (!query) continue
    const text = query.property.trim()
    if (/^\d+$/.test(text)) {
      const id = Number(text)
      const cached = byId.get(id) ?? cache?.get<PropertyRef>(`property:id:${id}`)
      if (cached) byId.set(id, cached)
      else ids.add(id)
    } else {
      const cached = byName.get(text) ?? cache?.get<PropertyRef[]>(`property:name:${text}`)
      if (cached) byName.set(text, cached)
      else names.add(text)
    }
  }
  for (const row of await selectIn<PropertyRef>(ctx, transaction, `${PROPERTY_SELECT} p.id IN (:values)`, [...ids])) {
    const ref = propertyRef(row)
    byId.set(ref.id, ref)
    cache?.set(`property:id:${ref.id}`, ref)
  }
  const named = new Map<string, PropertyRef[]>()
  for (const row of await selectIn<PropertyRef>(ctx, transaction, `${PROPERTY_SELECT} p.name IN (:values)`, [...names])) {
    // MySQL compares names without case; keep exact matches, as SQLite does.
    if (!names.has(row.name)) continue
    const list = named.get(row.name) ?? []
    list.push(propertyRef(row))
    named.set(row.name, list)
  }
  for (const [name, list] of named) {
    list.sort((a, b) => a.id - b.id)
    byName.set(name, list)
    cache?.set(`property:name:${name}`, list)
  }

  return ({property, owner}) => {
    const text = property.trim()
    if (/^\d+$/.test(text)) {
      const ref = byId.get(Number(text))
      if (!ref) return {error: `unknown property "${text}"`}
      if (owner && !isUser(owner, {id: ref.ownerId, username: ref.ownerUsername, email: ref.ownerEmail})) {
        return {error: `property ${ref.id} belongs to ${ref.ownerUsername}, not "${owner}"`}
      }
      return {property: ref}
    }
    let candidates = byName.get(text) ?? []
    if (owner) candidates = candidates.filter((c) => isUser(owner, {id: c.ownerId, username: c.ownerUsername, email: c.ownerEmail}))
    if (candidates.length === 1) return {property: candidates[0]}
    if (candidates.length === 0) return {error: owner ? `unknown property "${text}" of owner "${owner}"` : `unknown property "${text}"`}
    if (owner) return {error: `${candidates[0].ownerUsername} has ${candidates.length} properties named "${text}"; refer to one by id`}
    const hosts = [...new Set(candidates.map((c) => c.ownerUsername))]
    return {error: `property name "${text}" is ambiguous: hosts ${hosts.join(', ')} each have one; add propertyOwner to say whose`}
  }
}

// ------------------------------------------------------------------------------- bookings

/** A booking as a reference resolves it: the calendar's view of it. */
export type BookingRef = CalendarBooking

const BOOKING_SELECT = `SELECT ${BOOKING_COLUMNS} FROM bookings WHERE`
const bookingRef = calendarBooking

/** Resolves booking references: digits are an id, anything else an external reference. */
export const resolveBookings: Resolver<BookingRef> = async (ctx, transaction, refs, cache) => {
  const found = new Map<string, BookingRef>()
  const keyOf = (ref: string) => (/^\d+$/.test(ref.trim()) ? `id:${Number(ref.trim())}` : `ref:${ref.trim()}`)
  const wanted = missingKeys(refs, keyOf, found, cache, 'booking')
  const rows = [
    ...(await selectIn<BookingRef>(ctx, transaction, `${BOOKING_SELECT} id IN (:values)`, [...wanted('id')].map(Number))),
    ...(await selectIn<BookingRef>(ctx, transaction, `${BOOKING_SELECT} external_ref IN (:values)`, [...wanted('ref')])),
  ]
  for (const row of rows) {
    const booking = bookingRef(row)
    const keys = [`id:${booking.id}`, ...(booking.externalRef ? [`ref:${booking.externalRef}`] : [])]
    for (const key of keys) {
      found.set(key, booking)
      cache?.set(`booking:${key}`, booking)
    }
  }
  return (ref) => found.get(keyOf(ref))
}

/** Bookings by (property, guest, start, end): one query over the batch's sets of each. */
async function bookingsByStay(
  ctx: ServiceContext,
  transaction: Transaction,
  stays: {propertyId: number; guestId: number; startDate: string}[],
): Promise<BookingRef[]> {
  if (stays.length === 0) return []
  const propertyIds = [...new Set(stays.map((s) => s.propertyId))]
  const guestIds = [...new Set(stays.map((s) => s.guestId))]
  const starts = [...new Set(stays.map((s) => s.startDate))]
  const rows = await ctx.db.sequelize.query<BookingRef>(
    `${BOOKING_SELECT} property_id IN (:propertyIds) AND guest_id IN (:guestIds) AND start_date IN (:starts) ORDER BY id`,
    {replacements: {propertyIds, guestIds, starts}, transaction, type: QueryTypes.SELECT},
  )
  return rows.map(bookingRef)
}

// ------------------------------------------------------------------- bookings or stays

export interface StayRef {
  property: string
  propertyOwner?: string
  guest: string
  startDate: string
  endDate: string
}

/** The booking a row names, or why none. */
export type BookingResolution = {id: number} | {field: string; error: string}
/** A stay's property and guest, or why one is unknown. */
export type StayIds = {propertyId: number; guestId: number; guest: string} | {propertyId?: undefined; field: string; error: string}

export interface BookingRefs {
  /** Per row: the booking it names (refunds: only when it names one; a refund's booking is its charge's). */
  given: (BookingResolution | undefined)[]
  stayIds: (stay: StayRef) => StayIds
}

const stayKey = (propertyId: number, guestId: number, start: string, end: string) => `${propertyId}|${guestId}|${start}|${end}`
const stayQuery = (s: StayRef): PropertyQuery => ({property: s.property, owner: s.propertyOwner})
export const sameStay = (ids: {propertyId: number; guestId: number}, s: StayRef, b: BookingRef) =>
  ids.propertyId === b.propertyId && ids.guestId === b.guestId && s.startDate === b.startDate && s.endDate === b.endDate

/**
 * The bookings rows name: by id or externalRef (`booking`), or by stay (property, guest,
 * dates), or both (then they must agree). A row of `kind` refund names none unless it has
 * `booking` (a refund's booking is its charge's).
 */
export async function resolveBookingsOrStays(
  ctx: ServiceContext,
  transaction: Transaction,
  records: {kind: 'charge' | 'refund'; booking?: string; stay?: StayRef}[],
  cache?: RefCache,
): Promise<BookingRefs> {
  const withStay = records.filter((r) => r.stay).map((r) => r.stay!)
  const [direct, properties, guests] = await Promise.all([
    resolveBookings(ctx, transaction, records.map((r) => r.booking), cache),
    resolveProperties(ctx, transaction, withStay.map(stayQuery), cache),
    resolveUsers(ctx, transaction, withStay.map((s) => s.guest), cache),
  ])
  const stayIds = (s: StayRef): StayIds => {
    const property = properties(stayQuery(s))
    if (property.error !== undefined) return {field: 'property', error: property.error}
    const guest = guests(s.guest)
    if (!guest) return {field: 'guest', error: `unknown guest "${s.guest}"`}
    return {propertyId: property.property.id, guestId: guest.id, guest: guest.username}
  }
  const byStay = new Map<string, BookingRef[]>()
  const stays = withStay.flatMap((s) => {
    const ids = stayIds(s)
    return ids.propertyId === undefined ? [] : [{propertyId: ids.propertyId, guestId: ids.guestId, startDate: s.startDate}]
  })
  for (const b of await bookingsByStay(ctx, transaction, stays)) {
    const key = stayKey(b.propertyId, b.guestId, b.startDate, b.endDate)
    byStay.set(key, [...(byStay.get(key) ?? []), b])
  }
  const bookingOf = (r: (typeof records)[number]): BookingResolution => {
    if (r.booking) {
      const b = direct(r.booking)
      if (!b) return {field: 'booking', error: `unknown booking "${r.booking}"`}
      const ids = r.stay ? stayIds(r.stay) : undefined
      if (ids?.propertyId === undefined && ids) return ids
      if (ids && !sameStay(ids, r.stay!, b)) return {field: 'booking', error: `booking "${r.booking}" is not the stay given (property, guest and dates)`}
      return {id: b.id}
    }
    const s = r.stay!
    const ids = stayIds(s)
    if (ids.propertyId === undefined) return ids
    const found = byStay.get(stayKey(ids.propertyId, ids.guestId, s.startDate, s.endDate)) ?? []
    const stay = `property ${ids.propertyId} by ${ids.guest} from ${s.startDate} to ${s.endDate}`
    if (found.length === 0) return {field: 'booking', error: `no booking of ${stay}`}
    if (found.length > 1) {
      return {field: 'booking', error: `${found.length} bookings of ${stay} (${found.map((b) => b.id).join(', ')}); name one by booking id or externalRef`}
    }
    return {id: found[0].id}
  }
  return {given: records.map((r) => (r.kind === 'charge' || r.booking ? bookingOf(r) : undefined)), stayIds}
}
