/**
 * The rules of reviews, as one kernel for `reviews create` and `import reviews`:
 *   - ratings are whole numbers from 1 to 5; a comment has at most 5,000 characters;
 *   - eligibility: the reviewer has a confirmed stay at the property that has ended (by today);
 *   - one review per (property, reviewer): a second is refused, or (option `upsert`, imports)
 *     updates the first; in a batch, a second row of a pair repeats the first.
 *
 * ReviewBook (pure) holds what loadReviewBook reads for N (property, reviewer) pairs: the end
 * of each pair's first confirmed stay, and the reviews that exist. The guard is the unique key
 * on (property, reviewer), which every competing insert meets.
 */
import {QueryTypes, type Transaction} from 'sequelize'

import {ValidationError} from '../../errors.js'
import type {ServiceContext} from '../context.js'
import {dateOnly, today} from '../dates.js'
import {optionalText} from '../text.js'

export function checkRating(value: number | string): number {
  const rating = Number(value)
  if (!Number.isInteger(rating) || rating < 1 || rating > 5) {
    throw new ValidationError(`rating must be a whole number from 1 to 5, got ${value}`, {details: {field: 'rating'}})
  }
  return rating
}

/** An optional comment of at most 5000 characters; blank is none. */
export function checkComment(value: string | null | undefined): string | null {
  return optionalText(value, 5000, 'comment', 'comment')
}

/** Why a review is refused: no ended stay, a pair an earlier row of the batch took, or a review that exists. */
export interface ReviewRefusal {
  rule: 'stay' | 'repeat' | 'reviewed'
  reason: string
  /** 'reviewed': the review that exists. */
  reviewId?: number
}

export interface ReviewVerdict {
  refusal?: ReviewRefusal
  /** The review this one updates (option upsert); a new review when neither is set. */
  update?: number
}

const pairKey = (propertyId: number, reviewerId: number) => `${propertyId}|${reviewerId}`

export class ReviewBook {
  private readonly firstEnds = new Map<string, string>()
  private readonly reviews = new Map<string, number>()
  private readonly claimed = new Map<string, number>()

  /**
   * `stays`: the confirmed stays of the pairs (their end dates, check-out); `reviews`: the
   * reviews that exist; `today`: the day by which a stay must have ended.
   */
  constructor(
    stays: {propertyId: number; guestId: number; endDate: string}[],
    reviews: {id: number; propertyId: number; reviewerId: number}[],
    private readonly today: string,
  ) {
    for (const s of stays) {
      const key = pairKey(s.propertyId, s.guestId)
      const first = this.firstEnds.get(key)
      if (first === undefined || s.endDate < first) this.firstEnds.set(key, s.endDate)
    }
    for (const r of reviews) this.reviews.set(pairKey(r.propertyId, r.reviewerId), r.id)
  }

  /**
   * A review of `propertyId` by `reviewer` (on `line` of a batch, when it is one): refused, or
   * taken (then it claims its pair), updating the review that exists with `options.upsert`.
   */
  admit(propertyId: number, reviewer: {id: number; username: string}, line?: number, options: {upsert?: boolean} = {}): ReviewVerdict {
    const key = pairKey(propertyId, reviewer.id)
    const who = `user ${reviewer.id} (${reviewer.username})`
    const ended = this.firstEnds.get(key)
    if (ended === undefined || ended > this.today) {
      return {refusal: {rule: 'stay', reason: `${who} has no confirmed stay at property ${propertyId} that has ended, so cannot review it`}}
    }
    const earlier = this.claimed.get(key)
    if (earlier !== undefined) {
      return {refusal: {rule: 'repeat', reason: `a review of property ${propertyId} by ${reviewer.username} repeats line ${earlier}`}}
    }
    const id = this.reviews.get(key)
    if (id !== undefined && !options.upsert) {
      return {refusal: {rule: 'reviewed', reason: `${who} already reviewed property ${propertyId} (review ${id})`, reviewId: id}}
    }
    if (line !== undefined) this.claimed.set(key, line)
    return id === undefined ? {} : {update: id}
  }
}

/** The loader: the confirmed stays and the reviews of the (property, reviewer) pairs, as a ReviewBook for today. */
export async function loadReviewBook(
  ctx: ServiceContext,
  transaction: Transaction,
  pairs: {propertyId: number; reviewerId: number}[],
): Promise<ReviewBook> {
  const day = today()
  if (pairs.length === 0) return new ReviewBook([], [], day)
  const replacements = {propertyIds: [...new Set(pairs.map((p) => p.propertyId))], reviewerIds: [...new Set(pairs.map((p) => p.reviewerId))]}
  const stays = await ctx.db.sequelize.query<{propertyId: number; guestId: number; endDate: string}>(
    'SELECT property_id AS propertyId, guest_id AS guestId, MIN(end_date) AS endDate FROM bookings' +
      " WHERE property_id IN (:propertyIds) AND guest_id IN (:reviewerIds) AND status = 'confirmed' GROUP BY property_id, guest_id",
    {replacements, transaction, type: QueryTypes.SELECT},
  )
  const reviews = await ctx.db.sequelize.query<{id: number; propertyId: number; reviewerId: number}>(
    'SELECT id, property_id AS propertyId, reviewer_id AS reviewerId FROM reviews WHERE property_id IN (:propertyIds) AND reviewer_id IN (:reviewerIds)',
    {replacements, transaction, type: QueryTypes.SELECT},
  )
  return new ReviewBook(
    stays.map((s) => ({propertyId: Number(s.propertyId), guestId: Number(s.guestId), endDate: dateOnly(s.endDate)})),
    reviews.map((r) => ({id: Number(r.id), propertyId: Number(r.propertyId), reviewerId: Number(r.reviewerId)})),
    day,
  )
}
