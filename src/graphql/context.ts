/**
 * The context of one GraphQL request. `service` (the ServiceContext every operation takes:
 * the database, the actor from the Bearer token, via 'graphql') and `loaders` are set just
 * before execution, once the limits have passed: a request that is refused never
 * authenticates, and so never touches the database.
 */
import type {Db} from '../db/index.js'
import type {ServiceContext} from '../services/context.js'
import type * as auth from './auth.js'
import type {Loaders} from './loaders.js'

/** The authentication functions the resolvers call (src/graphql/auth.ts; tests may pass others). */
export type AuthService = Pick<typeof auth, 'anonymousActor' | 'authenticate' | 'createToken' | 'listTokens' | 'login' | 'logout' | 'revokeToken'>

export interface GraphQLContext {
  db: Db
  auth: AuthService
  /** The Bearer token of the request, when it carries one. */
  token?: string
  service: ServiceContext
  loaders: Loaders
  /** Whether root lists may run as one compiled statement (sql/index.ts; ServerOptions.compileSql). */
  compileSql: boolean
}
