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
 *
 * The loaders read only the columns of what the request's document asks of each type
 * (viewKeysAsked, in projection.ts): a query for reviewers' usernames does not read their
 * e-mail addresses.
 */
import DataLoader from 'dataloader'

import type {ServiceContext} from '../services/context.js'
import type {Page} from '../services/pagination.js'
import type {PaymentView} from '../services/payments.js'
import {
  bookingsByIds,
  childModelOf,
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
  type ViewKeys,
} from '../services/relations.js'
import type {AskedKeys} from './projection.js'

interface ChildKey {
  parentId: number
  input: ChildPageInput
  /** The input as text: keys with the same one share a statement. */
  signature: string
}

type ChildrenOf = typeof childrenOf
type ChildPage<R extends ChildRelation> = Awaited<ReturnType<typeof childrenOf<R>>>[number]

/** Batches keys by their page input (usually all the same): one statement per distinct input. */
function childLoader(ctx: ServiceContext, relation: ChildRelation, keys: ViewKeys): DataLoader<ChildKey, Page<unknown>, string> {
  return new DataLoader<ChildKey, Page<unknown>, string>(
    async (batch) => {
      const groups = new Map<string, number[]>()
      batch.forEach((key, i) => {
        const group = groups.get(key.signature)
        if (group) group.push(i)
        else groups.set(key.signature, [i])
      })
      const results: Page<unknown>[] = new Array(batch.length)
      await Promise.all(
        [...groups.values()].map(async (indexes) => {
          const pages = await (childrenOf as ChildrenOf)(ctx, relation, indexes.map((i) => batch[i].parentId), batch[indexes[0]].input, keys)
          indexes.forEach((keyIndex, i) => (results[keyIndex] = pages[i]))
        }),
      )
      return results
    },
    {cacheKeyFn: (key) => `${key.parentId}|${key.signature}`},
  )
}

/** When DataLoader dispatches a batch: after the promise jobs of the current tick, so all loads of a tick share it. */
function afterPromiseJobs(fn: () => void): void {
  void Promise.resolve().then(() => process.nextTick(fn))
}

/**
 * Rows by id (null: none), batched and cached for the request, and readable once loaded. As a
 * DataLoader (the ids asked in one tick share one statement; an id is read once per request),
 * but one promise per batch rather than per id: a page of children preloads hundreds of ids.
 */
export class ByIdLoader<V> {
  readonly #loaded = new Map<number, V | null>()
  /** Ids being read, and the batch reading them. */
  readonly #reading = new Map<number, Promise<void>>()
  /** Ids for the next batch, and that batch. */
  #queue: number[] = []
  #next: Promise<void> | undefined
  readonly #read: (ids: readonly number[]) => Promise<(V | null)[]>

  constructor(read: (ids: readonly number[]) => Promise<(V | null)[]>) {
    this.#read = read
  }

  /** The batch that reads `id` (it is neither loaded nor being read). */
  #enqueue(id: number): Promise<void> {
    const reading = this.#reading.get(id)
    if (reading) return reading
    this.#next ??= new Promise<void>((resolve, reject) =>
      afterPromiseJobs(() => {
        const ids = this.#queue
        this.#queue = []
        this.#next = undefined
        this.#readBatch(ids).then(resolve, reject)
      }),
    )
    this.#queue.push(id)
    this.#reading.set(id, this.#next)
    return this.#next
  }

  async #readBatch(ids: number[]): Promise<void> {
    try {
      const values = await this.#read(ids)
      for (let i = 0; i < ids.length; i++) this.#loaded.set(ids[i], values[i])
    } finally {
      for (const id of ids) this.#reading.delete(id)
    }
  }

  load(id: number): Promise<V | null> {
    if (this.#loaded.has(id)) return Promise.resolve(this.#loaded.get(id)!)
    return this.#enqueue(id).then(() => this.#loaded.get(id) ?? null)
  }

  /** Loads all of `ids` (one statement for those not loaded yet); afterwards peek() answers for them. */
  preload(ids: readonly number[]): Promise<void> {
    let batch: Promise<void> | undefined
    let batches: Set<Promise<void>> | undefined
    for (const id of ids) {
      if (this.#loaded.has(id)) continue
      const next = this.#enqueue(id)
      if (batch === undefined) batch = next
      else if (next !== batch) (batches ??= new Set([batch])).add(next)
    }
    return batches ? Promise.all(batches).then(() => undefined) : (batch ?? Promise.resolve())
  }

  /** The row loaded for `id` in this request (null: there is none), or undefined when not loaded yet. */
  peek(id: number): V | null | undefined {
    return this.#loaded.get(id)
  }
}

/** The loaders of one request; `asked`: what its document reads of each type (all of every type when not given). */
export function createLoaders(ctx: ServiceContext, asked?: AskedKeys) {
  const children = new Map<ChildRelation, DataLoader<ChildKey, Page<unknown>, string>>()
  // A type the document does not name is read whole (it is not read at all in practice).
  const keysOf = (type: string): ViewKeys => asked?.get(type)
  return {
    /** The view keys the request's document reads of `type` (see ViewKeys), for reads of its own. */
    keysOf,
    user: new ByIdLoader((ids) => usersByIds(ctx, ids, keysOf('User'))),
    property: new ByIdLoader((ids) => propertiesByIds(ctx, ids, keysOf('Property'))),
    booking: new ByIdLoader((ids) => bookingsByIds(ctx, ids, keysOf('Booking'))),
    payment: new ByIdLoader((ids) => paymentsByIds(ctx, ids, keysOf('Payment'))),
    rating: new DataLoader((ids: readonly number[]) => ratingsOf(ctx, ids)),
    upcomingBookings: new DataLoader((ids: readonly number[]) => upcomingBookingsOf(ctx, ids)),
    paymentTotals: new DataLoader((ids: readonly number[]) => paymentTotalsOf(ctx, ids)),
    refundable: new DataLoader((payments: readonly PaymentView[]) => refundableOf(ctx, payments), {cacheKeyFn: (p) => p.id}),
    /** A page of the children of `parentId` in `relation`. */
    children<R extends ChildRelation>(relation: R, parentId: number, input: ChildPageInput): Promise<ChildPage<R>> {
      if (!children.has(relation)) children.set(relation, childLoader(ctx, relation, keysOf(childModelOf(relation))))
      const normalized: ChildPageInput = {limit: input.limit, cursor: input.cursor, status: input.status, kind: input.kind}
      return children.get(relation)!.load({parentId, input: normalized, signature: JSON.stringify(normalized)}) as Promise<ChildPage<R>>
    },
  }
}

export type Loaders = ReturnType<typeof createLoaders>
