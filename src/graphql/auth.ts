/**
 * The one place where the GraphQL layer meets authentication: the functions of
 * src/services/auth.ts, with the signatures the resolvers call.
 *
 * INTERIM, until the auth branch lands src/services/auth.ts: a minimal implementation on the
 * api_tokens table (random tokens stored as SHA-256, sessions of 12 hours, API tokens of
 * `expiresInDays`), with none of its protections (no lock-out after failed logins, no
 * rate limit). When it lands, this whole file becomes
 *
 *   export {authenticate, createToken, listTokens, login, logout, revokeToken} from '../services/auth.js'
 *   export {anonymousActor} from '../services/auth.js'   // or keep the one below
 *
 * and nothing else in src/graphql changes.
 */
import {createHash, randomBytes} from 'node:crypto'

import {Op} from 'sequelize'

import type {Db} from '../db/index.js'
import {NotFoundError, UnauthenticatedError, ValidationError} from '../errors.js'
import {audit} from '../services/audit.js'
import type {Actor, ServiceContext} from '../services/context.js'
import {hashPassword, verifyPassword} from '../services/passwords.js'
import {inTransaction} from '../services/transaction.js'
import {userView, type UserView} from '../services/users.js'

/** Who calls without a token: may do what the services allow anyone. */
export function anonymousActor(): Actor {
  return {name: 'anonymous', isAdmin: false}
}

export interface LoginResult {
  token: string
  expiresAt: Date | string
  user: UserView
}

export interface CreatedToken {
  id: number
  token: string
  expiresAt: Date | string | null
}

export interface TokenView {
  id: number
  name: string
  createdAt: Date | string
  expiresAt: Date | string | null
  lastUsedAt: Date | string | null
}

const SESSION = 'session'
const SESSION_HOURS = 12
const BAD_LOGIN = 'wrong username, email or password, or the account is inactive'

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex')
const newToken = () => `stk_${randomBytes(32).toString('base64url')}`

/** A hash of nothing anyone knows, at the configured cost: unknown logins cost one comparison too. */
const dummyHashes = new Map<number, Promise<string>>()
function dummyHash(cost: number): Promise<string> {
  if (!dummyHashes.has(cost)) dummyHashes.set(cost, hashPassword(randomBytes(16).toString('hex'), cost))
  return dummyHashes.get(cost)!
}

async function passwordMatches(password: string, hash: string): Promise<boolean> {
  try {
    return await verifyPassword(password, hash)
  } catch {
    return false
  }
}

function signedIn(ctx: ServiceContext): number {
  if (ctx.actor.userId === undefined) throw new UnauthenticatedError('log in first (Authorization: Bearer <token>)')
  return ctx.actor.userId
}

/** Logs in with a username or email and a password: a session token. */
export async function login(ctx: ServiceContext, input: {login: string; password: string}): Promise<LoginResult> {
  const text = input.login.trim()
  const user = await ctx.db.models.User.findOne({where: text.includes('@') ? {email: text.toLowerCase()} : {username: text}})
  const matches = await passwordMatches(input.password, user?.passwordHash ?? (await dummyHash(ctx.bcryptCost)))
  if (!user || !matches || !user.isActive) throw new UnauthenticatedError(BAD_LOGIN)
  const token = newToken()
  const expiresAt = new Date(Date.now() + SESSION_HOURS * 3_600_000)
  await inTransaction(ctx, async (transaction) => {
    await ctx.db.models.ApiToken.create({userId: user.id, name: SESSION, tokenHash: hashToken(token), expiresAt, lastUsedAt: null, revokedAt: null}, {transaction})
    await audit({...ctx, actor: {name: user.username, userId: user.id, isAdmin: Boolean(user.isAdmin)}}, transaction, {
      action: 'auth.login',
      entity: 'user',
      entityId: user.id,
    })
  })
  return {token, expiresAt, user: userView(user)}
}

/** The actor a token stands for; UnauthenticatedError when it is unknown, expired or revoked. */
export async function authenticate(db: Db, token: string): Promise<Actor> {
  const row = await db.models.ApiToken.findOne({
    where: {tokenHash: hashToken(token), revokedAt: null},
    include: [{association: 'user', required: true}],
  })
  const user = (row as unknown as {user?: {id: number; username: string; isActive: boolean; isAdmin: boolean}} | null)?.user
  if (!row || !user || !user.isActive || (row.expiresAt && new Date(row.expiresAt).getTime() < Date.now())) {
    throw new UnauthenticatedError('the token is unknown, expired or revoked; log in again')
  }
  return {name: user.username, userId: user.id, isAdmin: Boolean(user.isAdmin)}
}

/** A long-lived API token for the logged-in user, shown once. */
export async function createToken(ctx: ServiceContext, input: {name: string; expiresInDays?: number | null}): Promise<CreatedToken> {
  const userId = signedIn(ctx)
  const name = input.name.trim()
  if (!name || name.length > 100 || name === SESSION) throw new ValidationError('a token needs a name of 1–100 characters (not "session")')
  const days = input.expiresInDays ?? 90
  if (!Number.isInteger(days) || days < 1 || days > 365) throw new ValidationError('expiresInDays must be from 1 to 365')
  const token = newToken()
  const expiresAt = new Date(Date.now() + days * 86_400_000)
  const row = await inTransaction(ctx, async (transaction) => {
    const created = await ctx.db.models.ApiToken.create({userId, name, tokenHash: hashToken(token), expiresAt, lastUsedAt: null, revokedAt: null}, {transaction})
    await audit(ctx, transaction, {action: 'token.create', entity: 'api_token', entityId: created.id, changes: {name, expiresAt: expiresAt.toISOString()}})
    return created
  })
  return {id: row.id, token, expiresAt}
}

/** The logged-in user's API tokens that are still valid. */
export async function listTokens(ctx: ServiceContext): Promise<TokenView[]> {
  const rows = await ctx.db.models.ApiToken.findAll({
    where: {userId: signedIn(ctx), name: {[Op.ne]: SESSION}, revokedAt: null},
    order: [['id', 'ASC']],
  })
  return rows.map((r) => ({id: r.id, name: r.name, createdAt: r.createdAt, expiresAt: r.expiresAt, lastUsedAt: r.lastUsedAt}))
}

/** Revokes one of the user's tokens (admins: anyone's). */
export async function revokeToken(ctx: ServiceContext, id: number): Promise<{id: number; revoked: true}> {
  const userId = signedIn(ctx)
  return inTransaction(ctx, async (transaction) => {
    const row = await ctx.db.models.ApiToken.findOne({where: ctx.actor.isAdmin ? {id} : {id, userId}, transaction})
    if (!row || row.revokedAt) throw new NotFoundError(`no token ${id}`)
    await row.update({revokedAt: new Date()}, {transaction})
    await audit(ctx, transaction, {action: 'token.revoke', entity: 'api_token', entityId: id})
    return {id, revoked: true as const}
  })
}

/** Ends the session (or revokes the API token) `token`. */
export async function logout(ctx: ServiceContext, token: string): Promise<void> {
  await ctx.db.models.ApiToken.update({revokedAt: new Date()}, {where: {tokenHash: hashToken(token), revokedAt: null}})
}
