/**
 * Which columns each GraphQL type needs: the one place that knows which key of a service's
 * view (see ViewKeys in src/services/relations.ts) each field of the schema reads. The
 * request's loaders (loaders.ts) take what a document asks of each type, so that a query for
 * reviewers' usernames does not read their e-mail addresses; the services only ever see a
 * plain list of keys.
 */
import {TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema} from 'graphql'

/** The view keys a document reads of each object type, by type name. */
export type AskedKeys = ReadonlyMap<string, readonly string[]>

/**
 * The keys of its parent's view each field with a resolver reads (itself or through the
 * loaders); every other field reads the key of its name. The loaders read only the columns
 * of the keys a query asks for, so this must name every key a resolver (resolvers.ts) reads.
 */
const FIELD_SOURCES: Record<string, Record<string, string[]>> = {
  User: {properties: ['id'], bookings: ['id'], reviews: ['id']},
  Property: {owner: ['ownerId'], averageRating: ['id'], reviewCount: ['id'], upcomingBookings: ['id'], bookings: ['id'], reviews: ['id'], blocks: ['id']},
  Booking: {property: ['propertyId'], guest: ['guestId'], payments: ['id'], paid: ['id'], refunded: ['id']},
  Review: {property: ['propertyId'], reviewer: ['reviewerId']},
  Block: {property: ['propertyId']},
  Payment: {booking: ['bookingId'], refundOf: ['refundOfId'], refunds: ['id'], refundable: ['id', 'kind', 'status', 'amount']},
}

const askedKeys = new WeakMap<DocumentNode, AskedKeys>()

/**
 * The keys of the views the fields of `document` read, per type: those of all its operations
 * and fragments, whatever their directives (more than one execution reads, never less).
 * Computed once per document (yoga keeps parsed documents).
 */
export function viewKeysAsked(schema: GraphQLSchema, document: DocumentNode): AskedKeys {
  let asked = askedKeys.get(document)
  if (!asked) {
    const keys = new Map<string, Set<string>>()
    const typeInfo = new TypeInfo(schema)
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        Field(node) {
          const parent = typeInfo.getParentType()
          const field = node.name.value
          if (!parent || field.startsWith('__')) return
          const set = keys.get(parent.name) ?? new Set<string>()
          keys.set(parent.name, set)
          for (const key of FIELD_SOURCES[parent.name]?.[field] ?? [field]) set.add(key)
        },
      }),
    )
    asked = new Map([...keys].map(([type, set]) => [type, [...set]]))
    askedKeys.set(document, asked)
  }
  return asked
}
