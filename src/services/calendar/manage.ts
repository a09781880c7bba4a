/**
 * The registrations of a listing's calendar feeds: the secret URLs its own feed is published
 * at (calendar_tokens: created with the token shown once, listed, revoked) and the feeds of
 * other channels it imports (calendar_feeds: added, listed, removed). The host of the
 * listing or an admin, as for managing its bookings.
 */

import type {CalendarFeed, CalendarToken, Property} from '../../db/models.js'
import {ForbiddenError, NotFoundError} from '../../errors.js'
import {audit, createAudited} from '../audit.js'
import {actorUserId, isAdmin, requireUser} from '../authz.js'
import type {ServiceContext} from '../context.js'
import {findProperty} from '../properties.js'
import {sha256Hex} from '../../digest.js'
import {hashToken, newToken} from '../tokens.js'
import {conflictIfTaken, inTransaction} from '../transaction.js'
import {syncBlocks} from './blocks-seam.js'
import {checkFeedUrl, showUrl} from './fetch.js'

/** Calendar tokens: made and hashed as API tokens are (tokens.ts), after a prefix people and secret scanners recognise. */
export const CALENDAR_TOKEN_PREFIX = 'stay_c_'
export const CALENDAR_TOKEN_SHAPE = /^stay_c_[A-Za-z0-9_-]{43}$/

/** Where a token's feed is served (by `stayctl serve`). */
export const feedPath = (token: string) => `/calendars/${token}.ics`

/** The property named, once the caller is its host or an admin. */
export async function hostedProperty(ctx: ServiceContext, ref: string | number, action: string): Promise<Property> {
  requireUser(ctx, action)
  const property = await findProperty(ctx, ref)
  if (!isAdmin(ctx) && actorUserId(ctx) !== Number(property.ownerId)) {
    throw new ForbiddenError(`only the host of property ${property.id} or an admin may ${action}`)
  }
  return property
}

const iso = (value: Date | string | null | undefined) => (value ? new Date(value).toISOString() : null)

export interface CalendarTokenView {
  id: number
  propertyId: number
  status: 'active' | 'revoked'
  createdAt: string
  lastUsedAt: string | null
  revokedAt: string | null
}

export interface PublishedCalendar extends CalendarTokenView {
  /** Shown once, never stored. */
  token: string
  /** The URL path of the feed on a `stayctl serve`: /calendars/<token>.ics. */
  path: string
}

function tokenView(row: CalendarToken): CalendarTokenView {
  return {
    id: row.id,
    propertyId: Number(row.propertyId),
    status: row.revokedAt ? 'revoked' : 'active',
    createdAt: iso(row.createdAt)!,
    lastUsedAt: iso(row.lastUsedAt),
    revokedAt: iso(row.revokedAt),
  }
}

/** Creates a secret URL for the listing's feed; the token is in the result only. */
export async function publishCalendar(ctx: ServiceContext, input: {property: string | number}): Promise<PublishedCalendar> {
  const property = await hostedProperty(ctx, input.property, 'publish its calendar')
  const token = newToken(CALENDAR_TOKEN_PREFIX)
  return inTransaction(ctx, async (transaction) => {
    const row = await createAudited(
      ctx,
      transaction,
      ctx.db.models.CalendarToken,
      {propertyId: property.id, tokenHash: hashToken(token), createdById: actorUserId(ctx) ?? null, revokedAt: null, lastUsedAt: null, feedEtag: null, feedChangedAt: null},
      {action: 'calendar_token.create', entity: 'calendar_token', changes: {propertyId: property.id}},
    )
    return {...tokenView(row), token, path: feedPath(token)}
  })
}

/** The secret URLs of a listing's feed (never the tokens), newest first; revoked ones with all. */
export async function listCalendarTokens(ctx: ServiceContext, input: {property: string | number; all?: boolean}): Promise<CalendarTokenView[]> {
  const property = await hostedProperty(ctx, input.property, 'list its calendar tokens')
  const rows = await ctx.db.models.CalendarToken.findAll({
    where: {propertyId: property.id, ...(input.all ? {} : {revokedAt: null})},
    order: [['id', 'DESC']],
  })
  return rows.map(tokenView)
}

/** Revokes a calendar token: its URL answers 404 from now on. Idempotent. */
export async function revokeCalendarToken(ctx: ServiceContext, id: number): Promise<CalendarTokenView> {
  requireUser(ctx, 'revoke calendar tokens')
  const row = Number.isInteger(Number(id)) ? await ctx.db.models.CalendarToken.findByPk(Number(id)) : null
  if (!row) throw new NotFoundError(`no calendar token ${id}`, {suggestion: 'list them with `stayctl calendar tokens list PROPERTY`'})
  await hostedProperty(ctx, Number(row.propertyId), 'revoke its calendar tokens')
  if (row.revokedAt) return tokenView(row)
  return inTransaction(ctx, async (transaction) => {
    const [changed] = await ctx.db.models.CalendarToken.update({revokedAt: new Date()}, {where: {id: row.id, revokedAt: null}, transaction})
    if (changed > 0) await audit(ctx, transaction, {action: 'calendar_token.revoke', entity: 'calendar_token', entityId: row.id, changes: {propertyId: Number(row.propertyId)}})
    return tokenView((await ctx.db.models.CalendarToken.findByPk(row.id, {transaction}))!)
  })
}

export interface CalendarFeedView {
  id: number
  propertyId: number
  url: string
  lastSyncedAt: string | null
  createdAt: string
}

export function feedView(row: CalendarFeed): CalendarFeedView {
  return {id: row.id, propertyId: Number(row.propertyId), url: row.url, lastSyncedAt: iso(row.lastSyncedAt), createdAt: iso(row.createdAt)!}
}

/** Registers another channel's feed for `calendar sync`; one registration per listing and URL. */
export async function addCalendarFeed(ctx: ServiceContext, input: {property: string | number; url: string}): Promise<CalendarFeedView> {
  const url = checkFeedUrl(input.url)
  const property = await hostedProperty(ctx, input.property, 'add feeds to its calendar')
  return inTransaction(ctx, async (transaction) => {
    const row = await createAudited(
      ctx,
      transaction,
      ctx.db.models.CalendarFeed,
      {propertyId: property.id, url, urlHash: sha256Hex(url), createdById: actorUserId(ctx) ?? null, lastSyncedAt: null, etag: null, lastModified: null},
      {
        action: 'calendar_feed.create',
        entity: 'calendar_feed',
        changes: {propertyId: property.id, url: showUrl(url)},
        ifTaken: conflictIfTaken(`property ${property.id} already imports ${showUrl(url)}`),
      },
    )
    return feedView(row)
  })
}

/** The feeds a listing imports. */
export async function listCalendarFeeds(ctx: ServiceContext, input: {property: string | number}): Promise<CalendarFeedView[]> {
  const property = await hostedProperty(ctx, input.property, 'list the feeds of its calendar')
  const rows = await ctx.db.models.CalendarFeed.findAll({where: {propertyId: property.id}, order: [['id', 'ASC']]})
  return rows.map(feedView)
}

/**
 * Stops importing a feed, and frees the nights its blocks held (a sync with no events): the
 * other channel no longer speaks for them.
 */
export async function removeCalendarFeed(ctx: ServiceContext, input: {property: string | number; url: string}): Promise<{id: number; removed: true; blocksRemoved: number}> {
  const url = checkFeedUrl(input.url)
  const property = await hostedProperty(ctx, input.property, 'remove feeds from its calendar')
  const row = await ctx.db.models.CalendarFeed.findOne({where: {propertyId: property.id, urlHash: sha256Hex(url)}})
  if (!row) throw new NotFoundError(`property ${property.id} imports no feed ${showUrl(url)}`, {suggestion: 'list them with `stayctl calendar feeds list PROPERTY`'})
  const freed = await syncBlocks(ctx, {property: property.id, source: url, events: []})
  await inTransaction(ctx, async (transaction) => {
    await ctx.db.models.CalendarFeed.destroy({where: {id: row.id}, transaction})
    await audit(ctx, transaction, {action: 'calendar_feed.delete', entity: 'calendar_feed', entityId: row.id, changes: {propertyId: property.id, url: showUrl(url)}})
  })
  return {id: row.id, removed: true, blocksRemoved: freed.removed.length}
}
