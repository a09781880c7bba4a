/**
 * The bcrypt hash format, written once for the two uses of it: accepting a stored hash (imports'
 * passwordHash, the cost a login reads from a user's hash) and masking hashes in logs (the SQL
 * log, the GraphQL request log). The mask is built from the validator's prefixes plus $2x$, so
 * every hash stayctl accepts is also masked. Imports nothing, so src/db can use it as well.
 */

/** The bcrypt versions accepted as a stored hash: $2a$, $2b$, $2y$. */
const ACCEPTED_VERSIONS = 'aby'

/** After `$2<version>`: the two-digit cost and the 53 characters of salt and digest (60 in all). */
const COST_SALT_DIGEST = String.raw`\$\d{2}\$[./A-Za-z0-9]{53}`

/** A whole stored bcrypt hash ($2a$/$2b$/$2y$, 60 characters), nothing before or after. */
export const BCRYPT_HASH = new RegExp(String.raw`^\$2[${ACCEPTED_VERSIONS}]${COST_SALT_DIGEST}$`)

/** Every bcrypt hash within a text, $2x$ too (a log masks more than an import accepts); global, for `replace`. */
export const BCRYPT_HASHES_IN_TEXT = new RegExp(String.raw`\$2[${ACCEPTED_VERSIONS}x]${COST_SALT_DIGEST}`, 'g')
