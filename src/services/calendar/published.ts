/**
 * A listing's feed at its secret URL (GET /calendars/<token>.ics on `stayctl serve`): no login,
 * the token is the secret. An unknown token and a revoked one get the same answer (none). The
 * body's ETag is its sha256; its Last-Modified is when the feed last changed, kept with the
 * token (a write only when the body changes, and lastUsedAt as noteTokenUse says: at most once a
 * minute, never waiting for another writer).
 */
import {updateIfUnlocked} from '../../db/connection.js'
import type {ServiceContext} from '../context.js'
import {addDays, today} from '../dates.js'
import {hashToken, noteTokenUse} from '../tokens.js'
import {CALENDAR_TOKEN_SHAPE} from './manage.js'
import {renderFeed} from './render.js'
import {EXPORT_PAST_DAYS, feedRanges} from './transfer.js'
import {sha256Hex} from '../../digest.js'

export interface PublishedFeed {
  body: string
  /** Quoted, as the header carries it. */
  etag: string
  lastModified: Date
}

/** The feed of `token`, or null when no live token is that one. */
export async function publishedFeed(ctx: ServiceContext, token: string): Promise<PublishedFeed | null> {
  if (!CALENDAR_TOKEN_SHAPE.test(token)) return null
  const {CalendarToken, Property} = ctx.db.models
  const row = await CalendarToken.findOne({where: {tokenHash: hashToken(token), revokedAt: null}})
  const property = row ? await Property.findByPk(row.propertyId, {attributes: ['id', 'name']}) : null
  if (!row || !property) return null
  const body = renderFeed({id: property.id, name: property.name}, await feedRanges(ctx, property.id, addDays(today(), -EXPORT_PAST_DAYS)))
  const hash = sha256Hex(body)
  const now = new Date()
  if (row.feedEtag !== hash) {
    // Kept so that the next poll of an unchanged feed answers its Last-Modified: a cache, written when the
    // database is free (updateIfUnlocked), as a token's last use is; while another writer holds it, a later poll writes it.
    await updateIfUnlocked(CalendarToken, {feedEtag: hash, feedChangedAt: now, lastUsedAt: now}, {id: row.id}).catch(() => false)
    return {body, etag: `"${hash}"`, lastModified: now}
  }
  await noteTokenUse(CalendarToken, row, now)
  return {body, etag: `"${hash}"`, lastModified: new Date(row.feedChangedAt ?? now)}
}
