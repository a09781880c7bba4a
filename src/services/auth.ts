/**
 * Authentication: `login` trades a username or email and a password for a session token,
 * `authenticate` turns a session or API token back into the Actor every service checks, and
 * `logout` ends a token early. Checking the password (bcrypt work, throttling) is
 * login-attempts.ts; what a token is, tokens.ts; API tokens for scripts, api-tokens.ts. Their
 * exports are re-exported here, so callers keep importing them from auth.ts.
 */
import type {Db} from '../db/index.js'
import type {ApiToken, User} from '../db/models.js'
import {rowOf} from '../db/select.js'
import {UnauthenticatedError} from '../errors.js'
import {audit, createAudited} from './audit.js'
import {actorUserId, isAdmin, requireUser} from './authz.js'
import type {Actor, ServiceContext} from './context.js'
import {attemptPassword, authPolicy, loginFailedMessage} from './login-attempts.js'
import {loadBcrypt} from './passwords.js'
import {API_TOKEN_PREFIX, SESSION_TOKEN_NAME, SESSION_TOKEN_PREFIX, TOKEN_SHAPE, hashToken, newToken, noteTokenUse, tokenKind} from './tokens.js'
import {inTransaction} from './transaction.js'
import {findUser, userView, type UserView} from './users.js'

export {
  API_TOKEN_DEFAULT_DAYS,
  API_TOKEN_MAX_DAYS,
  createToken,
  listTokens,
  revokeToken,
  type CreatedToken,
  type CreateTokenInput,
  type ListTokensInput,
} from './api-tokens.js'
export {
  COMPARE_COST_CAP,
  DEFAULT_AUTH_POLICY,
  HASH_CEILING_TTL_MS,
  attemptPassword,
  authPolicy,
  compareCosts,
  dummyHash,
  forgetWorkCeiling,
  loginFailedMessage,
  pruneLoginAttempts,
} from './login-attempts.js'
export {
  API_TOKEN_PREFIX,
  LAST_USED_RESOLUTION_MS,
  SESSION_TOKEN_NAME,
  SESSION_TOKEN_PREFIX,
  endSessions,
  hashToken,
  tokenView,
  type TokenKind,
  type TokenStatus,
  type TokenView,
} from './tokens.js'

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
  const bcrypt = await loadBcrypt()
  const rehash = bcrypt.getRounds(user.passwordHash) !== ctx.bcryptCost ? await bcrypt.hash(password, ctx.bcryptCost) : undefined
  const token = newToken(SESSION_TOKEN_PREFIX)
  const expiresAt = new Date(Date.now() + policy.sessionTtlMs)
  const asUser: ServiceContext = {...ctx, actor: userActor(user)}
  return inTransaction(ctx, async (transaction) => {
    if (rehash) await user.update({passwordHash: rehash}, {transaction})
    const row = await createAudited(
      asUser,
      transaction,
      ctx.db.models.ApiToken,
      {userId: user.id, name: SESSION_TOKEN_NAME, tokenHash: hashToken(token), expiresAt, lastUsedAt: null, revokedAt: null},
      {action: 'auth.login', entity: 'api_token', changes: {userId: user.id, kind: 'session', expiresAt: expiresAt.toISOString()}},
    )
    return {token, tokenId: row.id, expiresAt: expiresAt.toISOString(), user: userView(asUser, rowOf(user))}
  })
}

/**
 * The actor behind a session or API token. Unknown, revoked and expired tokens, and tokens
 * of inactive users, are refused (UnauthenticatedError; the token is never echoed). Notes the
 * use in last_used_at (noteTokenUse: at most once a minute per token, never waiting for another
 * writer).
 */
export async function authenticate(db: Db, token: string): Promise<Actor> {
  if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) {
    throw new UnauthenticatedError(`malformed token: tokens start with ${SESSION_TOKEN_PREFIX} or ${API_TOKEN_PREFIX}`)
  }
  const row = (await db.models.ApiToken.findOne({
    where: {tokenHash: hashToken(token)},
    include: [{association: 'user'}],
    // On the primary, never a read replica: a revoked token or a deactivated user is refused at once.
    useMaster: true,
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
  await noteTokenUse(db.models.ApiToken, row, now)
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

