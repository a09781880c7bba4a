/**
 * Tokens: what a session or API token looks like, how it is stored, how it is shown, and how
 * the sessions of a user end (a password change, a deactivation, an erasure).
 *
 * Tokens are 32 random bytes in base64url after a prefix that says what they are: `stay_s_`
 * (sessions) or `stay_t_` (API tokens), so people and secret scanners recognise them. Only the
 * SHA-256 of a token is stored; the token itself is shown once. A plain hash is enough: 256
 * random bits cannot be guessed, and looking a token up needs a deterministic hash.
 */
import {randomBytes} from 'node:crypto'

import {Op, type ModelStatic, type Transaction} from 'sequelize'

import {updateIfUnlocked} from '../db/connection.js'
import type {ApiToken, CalendarToken, User} from '../db/models.js'
import type {RowOf} from '../db/select.js'
import type {ServiceContext} from './context.js'
import {sha256Hex} from '../digest.js'

export const SESSION_TOKEN_PREFIX = 'stay_s_'
export const API_TOKEN_PREFIX = 'stay_t_'
/** The name of session tokens in api_tokens; API tokens may not take it. */
export const SESSION_TOKEN_NAME = 'session'
export const TOKEN_SHAPE = /^stay_[st]_[A-Za-z0-9_-]{43}$/

/** SHA-256 (hex) of a token: what api_tokens stores and is searched by. */
export function hashToken(token: string): string {
  return sha256Hex(token)
}

export function newToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url')
}

/** last_used_at is written at most this often per token, not on every request. */
export const LAST_USED_RESOLUTION_MS = 60_000

/**
 * Notes in last_used_at that a token was used at `now`: a session or API token (authenticate), a
 * published calendar's (its feed), at most once a minute per token. Bookkeeping, so best effort:
 * conditional, so that parallel requests (or servers) rarely both write; skipped when the
 * database is busy with another writer rather than waited for (updateIfUnlocked), the next use
 * writes it then; and never a reason to fail the request.
 */
export async function noteTokenUse<T extends ApiToken | CalendarToken>(model: ModelStatic<T>, row: T, now: Date): Promise<void> {
  const stale = new Date(now.getTime() - LAST_USED_RESOLUTION_MS)
  if (row.lastUsedAt && new Date(row.lastUsedAt) > stale) return
  const where = {id: row.id, [Op.or]: [{lastUsedAt: null}, {lastUsedAt: {[Op.lte]: stale}}]}
  await updateIfUnlocked(model, {lastUsedAt: now}, where).catch(() => false)
}

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

export function tokenKind(row: {name: string}): TokenKind {
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
