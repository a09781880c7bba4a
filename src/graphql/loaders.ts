/**
 * Per-request DataLoaders, one for every relation (by id, and by foreign key with the page
 * asked), over the batched reads of src/services/relations.ts. Fields resolved in the same
 * tick share one statement: 50 properties with owner and reviews (and reviewers) cost four.
 * Loaders live in the request context and die with it, so nothing is cached across requests
 * (or processes).
 *
 * The loaders by id also answer `peek(id)`: the row this request has already loaded, without
 * a promise. Resolvers of a page of children load the rows those children refer to (when the
 * query asks for them) before returning the page, so that the fields below resolve without
 * promises: thousands of them per request cost more in graphql-js than the statements do.
 */
import DataLoader from 'dataloader'

import type {ServiceContext} from '../services/context.js'
import type {Page} from '../services/pagination.js'
import type {PaymentView} from '../services/payments.js'
import {
  bookingsByIds,
  childrenOf,
  paymentTotalsOf,
  paymentsByIds,
  propertiesByIds,
  ratingsOf,
  refundableOf,
  upcomingBookingsOf,
  usersByIds,
  type ChildPageInput,
  type ChildRelation,
} from '../services/relations.js'

interface ChildKey {
  parentId: number
  input: ChildPageInput
  /** The input as text: keys with the same one share a statement. */
  signature: string
}

type ChildrenOf = typeof childrenOf
type ChildPage<R extends ChildRelation> = Awaited<ReturnType<typeof childrenOf<R>>>[number]

/** Batches keys by their page input (usually all the same): one statement per distinct input. */
function childLoader(ctx: ServiceContext, relation: ChildRelation): DataLoader<ChildKey, Page<unknown>, string> {
  return new DataLoader<ChildKey, Page<unknown>, string>(
    async (keys) => {
      const groups = new Map<string, number[]>()
      keys.forEach((key, i) => {
        const group = groups.get(key.signature)
        if (group) group.push(i)
        else groups.set(key.signature, [i])
      })
      const results: Page<unknown>[] = new Array(keys.length)
      await Promise.all(
        [...groups.values()].map(async (indexes) => {
          const pages = await (childrenOf as ChildrenOf)(ctx, relation, indexes.map((i) => keys[i].parentId), keys[indexes[0]].input)
          indexes.forEach((keyIndex, i) => (results[keyIndex] = pages[i]))
        }),
      )
      return results
    },
    {cacheKeyFn: (key) => `${key.parentId}|${key.signature}`},
  )
}

/** Rows by id (null: none), batched and cached for the request, and readable once loaded. */
export class ByIdLoader<V> {
  readonly #loaded = new Map<number, V | null>()
  readonly #loader: DataLoader<number, V | null>

  constructor(read: (ids: readonly number[]) => Promise<(V | null)[]>) {
    this.#loader = new DataLoader(async (ids: readonly number[]) => {
      const values = await read(ids)
      for (let i = 0; i < ids.length; i++) this.#loaded.set(ids[i], values[i])
      return values
    })
  }

  load(id: number): Promise<V | null> {
    return this.#loader.load(id)
  }

  /** Loads all of `ids` (one statement for those not loaded yet); afterwards peek() answers for them. */
  async preload(ids: readonly number[]): Promise<void> {
    const missing = ids.filter((id) => !this.#loaded.has(id))
    if (missing.length > 0) await this.#loader.loadMany(missing)
  }

  /** The row loaded for `id` in this request (null: there is none), or undefined when not loaded yet. */
  peek(id: number): V | null | undefined {
    return this.#loaded.get(id)
  }
}

export function createLoaders(ctx: ServiceContext) {
  const children = new Map<ChildRelation, DataLoader<ChildKey, Page<unknown>, string>>()
  return {
    user: new ByIdLoader((ids) => usersByIds(ctx, ids)),
    property: new ByIdLoader((ids) => propertiesByIds(ctx, ids)),
    booking: new ByIdLoader((ids) => bookingsByIds(ctx, ids)),
    payment: new ByIdLoader((ids) => paymentsByIds(ctx, ids)),
    rating: new DataLoader((ids: readonly number[]) => ratingsOf(ctx, ids)),
    upcomingBookings: new DataLoader((ids: readonly number[]) => upcomingBookingsOf(ctx, ids)),
    paymentTotals: new DataLoader((ids: readonly number[]) => paymentTotalsOf(ctx, ids)),
    refundable: new DataLoader((payments: readonly PaymentView[]) => refundableOf(ctx, payments), {cacheKeyFn: (p) => p.id}),
    /** A page of the children of `parentId` in `relation`. */
    children<R extends ChildRelation>(relation: R, parentId: number, input: ChildPageInput): Promise<ChildPage<R>> {
      if (!children.has(relation)) children.set(relation, childLoader(ctx, relation))
      const normalized: ChildPageInput = {limit: input.limit, cursor: input.cursor, status: input.status, kind: input.kind}
      return children.get(relation)!.load({parentId, input: normalized, signature: JSON.stringify(normalized)}) as Promise<ChildPage<R>>
    },
  }
}

export type Loaders = ReturnType<typeof createLoaders>
