/**
 * The GraphQL schema (SDL first). Types mirror the views of src/services (same field names,
 * same values: ids are Int, money a decimal string, stay dates YYYY-MM-DD), so a remote
 * client gets exactly what the local operations return. Lists are cursor connections with
 * `nodes` and `pageInfo`; `first` is 1–100 (default 20). There is no password hash anywhere,
 * except in `exportPage` with includePasswordHashes: admins only, as `stayctl export
 * --include-password-hashes` gives them locally.
 *
 * The SDL is kept in parts under schema/, joined here in this order, which is the order of
 * the types in the printed schema.
 */
import {scalars} from './schema/scalars.js'
import {entities} from './schema/entities.js'
import {access} from './schema/access.js'
import {connections} from './schema/connections.js'
import {query} from './schema/query.js'
import {inputs} from './schema/inputs.js'
import {payloads} from './schema/payloads.js'
import {mutation} from './schema/mutation.js'
import {blocks} from './schema/blocks.js'
import {calendar} from './schema/calendar.js'

export const typeDefs = [scalars, entities, access, connections, query, inputs, payloads, mutation, blocks, calendar].join('')
