/**
 * Authentication: `login` trades a username or email and a password for a session token,
 * `createToken` makes long-lived API tokens for scripts, and `authenticate` turns a token back
 * into the Actor every service checks. Logout and revocation end a token early.
 *
 * Tokens are 32 random bytes in base64url after a prefix that says what they are: `stay_s_`
 * (sessions) or `stay_t_` (API tokens), so people and secret scanners recognise them. Only the
 * SHA-256 of a token is stored; the token itself is shown once. A plain hash is enough: 256
 * random bits cannot be guessed, and looking a token up needs a deterministic hash.
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
import {createHash, randomBytes} from 'node:crypto'

import bcrypt from 'bcrypt'
import {Op, QueryTypes, type Transaction, type WhereOptions} from 'sequelize'

import type {Db} from '../db/index.js'
import type {ApiToken, User} from '../db/models.js'
import {rowOf, type RowOf} from '../db/select.js'
import {ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError} from '../errors.js'
import {audit} from './audit.js'
import {actorUserId, isAdmin, requireUser} from './authz.js'
import type {Actor, AuthPolicy, ServiceContext} from './context.js'
import {page, type Page, type PageInput} from './pagination.js'
import {MAX_PASSWORD_BYTES} from './passwords.js'
import {textProblem} from './text.js'
import {inTransaction, lockRow} from './transaction.js'
import {findUser, userView, type UserView} from './users.js'

export const SESSION_TOKEN_PREFIX = 'stay_s_'
export const API_TOKEN_PREFIX = 'stay_t_'
/** The name of session tokens in api_tokens; API tokens may not take it. */
export const SESSION_TOKEN_NAME = 'session'
const TOKEN_SHAPE = /^stay_[st]_[A-Za-z0-9_-]{43}$/

export const DEFAULT_AUTH_POLICY: AuthPolicy = {
  sessionTtlMs: 12 * 60 * 60 * 1000,
  maxFailures: 5,
  failureWindowMs: 15 * 60 * 1000,
  lockMs: 15 * 60 * 1000,
}

export const API_TOKEN_DEFAULT_DAYS = 90
export const API_TOKEN_MAX_DAYS = 365

/** last_used_at is written at most this often per token, not on every request. */
export const LAST_USED_RESOLUTION_MS = 60_000

const DAY_MS = 86_400_000
const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/

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

/** SHA-256 (hex) of a token: what api_tokens stores and is searched by. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

function newToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url')
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
  return {key: createHash('sha256').update(text, 'utf8').digest('hex'), userId: user ? user.id : null}
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

// ---------------------------------------------------------------------------------------------
// Sessions

export interface LoginInput {
  /** Username or email, any case. */
  login: string
  password: string
}

export interface LoginResult {
  /** The session token: send it as `Authorization: Bearer …`. Shown only here. */
  token: string
  /** Its id, as `tokens list` shows it (to revoke it from elsewhere). */
  tokenId: number
  expiresAt: string
  user: UserView
}

/** The actor a user acts as once authenticated. */
function userActor(user: User): Actor {
  return {name: user.username, userId: user.id, isAdmin: Boolean(user.isAdmin)}
}

async function findLoginUser(ctx: ServiceContext, name: string): Promise<User | null> {
  const {User} = ctx.db.models
  return name.includes('@') ? User.findOne({where: {email: name.toLowerCase()}}) : User.findOne({where: {username: name}})
}

/**
 * Logs a user in with their username or email and password: a session token valid for
 * `sessionTtlMs` (12 h by default). Every call is one throttled attempt; any failure (unknown
 * account, wrong password, inactive or locked account) is the same UnauthenticatedError,
 * after the same work.
 */
export async function login(ctx: ServiceContext, input: LoginInput): Promise<LoginResult> {
  const policy = authPolicy(ctx)
  const name = typeof input?.login === 'string' ? input.login.trim() : ''
  const password = typeof input?.password === 'string' ? input.password : ''
  if (name === '' || name.length > 254 || password === '') throw new UnauthenticatedError(loginFailedMessage(policy))
  const user = await findLoginUser(ctx, name)
  if (!(await attemptPassword(ctx, user, name, password)) || !user) throw new UnauthenticatedError(loginFailedMessage(policy))

  // A hash made at another cost is brought to the configured one while the password is at hand.
  const rehash = bcrypt.getRounds(user.passwordHash) !== ctx.bcryptCost ? await bcrypt.hash(password, ctx.bcryptCost) : undefined
  const token = newToken(SESSION_TOKEN_PREFIX)
  const expiresAt = new Date(Date.now() + policy.sessionTtlMs)
  const asUser: ServiceContext = {...ctx, actor: userActor(user)}
  return inTransaction(ctx, async (transaction) => {
    if (rehash) await user.update({passwordHash: rehash}, {transaction})
    const row = await ctx.db.models.ApiToken.create(
      {userId: user.id, name: SESSION_TOKEN_NAME, tokenHash: hashToken(token), expiresAt, lastUsedAt: null, revokedAt: null},
      {transaction},
    )
    await audit(asUser, transaction, {
      action: 'auth.login',
      entity: 'api_token',
      entityId: row.id,
      changes: {userId: user.id, kind: 'session', expiresAt: expiresAt.toISOString()},
    })
    return {token, tokenId: row.id, expiresAt: expiresAt.toISOString(), user: userView(asUser, rowOf(user))}
  })
}

/**
 * The actor behind a session or API token. Unknown, revoked and expired tokens, and tokens
 * of inactive users, are refused (UnauthenticatedError; the token is never echoed). Notes the
 * use in last_used_at, at most once a minute per token.
 */
export async function authenticate(db: Db, token: string): Promise<Actor> {
  if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) {
    throw new UnauthenticatedError(`malformed token: tokens start with ${SESSION_TOKEN_PREFIX} or ${API_TOKEN_PREFIX}`)
  }
  const row = (await db.models.ApiToken.findOne({
    where: {tokenHash: hashToken(token)},
    include: [{association: 'user'}],
  })) as (ApiToken & {user?: User}) | null
  if (!row || !row.user) throw new UnauthenticatedError('unknown token', {suggestion: 'log in again or create a new token'})
  const now = new Date()
  if (row.revokedAt) throw new UnauthenticatedError(`token ${row.id} was revoked`, {suggestion: 'log in again or create a new token'})
  if (row.expiresAt && new Date(row.expiresAt) <= now) {
    throw new UnauthenticatedError(`token ${row.id} expired at ${new Date(row.expiresAt).toISOString()}`, {
      suggestion: 'log in again or create a new token',
    })
  }
  if (!row.user.isActive) throw new UnauthenticatedError(`the user of token ${row.id} is deactivated`)
  const stale = new Date(now.getTime() - LAST_USED_RESOLUTION_MS)
  if (!row.lastUsedAt || new Date(row.lastUsedAt) <= stale) {
    // Best effort, and conditional, so parallel requests (or servers) rarely both write.
    await db.models.ApiToken.update(
      {lastUsedAt: now},
      {where: {id: row.id, [Op.or]: [{lastUsedAt: null}, {lastUsedAt: {[Op.lte]: stale}}]}, silent: true},
    ).catch(() => undefined)
  }
  return {...userActor(row.user), tokenId: row.id}
}

/** Ends the session (or API token) given. Idempotent: an unknown or ended token changes nothing. */
export async function logout(ctx: ServiceContext, token: string): Promise<{tokenId: number | null; revoked: boolean}> {
  if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return {tokenId: null, revoked: false}
  return inTransaction(ctx, async (transaction) => {
    const row = (await ctx.db.models.ApiToken.findOne({
      where: {tokenHash: hashToken(token)},
      include: [{association: 'user'}],
      transaction,
    })) as (ApiToken & {user?: User}) | null
    if (!row) return {tokenId: null, revoked: false}
    if (row.revokedAt) return {tokenId: row.id, revoked: false}
    await row.update({revokedAt: new Date()}, {transaction})
    // Whoever holds the token may end it; an anonymous call is recorded as its user.
    const actor = actorUserId(ctx) === undefined && !isAdmin(ctx) && row.user ? userActor(row.user) : ctx.actor
    await audit({...ctx, actor}, transaction, {
      action: 'auth.logout',
      entity: 'api_token',
      entityId: row.id,
      changes: {userId: Number(row.userId), kind: tokenKind(row)},
    })
    return {tokenId: row.id, revoked: true}
  })
}

/** Who the caller is, as `stayctl whoami` shows it. */
export interface Identity {
  /** What audit events record: os:<user> for a local operator, the username over the API. */
  actor: string
  isAdmin: boolean
  /** The platform user behind the call; null for a local operator. */
  user: UserView | null
}

/** The caller: a local operator or a logged-in user. Nobody logged in is an UnauthenticatedError. */
export async function whoami(ctx: ServiceContext): Promise<Identity> {
  requireUser(ctx, 'see who you are')
  const userId = actorUserId(ctx)
  return {actor: ctx.actor.name, isAdmin: isAdmin(ctx), user: userId === undefined ? null : userView(ctx, rowOf(await findUser(ctx, userId)))}
}

// ---------------------------------------------------------------------------------------------
// API tokens

export type TokenKind = 'session' | 'api'
export type TokenStatus = 'active' | 'expired' | 'revoked'

/** A token as listed: never its hash, never the token. */
export interface TokenView {
  id: number
  userId: number
  username: string | null
  name: string
  kind: TokenKind
  status: TokenStatus
  createdAt: string
  expiresAt: string | null
  lastUsedAt: string | null
  revokedAt: string | null
}

export interface CreatedToken extends TokenView {
  /** The token: shown once, never stored. */
  token: string
}

function tokenKind(row: {name: string}): TokenKind {
  return row.name === SESSION_TOKEN_NAME ? 'session' : 'api'
}

/** A token as shown; `user`: its owner, when loaded. */
export function tokenView(row: RowOf<ApiToken> & {user?: Pick<User, 'username'> | null}, now = new Date()): TokenView {
  const expiresAt = row.expiresAt ?? null
  return {
    id: row.id,
    userId: Number(row.userId),
    username: row.user?.username ?? null,
    name: row.name,
    kind: tokenKind(row),
    status: row.revokedAt ? 'revoked' : expiresAt && new Date(expiresAt) <= now ? 'expired' : 'active',
    createdAt: row.createdAt,
    expiresAt,
    lastUsedAt: row.lastUsedAt ?? null,
    revokedAt: row.revokedAt ?? null,
  }
}

/** The user whose tokens are meant: the one named (self unless admin) or the actor's own. */
async function tokenOwner(ctx: ServiceContext, named: string | number | undefined, action: string): Promise<User | undefined> {
  requireUser(ctx, action)
  if (named === undefined || String(named).trim() === '') {
    const own = actorUserId(ctx)
    return own === undefined ? undefined : findUser(ctx, own)
  }
  const user = await findUser(ctx, named)
  if (!isAdmin(ctx) && user.id !== actorUserId(ctx)) throw new ForbiddenError(`you may ${action} only for yourself`)
  return user
}

export interface CreateTokenInput {
  /** What the token is for ("ci", "backup script"): 1–100 characters. */
  name: string
  /** Days until it expires: 1–365 (default 90). */
  expiresInDays?: number
  /** Whose token (id, username or email): admins only, for others; default the caller. */
  user?: string | number
}

/** Creates a long-lived API token (`stay_t_…`) for scripts. The token is in the result only. */
export async function createToken(ctx: ServiceContext, input: CreateTokenInput): Promise<CreatedToken> {
  const owner = await tokenOwner(ctx, input.user, 'create API tokens')
  if (!owner) {
    throw new ValidationError('say whose token it is: a local operator is no platform user', {
      suggestion: 'pass --user USER',
      details: {field: 'user'},
    })
  }
  const name = typeof input.name === 'string' ? input.name.trim() : ''
  if (name === '' || name.length > 100) throw new ValidationError('token name must have 1 to 100 characters', {details: {field: 'name'}})
  if (name.toLowerCase() === SESSION_TOKEN_NAME) {
    throw new ValidationError(`"${SESSION_TOKEN_NAME}" is the name of login sessions; name the token after its use`, {details: {field: 'name'}})
  }
  const days = input.expiresInDays ?? API_TOKEN_DEFAULT_DAYS
  if (!Number.isInteger(days) || days < 1 || days > API_TOKEN_MAX_DAYS) {
    throw new ValidationError(`expires in days must be a whole number from 1 to ${API_TOKEN_MAX_DAYS}, got ${input.expiresInDays}`, {
      details: {field: 'expiresInDays'},
    })
  }
  if (!owner.isActive) throw new ConflictError(`user ${owner.id} (${owner.username}) is deactivated and cannot have tokens`)
  const token = newToken(API_TOKEN_PREFIX)
  const expiresAt = new Date(Date.now() + days * DAY_MS)
  return inTransaction(ctx, async (transaction) => {
    const row = await ctx.db.models.ApiToken.create(
      {userId: owner.id, name, tokenHash: hashToken(token), expiresAt, lastUsedAt: null, revokedAt: null, createdByTokenId: ctx.actor.tokenId ?? null},
      {transaction},
    )
    await audit(ctx, transaction, {
      action: 'token.create',
      entity: 'api_token',
      entityId: row.id,
      changes: {userId: owner.id, name, expiresAt: expiresAt.toISOString()},
    })
    return {token, ...tokenView({...rowOf(row), user: owner})}
  })
}

export interface ListTokensInput extends PageInput {
  /** Whose tokens (admins: anyone's). Default: the caller's own; everyone's for a local operator. */
  user?: string | number
  /** Include revoked and expired tokens. */
  all?: boolean
}

/** API tokens and sessions, newest first by default; never the hash or the token. */
export async function listTokens(ctx: ServiceContext, input: ListTokensInput = {}): Promise<Page<TokenView>> {
  const owner = await tokenOwner(ctx, input.user, 'list tokens')
  const and: WhereOptions[] = []
  if (owner) and.push({userId: owner.id})
  const now = new Date()
  if (!input.all) and.push({revokedAt: null}, {[Op.or]: [{expiresAt: null}, {expiresAt: {[Op.gt]: now}}]})
  return page(
    ctx.db.models.ApiToken,
    {[Op.and]: and},
    {...input, sort: input.sort ?? '-id'},
    ['createdAt', 'expiresAt', 'lastUsedAt'],
    (row) => tokenView(row, now),
    {include: [{association: 'user', attributes: ['id', 'username']}]},
  )
}

/** Revokes a token (API token or session) now. The owner or an admin; idempotent. */
export async function revokeToken(ctx: ServiceContext, id: number): Promise<TokenView> {
  requireUser(ctx, 'revoke tokens')
  return inTransaction(ctx, async (transaction) => {
    const {ApiToken} = ctx.db.models
    const found = Number.isInteger(Number(id)) ? await lockRow(ApiToken, Number(id), transaction) : null
    if (!found) throw new NotFoundError(`no token ${id}`, {suggestion: 'list tokens with `stayctl tokens list`'})
    if (!isAdmin(ctx) && Number(found.userId) !== actorUserId(ctx)) throw new ForbiddenError(`token ${found.id} is not yours to revoke`)
    const user = await ctx.db.models.User.findByPk(found.userId, {attributes: ['id', 'username'], transaction})
    const row = Object.assign(found, {user})
    if (row.revokedAt) return tokenView({...rowOf(row), user})
    await row.update({revokedAt: new Date()}, {transaction})
    await audit(ctx, transaction, {
      action: 'token.revoke',
      entity: 'api_token',
      entityId: row.id,
      changes: {userId: Number(row.userId), name: row.name, kind: tokenKind(row)},
    })
    return tokenView({...rowOf(row), user})
  })
}

/**
 * Ends the sessions of a user and every token made with one of them, or with a token so made,
 * and so on (whoever's it is: an admin's session may have made tokens for others), in the
 * caller's transaction: what a password change and a deactivation do, so that a stolen session
 * leaves nothing behind. Sessions that already ended count as makers too (a token outlives the
 * session it was made with). Tokens made otherwise (at the command line, or by a token that
 * no session made) stay. Returns how many tokens were revoked.
 */
export async function endSessions(ctx: ServiceContext, userId: number, transaction: Transaction): Promise<number> {
  const {ApiToken} = ctx.db.models
  const sessions = await ApiToken.findAll({attributes: ['id'], where: {userId, name: SESSION_TOKEN_NAME}, transaction})
  const ended = new Set(sessions.map((row) => row.id))
  for (let makers = [...ended]; makers.length > 0; ) {
    const made: number[] = []
    for (let i = 0; i < makers.length; i += 500) {
      const rows = await ApiToken.findAll({attributes: ['id'], where: {createdByTokenId: makers.slice(i, i + 500)}, transaction})
      for (const row of rows) if (!ended.has(row.id)) made.push(row.id)
    }
    for (const id of made) ended.add(id)
    makers = made
  }
  const ids = [...ended]
  let count = 0
  for (let i = 0; i < ids.length; i += 500) {
    const [revoked] = await ApiToken.update({revokedAt: new Date()}, {where: {id: ids.slice(i, i + 500), revokedAt: null}, transaction})
    count += revoked
  }
  return count
}
