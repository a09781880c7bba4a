/**
 * Reviews: only a guest whose confirmed stay at the property has ended may review it, once;
 * ratings are whole numbers from 1 to 5. Anyone may read reviews (as far as they see the
 * property: authz.ts); a guest writes their own, and may change and delete it; admins moderate
 * (change the comment of any, delete any) but never change a guest's rating, which is the
 * guest's alone. Hosts cannot change or delete reviews of their places.
 */
import {Op, type Transaction} from 'sequelize'

import type {Review} from '../db/models.js'
import {rowOf, type RowOf} from '../db/select.js'
import {ConflictError, ForbiddenError} from '../errors.js'
import {audit, createAudited, updateAudited} from './audit.js'
import {actingFor, isSelf, requireActingAsSelf, listScopeSql, requireOwnerOrAdmin, requireUser, requireVisible} from './authz.js'
import type {ServiceContext} from './context.js'
import {findById, notFound} from './find.js'
import {listPage, type ListRule, type Page, type PageInput} from './pagination.js'
import {findProperty, findVisibleProperty} from './properties.js'
import {checkComment, checkRating, loadReviewBook} from './rules/reviews.js'
import {conflictIfTaken, inTransaction} from './transaction.js'
import {findUser} from './users.js'

export interface ReviewView {
  id: number
  propertyId: number
  reviewerId: number
  rating: number
  comment: string | null
  createdAt: string
  /** When its rating or comment last changed (createdAt until then). */
  updatedAt: string
}

export function reviewView(review: RowOf<Review>): ReviewView {
  return {
    id: review.id,
    propertyId: Number(review.propertyId),
    reviewerId: Number(review.reviewerId),
    rating: Number(review.rating),
    comment: review.comment,
    createdAt: review.createdAt,
    updatedAt: review.updatedAt,
  }
}

/** A review by id (reviews have no other name); `lock`: the row locked for the rest of `transaction`. */
export function findReview(ctx: ServiceContext, id: number | string, transaction?: Transaction, lock = false): Promise<Review> {
  return findById(ctx.db.models.Review, id, 'review', 'reviews', transaction, {lock})
}

export interface CreateReviewInput {
  property: string | number
  /** id, username or email; the caller when absent. Only admins review for someone else. */
  reviewer?: string | number
  rating: number | string
  comment?: string | null
}

export async function createReview(ctx: ServiceContext, input: CreateReviewInput): Promise<ReviewView> {
  const rating = checkRating(input.rating)
  const comment = checkComment(input.comment)
  const reviewerRef = actingFor(ctx, input.reviewer, 'reviewer', 'review a property')
  return inTransaction(ctx, async (transaction) => {
    const property = await findProperty(ctx, input.property, transaction)
    const reviewer = await findUser(ctx, reviewerRef, transaction)
    requireActingAsSelf(ctx, reviewer.id, 'review a property')
    const verdict = (await loadReviewBook(ctx, transaction, [{propertyId: property.id, reviewerId: reviewer.id}])).admit(property.id, reviewer)
    const refusal = verdict.refusal
    if (refusal?.rule === 'reviewed') {
      throw new ConflictError(`user ${reviewer.id} already reviewed property ${property.id} (review ${refusal.reviewId})`, {
        details: {reviewId: refusal.reviewId},
      })
    }
    if (refusal) throw new ConflictError(refusal.reason)
    const review = await createAudited(
      ctx,
      transaction,
      ctx.db.models.Review,
      {propertyId: property.id, reviewerId: reviewer.id, rating, comment},
      {
        action: 'review.create',
        entity: 'review',
        changes: {propertyId: property.id, reviewerId: reviewer.id, rating},
        ifTaken: conflictIfTaken(`user ${reviewer.id} already reviewed property ${property.id}`),
      },
    )
    return reviewView(rowOf(review))
  })
}

export interface ListReviewsInput extends PageInput {
  property?: string | number
  reviewer?: string | number
  minRating?: number
}

/** What `reviews list` shows (authz.ts) and sorts by. */
export const reviewList: ListRule = {scope: (ctx) => listScopeSql(ctx, 'Review'), sortable: ['rating', 'createdAt']}

export async function listReviews(ctx: ServiceContext, input: ListReviewsInput = {}): Promise<Page<ReviewView>> {
  return listPage(ctx, reviewList, {model: ctx.db.models.Review, view: reviewView, input}, async () => [
    input.property !== undefined && {propertyId: (await findVisibleProperty(ctx, input.property)).id},
    input.reviewer !== undefined && {reviewerId: (await findUser(ctx, input.reviewer)).id},
    input.minRating !== undefined && {rating: {[Op.gte]: checkRating(input.minRating)}},
  ])
}

/** One review: anyone, as far as they see its property (a review is as visible as its listing, authz.ts). */
export async function showReview(ctx: ServiceContext, id: number): Promise<ReviewView> {
  const review = await findReview(ctx, id)
  await requireVisible(ctx, 'Review', review.id, () => notFound(id, 'review', 'reviews'))
  return reviewView(rowOf(review))
}

export interface UpdateReviewInput {
  /** 1 to 5: the review's author only. */
  rating?: number | string
  /** The new text; null or blank removes it. */
  comment?: string | null
}

/**
 * Changes a review's rating and/or comment, checked as `reviews create` checks them
 * (rules/reviews.ts): its author, or an admin moderating its comment. The rating is the
 * author's alone: an admin may not change another user's rating (FORBIDDEN), as staff do not
 * on Airbnb-like platforms; hosts change no review. Nothing given, or nothing different, writes
 * nothing. The audit event records the rating old → new, and only whether the comment was set,
 * changed or cleared: erasure removes review texts, and the trail keeps none of them.
 */
export async function updateReview(ctx: ServiceContext, id: number, input: UpdateReviewInput): Promise<ReviewView> {
  requireUser(ctx, 'change reviews')
  const rating = input.rating === undefined || input.rating === null ? undefined : checkRating(input.rating)
  const comment = input.comment === undefined ? undefined : checkComment(input.comment)
  return inTransaction(ctx, async (transaction) => {
    const review = await findReview(ctx, id, transaction, true)
    requireOwnerOrAdmin(ctx, Number(review.reviewerId), `review ${review.id}`, 'change')
    const author = isSelf(ctx, Number(review.reviewerId))
    if (!author && rating !== undefined && rating !== Number(review.rating)) {
      throw new ForbiddenError(`only its author may change the rating of review ${review.id}`, {
        suggestion: 'leave the rating out: an admin may change the comment, or delete the review',
      })
    }
    const before = reviewView(rowOf(review))
    await updateAudited(ctx, transaction, review, {rating, comment}, {action: 'review.update', entity: 'review', before, withheld: ['comment']})
    return reviewView(rowOf(review))
  })
}

/** Deletes a review: its author, or an admin (moderation). */
export async function deleteReview(ctx: ServiceContext, id: number): Promise<{id: number; deleted: true}> {
  requireUser(ctx, 'delete reviews')
  return inTransaction(ctx, async (transaction) => {
    const review = await findReview(ctx, id, transaction)
    requireOwnerOrAdmin(ctx, Number(review.reviewerId), `review ${review.id}`, 'delete')
    await review.destroy({transaction})
    await audit(ctx, transaction, {
      action: 'review.delete',
      entity: 'review',
      entityId: review.id,
      changes: {propertyId: Number(review.propertyId), rating: review.rating},
    })
    return {id: review.id, deleted: true as const}
  })
}
