/**
 * The one bcrypt hash format (src/bcrypt-hash.ts) behind its two uses: what an import accepts
 * as a stored hash, and what the SQL log and the GraphQL request log mask. Every hash the
 * validator accepts must be masked by both logs, whichever of them changes.
 */
import {expect} from 'chai'

import {parseDatabaseUrl} from '../../src/config/database-url.js'
import {createSequelize} from '../../src/db/connection.js'
import {ValidationError} from '../../src/errors.js'
import {redact} from '../../src/graphql/request-log.js'
import {checkPasswordHash} from '../../src/services/rules/users.js'

const SALT_AND_DIGEST = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'.slice(0, 53)

/** Hash-shaped texts of every version letter $2a$…$2z$, at two costs. */
const CANDIDATES = [...'abcdefghijklmnopqrstuvwxyz'].flatMap((version) => ['04', '12'].map((cost) => `$2${version}$${cost}$${SALT_AND_DIGEST}`))

function accepted(hash: string): boolean {
  try {
    checkPasswordHash(hash)
    return true
  } catch (error) {
    if (error instanceof ValidationError) return false
    throw error
  }
}

/** What the SQL log (STAYCTL_LOG_SQL) shows of a statement naming each of `hashes`. */
async function sqlLogOf(hashes: string[]): Promise<string[]> {
  const logged: string[] = []
  const sequelize = await createSequelize(parseDatabaseUrl('sqlite::memory:'), {logSql: (sql) => logged.push(sql)})
  try {
    for (const hash of hashes) await sequelize.query(`SELECT '${hash}' AS h`)
  } finally {
    await sequelize.close()
  }
  return logged.filter((line) => line.includes('SELECT'))
}

describe('bcrypt hashes: one format for the validator and the log masks', () => {
  const valid = CANDIDATES.filter(accepted)

  it('accepts $2a$, $2b$ and $2y$ hashes as stored hashes, and no other version', () => {
    expect([...new Set(valid.map((hash) => hash.slice(0, 4)))]).to.deep.equal(['$2a$', '$2b$', '$2y$'])
  })

  it('masks every hash the validator accepts in the request log', () => {
    for (const hash of valid) expect(redact(`hash ${hash} end`), hash).to.equal('hash [hash] end')
  })

  it('masks every hash the validator accepts in the SQL log', async () => {
    const lines = await sqlLogOf(valid)
    expect(lines).to.have.length(valid.length)
    for (const line of lines) {
      expect(line).to.include("'[hash]'")
      expect(line).not.to.include('$2')
    }
  })

  it('masks $2x$ hashes in both logs, though the validator refuses them', async () => {
    const hash = `$2x$10$${SALT_AND_DIGEST}`
    expect(accepted(hash)).to.equal(false)
    expect(redact(hash)).to.equal('[hash]')
    const [line] = await sqlLogOf([hash])
    expect(line).to.include("'[hash]'")
  })
})
