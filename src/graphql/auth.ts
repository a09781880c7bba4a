/**
 * The one place where the GraphQL layer meets authentication: the functions of
 * src/services/auth.ts (login with per-account throttling, tokens stored as hashes), with the
 * signatures the resolvers call.
 */
export {authenticate, createToken, listTokens, login, logout, revokeToken} from '../services/auth.js'
export {anonymousActor} from '../services/context.js'
