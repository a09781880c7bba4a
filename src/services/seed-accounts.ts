/**
 * Demo users (the admin first), the hosts among them, and their properties. Each host owns
 * at least one property.
 */
import bcrypt from 'bcrypt'

import {ValidationError} from '../errors.js'
import {DAY_MS, SECOND_MS, numberByTime, type Draws} from './seed-draws.js'
import {ADMIN_USERNAME, DEMO_PASSWORD, centsToDecimal, type GenerateOptions, type PropertyRow, type SeedPlan, type UserRow} from './seed-rows.js'

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
/** bcrypt salts are 128 bits in 22 characters; the last one carries 2 bits, so its low 4 bits are zero. */
const BCRYPT_LAST_SALT_CHARS = ['.', 'O', 'e', 'u']

const ADJECTIVES = ['Cozy', 'Sunny', 'Charming', 'Modern', 'Rustic', 'Quiet', 'Spacious', 'Bright', 'Historic', 'Secluded']
const KINDS = ['Cottage', 'Loft', 'Apartment', 'Cabin', 'Villa', 'Studio', 'Bungalow', 'Chalet', 'Townhouse', 'Farmhouse']
const FEATURES = [
  'Fast Wi-Fi and a dedicated workspace.',
  'Free parking on the premises.',
  'A short walk to the old town.',
  'Fully equipped kitchen.',
  'Private garden with a barbecue.',
  'Pets welcome.',
  'Balcony with a view over the water.',
  'Washer and dryer in the unit.',
  'Self check-in with a keypad.',
  'Wood stove for cold evenings.',
  'Close to hiking trails.',
  'Rooftop terrace.',
]

/** A value not taken yet (trying `format(2)`, `format(3)`, … after `candidate`), then taken. */
type Unique = (candidate: string, format?: (suffix: string) => string) => string

/** A property while the data is drafted: its owner and price in cents beside its row. */
export interface PropertyDraft {
  id: number
  owner: UserRow
  priceCents: number
  row: PropertyRow
}

function adminRow(g: Draws, admin: {username: string; passwordHash: string}, unique: Unique): UserRow {
  const created = (g.windowStart - 800) * DAY_MS + g.int(0, 86_399) * SECOND_MS
  return {
    id: g.firstId('users'),
    username: admin.username,
    email: unique(`${admin.username.toLowerCase()}@example.com`, (n) => `${admin.username.toLowerCase()}${n}@example.com`),
    first_name: 'Site',
    last_name: 'Admin',
    password_hash: admin.passwordHash,
    is_active: true,
    is_admin: true,
    created_at: new Date(created),
    updated_at: new Date(created),
  }
}

function draftUser(g: Draws, unique: Unique, demoHash: string): UserRow {
  const {faker, between} = g
  const firstName = faker.person.firstName()
  const lastName = faker.person.lastName()
  const handle = faker.internet
    .username({firstName, lastName})
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9._]/g, '')
    .slice(0, 40)
  const username = unique(handle || 'guest')
  const [local, domain] = faker.internet.exampleEmail({firstName, lastName}).toLowerCase().split('@')
  const safeLocal = local.replace(/[^a-z0-9._+-]/g, '').slice(0, 60) || username
  const email = unique(`${safeLocal}@${domain}`, (n) => `${safeLocal}${n}@${domain}`)
  const created = between((g.windowStart - 730) * DAY_MS, (g.windowStart - 120) * DAY_MS)
  return {
    id: 0,
    username,
    email,
    first_name: firstName,
    last_name: lastName,
    password_hash: demoHash,
    is_active: true,
    is_admin: false,
    created_at: new Date(created),
    updated_at: new Date(g.chance(0.3) ? between(created, g.ref - 3600 * SECOND_MS) : created),
  }
}

/** The users: the admin (when asked for) first, then demo users numbered by creation time. */
export function generateUsers(g: Draws, plan: SeedPlan, options: GenerateOptions): {users: UserRow[]; demoUsers: UserRow[]} {
  const salt = g.faker.string.fromCharacters(BCRYPT_ALPHABET, 21) + g.pick(BCRYPT_LAST_SALT_CHARS)
  const demoHash = bcrypt.hashSync(DEMO_PASSWORD, `$2b$10$${salt}`)
  const used = new Set<string>([ADMIN_USERNAME, ...(options.taken ?? [])])
  const unique: Unique = (candidate, format = (s) => candidate + s) => {
    let value = candidate
    for (let n = 2; used.has(value); n++) value = format(String(n))
    used.add(value)
    return value
  }
  const admin = options.admin ?? null
  const demoCount = plan.users - (admin ? 1 : 0)
  const users: UserRow[] = []
  if (admin) users.push(adminRow(g, admin, unique))
  const drafted: UserRow[] = []
  for (let i = 0; i < demoCount; i++) drafted.push(draftUser(g, unique, demoHash))
  const demoUsers = numberByTime(drafted, (u) => u.created_at.getTime(), g.firstId('users') + users.length)
  users.push(...demoUsers)
  return {users, demoUsers}
}

/** Hosts (always active), and a few inactive users among the others, never all of them. */
export function chooseHosts(g: Draws, plan: SeedPlan, demoUsers: UserRow[]): {hosts: UserRow[]; guests: UserRow[]} {
  if (plan.properties > 0 && demoUsers.length < 1) {
    throw new ValidationError('properties need a host: seed at least one user besides the admin')
  }
  const hostCount = Math.min(demoUsers.length, Math.max(1, Math.ceil(plan.properties / 2)))
  const hosts = plan.properties > 0 ? g.faker.helpers.arrayElements(demoUsers, hostCount) : []
  const hostSet = new Set(hosts)
  let activeOthers = demoUsers.length - hosts.length
  for (const user of demoUsers) {
    if (!hostSet.has(user) && activeOthers > 1 && g.chance(0.03)) {
      user.is_active = false
      activeOthers -= 1
    }
  }
  const guests = demoUsers.filter((u) => u.is_active)
  if (plan.bookings > 0 && guests.length < 2) {
    throw new ValidationError('bookings need a guest who is not the host: seed at least 2 users besides the admin')
  }
  return {hosts, guests}
}

function draftProperty(g: Draws, owner: UserRow): PropertyDraft {
  const {faker, int, pick, chance, between} = g
  const city = faker.location.city()
  const kind = pick(KINDS)
  const adjective = pick(ADJECTIVES)
  const bedrooms = int(1, 5)
  const created = between(owner.created_at.getTime() + DAY_MS, (g.windowStart - 91) * DAY_MS)
  const priceCents = int(40, 600) * 100 + pick([0, 0, 0, 0, 50, 99, 40])
  return {
    id: 0,
    owner,
    priceCents,
    row: {
      id: 0,
      owner_id: 0,
      name: `${adjective} ${kind} in ${city}`,
      description: [
        `${adjective} ${kind.toLowerCase()} with ${bedrooms} bedroom${bedrooms === 1 ? '' : 's'}, sleeps ${bedrooms * 2}.`,
        ...faker.helpers.arrayElements(FEATURES, int(2, 3)),
      ].join(' '),
      address: [faker.location.streetAddress(), city, `${faker.location.state({abbreviated: true})} ${faker.location.zipCode('#####')}`].join(
        ', ',
      ),
      price_per_night: centsToDecimal(priceCents),
      cancellation_policy: faker.helpers.weightedArrayElement([
        {weight: 35, value: 'flexible' as const},
        {weight: 45, value: 'moderate' as const},
        {weight: 20, value: 'strict' as const},
      ]),
      is_listed: chance(0.95),
      created_at: new Date(created),
      updated_at: new Date(chance(0.2) ? between(created, g.ref - 3600 * SECOND_MS) : created),
    },
  }
}

/** The properties, each host owning at least one, numbered by creation time. */
export function generateProperties(g: Draws, plan: SeedPlan, hosts: UserRow[]): PropertyDraft[] {
  const drafts = Array.from({length: plan.properties}, (_, i) => draftProperty(g, i < hosts.length ? hosts[i] : g.pick(hosts)))
  const properties = numberByTime(drafts, (p) => p.row.created_at.getTime(), g.firstId('properties'))
  for (const p of properties) {
    p.row.id = p.id
    p.row.owner_id = p.owner.id
  }
  return properties
}
