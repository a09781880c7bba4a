/**
 * Importing reviews: the rules of `reviews create` for a batch at once. The reviewer needs a
 * confirmed stay at the property that ended by today; one review per (property, reviewer),
 * which is the natural key (--upsert updates the rating and comment); ratings 1–5.
 */
import {type Cell} from '../../db/bulk.js'
import {checkComment, checkRating, loadReviewBook} from '../rules/reviews.js'
import {check, createdAt, propertyFields, required, text} from './fields.js'
import {resolveProperties, type PropertyQuery} from '../refs/properties.js'
import {resolveUsers} from '../refs/users.js'
import {insertImported, type BatchOutcome, type EntityImporter} from './types.js'

export interface ReviewRecord {
  property: string
  propertyOwner?: string
  reviewer: string
  rating: number
  comment: string | null
  createdAt: Date
}

const columns = ['property_id', 'reviewer_id', 'rating', 'comment', 'created_at']

export const reviewsImporter: EntityImporter<ReviewRecord> = {
  entity: 'reviews',
  fields: [
    ...propertyFields(true),
    {name: 'reviewer', aliases: ['reviewerId', 'guest', 'author', 'user'], required: true},
    {name: 'rating', aliases: ['stars', 'score'], required: true},
    {name: 'comment', aliases: ['text', 'body']},
    {name: 'createdAt', aliases: ['created']},
  ],

  parse(values) {
    return {
      property: required(values, 'property', 'an id or a name'),
      propertyOwner: text(values, 'propertyOwner')?.trim(),
      reviewer: required(values, 'reviewer', 'a user id, username or email'),
      rating: check('rating', () => checkRating(required(values, 'rating', 'a whole number from 1 to 5').trim())),
      comment: check('comment', () => checkComment(text(values, 'comment'))),
      createdAt: createdAt(values),
    }
  },

  async write(ctx, transaction, rows, options): Promise<BatchOutcome> {
    const rejected: BatchOutcome['rejected'] = []
    const reject = (index: number, field: string, reason: string) => rejected.push({index, field, reason})
    const query = (r: ReviewRecord): PropertyQuery => ({property: r.property, owner: r.propertyOwner})
    const [properties, users] = await Promise.all([
      resolveProperties(ctx, transaction, rows.map((r) => query(r.record)), options.cache),
      resolveUsers(ctx, transaction, rows.map((r) => r.record.reviewer), options.cache),
    ])
    const resolved = rows.map((row) => ({property: properties(query(row.record)), reviewer: users(row.record.reviewer)}))
    // Who may review what (a confirmed stay that has ended), and the reviews that exist already.
    const book = await loadReviewBook(
      ctx,
      transaction,
      resolved.flatMap((r) => (r.property.property && r.reviewer ? [{propertyId: r.property.property.id, reviewerId: r.reviewer.id}] : [])),
    )

    const inserts: {index: number; cells: Cell[]}[] = []
    let updated = 0
    for (const [index, row] of rows.entries()) {
      const r = row.record
      const {property, reviewer} = resolved[index]
      if (property.error !== undefined) {
        reject(index, 'property', property.error)
        continue
      }
      if (!reviewer) {
        reject(index, 'reviewer', `unknown reviewer "${r.reviewer}"`)
        continue
      }
      const verdict = book.admit(property.property.id, reviewer, row.line, options)
      if (verdict.refusal) {
        reject(index, 'reviewer', verdict.refusal.rule === 'reviewed' ? `${verdict.refusal.reason}; use --upsert to update it` : verdict.refusal.reason)
      } else if (verdict.update !== undefined) {
        await ctx.db.models.Review.update({rating: r.rating, comment: r.comment}, {where: {id: verdict.update}, transaction})
        updated += 1
      } else {
        inserts.push({index, cells: [property.property.id, reviewer.id, r.rating, r.comment, r.createdAt]})
      }
    }

    const result = await insertImported(ctx, transaction, {
      table: 'reviews',
      columns,
      rows: inserts.map((i) => i.cells),
      uniqueKeys: [{index: 'reviews_property_reviewer_unique', columns: ['property_id', 'reviewer_id']}],
    })
    for (const duplicate of result.duplicates) {
      const {index} = inserts[duplicate.row]
      reject(index, 'reviewer', `${rows[index].record.reviewer} already reviewed this property`)
    }
    return {inserted: result.inserted, updated, rejected}
  },
}
