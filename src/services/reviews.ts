/**
 * Reviews: only a guest whose confirmed stay at the property has ended may review it, once;
 * ratings are whole numbers from 1 to 5. Anyone may read reviews; a guest writes their own
 * and may delete it; admins moderate (delete any). Hosts cannot delete reviews of their places.
 */
import {Op} from 'sequelize'

import type {Review} from '../db/models.js'
import {rowOf, type RowOf} from '../db/select.js'
import {ConflictError, ForbiddenError, NotFoundError} from '../errors.js'
import {audit, createAudited} from './audit.js'
import {actingFor, isAdmin, isSelf, requireActingAsSelf, listScopeSql, requireUser} from './authz.js'
import type {ServiceContext} from './context.js'
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
}

export function reviewView(review: RowOf<Review>): ReviewView {
  return {
    id: review.id,
    propertyId: Number(review.propertyId),
    reviewerId: Number(review.reviewerId),
    rating: Number(review.rating),
    comment: review.comment,
    createdAt: review.createdAt,
  }
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

/** Deletes a review: its author, or an admin (moderation). */
export async function deleteReview(ctx: ServiceContext, id: number): Promise<{id: number; deleted: true}> {
  requireUser(ctx, 'delete reviews')
  return inTransaction(ctx, async (transaction) => {
    const review = await ctx.db.models.Review.findByPk(id, {transaction})
    if (!review) throw new NotFoundError(`no review ${id}`)
    if (!isAdmin(ctx) && !isSelf(ctx, Number(review.reviewerId))) throw new ForbiddenError(`review ${id} is not yours to delete`)
    await review.destroy({transaction})
    await audit(ctx, transaction, {
      action: 'review.delete',
      entity: 'review',
      entityId: id,
      changes: {propertyId: Number(review.propertyId), rating: review.rating},
    })
    return {id, deleted: true as const}
  })
}
