/**
 * API tokens: long-lived `stay_t_…` tokens for scripts, created, listed and revoked by their
 * owner or an admin. Sessions are listed and revoked here too.
 */
import {Op} from 'sequelize'

import type {User} from '../db/models.js'
import {rowOf} from '../db/select.js'
import {ConflictError, NotFoundError, ValidationError} from '../errors.js'
import {audit, createAudited} from './audit.js'
import {actorUserId, requireOwnerOrAdmin, requireSelfOrAdmin, requireUser} from './authz.js'
import type {ServiceContext} from './context.js'
import {allOf, page, type Page, type PageInput} from './pagination.js'
import {API_TOKEN_PREFIX, SESSION_TOKEN_NAME, hashToken, newToken, tokenKind, tokenView, type TokenView} from './tokens.js'
import {inTransaction, lockRow} from './transaction.js'
import {findUser} from './users.js'

export const API_TOKEN_DEFAULT_DAYS = 90
export const API_TOKEN_MAX_DAYS = 365

const DAY_MS = 86_400_000

export interface CreatedToken extends TokenView {
  /** The token: shown once, never stored. */
  token: string
}

/** The user whose tokens are meant: the one named (self unless admin) or the actor's own. */
async function tokenOwner(ctx: ServiceContext, named: string | number | undefined, action: string): Promise<User | undefined> {
  requireUser(ctx, action)
  if (named === undefined || String(named).trim() === '') {
    const own = actorUserId(ctx)
    return own === undefined ? undefined : findUser(ctx, own)
  }
  const user = await findUser(ctx, named)
  requireSelfOrAdmin(ctx, user.id, action)
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
    const row = await createAudited(
      ctx,
      transaction,
      ctx.db.models.ApiToken,
      {userId: owner.id, name, tokenHash: hashToken(token), expiresAt, lastUsedAt: null, revokedAt: null, createdByTokenId: ctx.actor.tokenId ?? null},
      {action: 'token.create', entity: 'api_token', changes: {userId: owner.id, name, expiresAt: expiresAt.toISOString()}},
    )
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
  const now = new Date()
  const where = allOf(
    owner && {userId: owner.id},
    !input.all && {revokedAt: null},
    !input.all && {[Op.or]: [{expiresAt: null}, {expiresAt: {[Op.gt]: now}}]},
  )
  return page(
    ctx.db.models.ApiToken,
    where,
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
    requireOwnerOrAdmin(ctx, Number(found.userId), `token ${found.id}`, 'revoke')
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
