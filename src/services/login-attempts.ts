/**
 * Login attempts: checking a password as one throttled attempt, shared by login and by
 * set-password (a user giving their current one).
 *
 * Failed logins are throttled per account in the database (table login_attempts), so the
 * limit holds across every server process. Each call is one attempt, counted before the
 * password is checked, so a burst of parallel attempts cannot slip past the limit. After
 * `maxFailures` failures within `failureWindowMs` the account is locked for `lockMs`, and
 * during the lock even the right password is refused. A name that matches no account goes
 * through the same steps (a row keyed by the hash of the name, and the same bcrypt work: see
 * comparePassword), so a login fails in the same time and with the same message whether or
 * not the account exists, is inactive or is locked, and whatever the cost of its stored hash.
 */

import {Op, QueryTypes, type Transaction} from 'sequelize'

import type {Db} from '../db/index.js'
import type {User} from '../db/models.js'
import type {AuthPolicy, ServiceContext} from './context.js'
import {MAX_PASSWORD_BYTES, loadBcrypt} from './passwords.js'
import {textProblem} from './text.js'
import {inTransaction} from './transaction.js'
import {BCRYPT_HASH} from '../bcrypt-hash.js'
import {sha256Hex} from '../digest.js'

export const DEFAULT_AUTH_POLICY: AuthPolicy = {
  sessionTtlMs: 12 * 60 * 60 * 1000,
  maxFailures: 5,
  failureWindowMs: 15 * 60 * 1000,
  lockMs: 15 * 60 * 1000,
}

export function authPolicy(ctx: Pick<ServiceContext, 'auth'>): AuthPolicy {
  return {...DEFAULT_AUTH_POLICY, ...ctx.auth}
}

/** The one message of every failed login: it never tells which part was wrong. */
export function loginFailedMessage(policy: AuthPolicy): string {
  const duration = (ms: number) => {
    const [n, unit] = ms >= 60_000 ? [Math.round(ms / 60_000), 'minute'] : [Math.max(1, Math.round(ms / 1000)), 'second']
    return `${n} ${unit}${n === 1 ? '' : 's'}`
  }
  return (
    `login failed: wrong username, email or password, or the account is locked ` +
    `(${policy.maxFailures} failures within ${duration(policy.failureWindowMs)} lock it for ${duration(policy.lockMs)})`
  )
}

/**
 * A syntactically valid bcrypt hash at `cost` that no password matches (2^-184): comparing
 * against it costs exactly what comparing against a real hash of that cost does.
 */
export function dummyHash(cost: number): string {
  return `$2b$${String(cost).padStart(2, '0')}$stayctlNoAccountHasThisHashSoComparingCostsTheSameTim`
}

/** The cost of a usable bcrypt hash; undefined for anything else (no account, an erased one). */
function costOf(hash: string | undefined): number | undefined {
  return hash !== undefined && BCRYPT_HASH.test(hash) ? Number(hash.slice(4, 6)) : undefined
}

/**
 * The bcrypt costs one login compares at, given the stored hash's cost (undefined: no usable
 * hash) and the work ceiling: the real compare, then dummy compares at c, c+1, …, ceiling−1,
 * whose 2^c + 2^c + 2^(c+1) + … + 2^(ceiling−1) rounds add up to 2^ceiling, what a compare at
 * the ceiling costs, which is all an unknown name gets. A hash costlier than the ceiling (see
 * COMPARE_COST_CAP) is compared at its own cost and no more.
 */
export function compareCosts(storedCost: number | undefined, ceiling: number): number[] {
  if (storedCost === undefined) return [ceiling]
  const costs = [storedCost]
  for (let cost = storedCost; cost < ceiling; cost++) costs.push(cost)
  return costs
}

/**
 * Stored hashes above this cost (and above the configured one) do not raise the work of every
 * login: one imported hash of cost 31 would otherwise make each login take days.
 */
export const COMPARE_COST_CAP = 16
/** How long a process trusts the highest stored cost it read before reading it again. */
export const HASH_CEILING_TTL_MS = 60_000

interface Ceiling {
  /** The highest stored cost seen (read, or met at a login). */
  cost: number
  readAt: number
  reading?: Promise<void>
}

const ceilings = new WeakMap<Db, Ceiling>()

/** Makes the next login read the highest stored cost again (tests; after importing hashes). */
export function forgetWorkCeiling(db: Db): void {
  ceilings.delete(db)
}

/** The highest cost of the stored bcrypt hashes (0 when there are none): one scan of users. */
async function highestStoredCost(db: Db): Promise<number> {
  const [row] = await db.sequelize.query<{cost: string | null}>(
    "SELECT MAX(SUBSTR(password_hash, 5, 2)) AS cost FROM users WHERE password_hash LIKE '$2_$%'",
    {type: QueryTypes.SELECT},
  )
  const cost = Number(row?.cost ?? 0)
  return Number.isInteger(cost) ? cost : 0
}

/**
 * The work ceiling of a login: the configured cost, or the highest cost of a stored hash when
 * that is higher (up to COMPARE_COST_CAP), so that a login costs the same whatever the hash
 * of the account named, and whether or not there is one. The highest stored cost is read
 * once every HASH_CEILING_TTL_MS per process, and raised at once when a login meets a higher one.
 */
async function workCeiling(ctx: ServiceContext, storedCost: number | undefined): Promise<number> {
  let ceiling = ceilings.get(ctx.db)
  if (!ceiling) ceilings.set(ctx.db, (ceiling = {cost: 0, readAt: -Infinity}))
  const entry = ceiling
  if (Date.now() - entry.readAt > HASH_CEILING_TTL_MS) {
    entry.reading ??= highestStoredCost(ctx.db)
      .then((cost) => {
        entry.cost = cost
        entry.readAt = Date.now()
      })
      .finally(() => (entry.reading = undefined))
    await entry.reading
  }
  if (storedCost !== undefined && storedCost > entry.cost) entry.cost = storedCost
  return Math.max(ctx.bcryptCost, Math.min(entry.cost, COMPARE_COST_CAP))
}

/**
 * Checks `password` against the stored hash when it is a usable bcrypt hash (not an erased
 * account's), else against the dummy hash, doing the same bcrypt work either way (see
 * compareCosts): the compares run one after the other, so their times add up as their rounds
 * do. Passwords over 72 bytes never match.
 */
async function comparePassword(ctx: ServiceContext, password: string, storedHash: string | undefined): Promise<boolean> {
  const cost = costOf(storedHash)
  const ceiling = await workCeiling(ctx, cost)
  const [first, ...padding] = compareCosts(cost, ceiling)
  const bcrypt = await loadBcrypt()
  const matches = await bcrypt.compare(password, cost === undefined ? dummyHash(first) : storedHash!)
  for (const extra of padding) await bcrypt.compare(password, dummyHash(extra))
  // No password holds a NUL (bcrypt would stop reading at it) or a lone surrogate: see checkPassword.
  return cost !== undefined && matches && Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES && textProblem(password) === undefined
}

// ---------------------------------------------------------------------------------------------
// Failed-login throttling

interface Subject {
  /** SHA-256 of "user:<id>" or "login:<name>". */
  key: string
  userId: number | null
}

function subjectOf(user: User | null, name: string): Subject {
  const text = user ? `user:${user.id}` : `login:${name.toLowerCase()}`
  return {key: sha256Hex(text), userId: user ? user.id : null}
}

interface AttemptVerdict {
  /** False when the subject is locked (or already used up its attempts): refuse whatever the password. */
  allowed: boolean
  /** Failures counted in the window, this attempt included. */
  failures: number
}

const later = (a: Date, b: Date | null) => (b && b > a ? b : a)

/**
 * Counts one attempt for `subject`, before the password is checked: the row is locked, its
 * window restarted when over, the attempt added. Same statements for every subject.
 */
async function countAttempt(ctx: ServiceContext, subject: Subject, policy: AuthPolicy): Promise<AttemptVerdict> {
  const {LoginAttempt} = ctx.db.models
  const now = new Date()
  const fresh = () => ({
    subject: subject.key,
    userId: subject.userId,
    failures: 0,
    windowStartedAt: now,
    lockedUntil: null,
    expiresAt: new Date(now.getTime() + policy.failureWindowMs),
  })
  // Outside the transaction: concurrent first attempts all succeed here, then queue on the row lock.
  await LoginAttempt.bulkCreate([fresh()], {ignoreDuplicates: true})
  return inTransaction(ctx, async (transaction) => {
    let row = await LoginAttempt.findOne({where: {subject: subject.key}, lock: transaction.LOCK.UPDATE, transaction})
    row ??= await LoginAttempt.create(fresh(), {transaction})
    const lockedUntil = row.lockedUntil ? new Date(row.lockedUntil) : null
    const locked = lockedUntil !== null && lockedUntil > now
    let failures = Number(row.failures)
    let windowStartedAt = new Date(row.windowStartedAt)
    let newLock = locked ? lockedUntil : null
    if (!locked && (lockedUntil !== null || now.getTime() - windowStartedAt.getTime() >= policy.failureWindowMs)) {
      // The lock or the window is over: start counting again.
      failures = 0
      windowStartedAt = now
    }
    // Attempts beyond the limit (a parallel burst, or while locked) are refused outright.
    const allowed = !locked && failures < policy.maxFailures
    failures += 1
    if (!allowed && !locked) newLock = new Date(now.getTime() + policy.lockMs)
    const windowEnd = new Date(windowStartedAt.getTime() + policy.failureWindowMs)
    await row.update({failures, windowStartedAt, lockedUntil: newLock, expiresAt: later(windowEnd, newLock)}, {transaction})
    return {allowed, failures}
  })
}

/** After a wrong password: the attempt that reaches the limit starts the lock. */
async function lockIfExhausted(ctx: ServiceContext, subject: Subject, verdict: AttemptVerdict, policy: AuthPolicy): Promise<void> {
  if (!verdict.allowed || verdict.failures < policy.maxFailures) return
  const now = new Date()
  const until = new Date(now.getTime() + policy.lockMs)
  await ctx.db.models.LoginAttempt.update(
    {lockedUntil: until, expiresAt: until},
    {where: {subject: subject.key, [Op.or]: [{lockedUntil: null}, {lockedUntil: {[Op.lte]: now}}]}},
  )
}

/** Forgets the failures of a subject (a successful login). */
async function clearAttempts(ctx: ServiceContext, subject: Subject, transaction: Transaction): Promise<void> {
  await ctx.db.models.LoginAttempt.destroy({where: {subject: subject.key}, transaction})
}

/** Deletes throttling rows that stopped mattering more than an hour ago. Returns how many. */
export async function pruneLoginAttempts(db: Db, now = new Date()): Promise<number> {
  return db.models.LoginAttempt.destroy({where: {expiresAt: {[Op.lt]: new Date(now.getTime() - 3_600_000)}}})
}

/**
 * Checks a password for `user` as one throttled attempt, the way login does (used by login,
 * and by set-password when a user gives their current password). False on any failure.
 */
export async function attemptPassword(ctx: ServiceContext, user: User | null, name: string, password: string): Promise<boolean> {
  const policy = authPolicy(ctx)
  const subject = subjectOf(user, name)
  const verdict = await countAttempt(ctx, subject, policy)
  const matches = await comparePassword(ctx, password, user?.passwordHash)
  const ok = verdict.allowed && matches && user !== null && Boolean(user.isActive)
  if (ok) {
    await inTransaction(ctx, (transaction) => clearAttempts(ctx, subject, transaction))
  } else {
    await lockIfExhausted(ctx, subject, verdict, policy)
    // Now and then, sweep rows that no longer matter (cheap: an index range on expires_at).
    if (Math.random() < 0.01) await pruneLoginAttempts(ctx.db).catch(() => 0)
  }
  return ok
}
