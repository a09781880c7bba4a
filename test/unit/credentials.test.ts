/**
 * The stored session tokens (src/config/credentials.ts): one per server, in a file of mode
 * 0600 whatever the umask or the mode of the file it replaces (acceptance 4), STAYCTL_TOKEN
 * before a stored token, and no token in the error about an unreadable file.
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {credentialsFilePath, removeSession, resolveToken, saveSession, serverKey, storedSession, tokenFor} from '../../src/config/credentials.js'
import {configDir} from '../../src/config/paths.js'
import {StayctlError} from '../../src/errors.js'
import {tempFolder} from '../support/isolated-env.js'

const TOKEN_A = `stay_s_${'A'.repeat(43)}`
const TOKEN_B = `stay_s_${'B'.repeat(43)}`
const API_TOKEN = `stay_t_${'C'.repeat(43)}`

function tempEnv(): NodeJS.ProcessEnv {
  const home = tempFolder('stayctl-cred-')
  return {HOME: home, XDG_CONFIG_HOME: path.join(home, 'config')}
}

const session = (token: string, username = 'ada') => ({token, username, userId: 1, expiresAt: '2030-01-01T00:00:00.000Z', tokenId: 7})
const mode = (file: string) => fs.statSync(file).mode & 0o777

describe('credentials (unit)', () => {
  it('stores one session per server, keyed by its normalised URL, in a 0600 file in a 0700 folder', async () => {
    const env = tempEnv()
    const file = await saveSession('https://Admin.Example.com:443/graphql', session(TOKEN_A), env)
    await saveSession('http://127.0.0.1:4000/graphql', session(TOKEN_B, 'bob'), env)
    expect(file).to.equal(credentialsFilePath(env))
    expect(mode(file)).to.equal(0o600)
    expect(mode(configDir(env))).to.equal(0o700)
    expect(serverKey('https://Admin.Example.com:443/graphql')).to.equal('https://admin.example.com/graphql')
    expect(storedSession('https://admin.example.com/graphql', env)).to.include({token: TOKEN_A, username: 'ada'})
    expect(tokenFor('http://127.0.0.1:4000/graphql', env)).to.equal(TOKEN_B)
    expect(tokenFor('http://127.0.0.1:4001/graphql', env)).to.equal(undefined)
    expect(fs.readdirSync(configDir(env))).to.deep.equal(['credentials.json'])
  })

  it('the file is 0600 even under umask 000, and replacing a wider file makes it 0600', async () => {
    const env = tempEnv()
    const file = credentialsFilePath(env)
    fs.mkdirSync(path.dirname(file), {recursive: true})
    fs.writeFileSync(file, JSON.stringify({sessions: {}}), {mode: 0o644})
    fs.chmodSync(file, 0o644)
    const saved = process.umask(0)
    try {
      await saveSession('https://a.example/graphql', session(TOKEN_A), env)
    } finally {
      process.umask(saved)
    }
    expect(mode(file)).to.equal(0o600)
  })

  it('STAYCTL_TOKEN wins over a stored session; an empty one does not count', async () => {
    const env = tempEnv()
    await saveSession('https://a.example/graphql', session(TOKEN_A), env)
    expect(resolveToken('https://a.example/graphql', {...env, STAYCTL_TOKEN: API_TOKEN})).to.deep.equal({token: API_TOKEN, source: 'env STAYCTL_TOKEN'})
    expect(resolveToken('https://other.example/graphql', {...env, STAYCTL_TOKEN: API_TOKEN})?.token).to.equal(API_TOKEN)
    expect(resolveToken('https://a.example/graphql', {...env, STAYCTL_TOKEN: ''})).to.deep.equal({token: TOKEN_A, source: 'login'})
  })

  it('removeSession forgets one server and returns what it held; removing nothing is no error', async () => {
    const env = tempEnv()
    await saveSession('https://a.example/graphql', session(TOKEN_A), env)
    await saveSession('https://b.example/graphql', session(TOKEN_B), env)
    expect(await removeSession('https://a.example/graphql', env)).to.include({token: TOKEN_A})
    expect(await removeSession('https://a.example/graphql', env)).to.equal(undefined)
    expect(Object.keys(JSON.parse(fs.readFileSync(credentialsFilePath(env), 'utf8')).sessions)).to.deep.equal(['https://b.example/graphql'])
    expect(mode(credentialsFilePath(env))).to.equal(0o600)
  })

  it('an unreadable credentials file is a usage error that does not quote it', async () => {
    const env = tempEnv()
    fs.mkdirSync(configDir(env), {recursive: true})
    fs.writeFileSync(credentialsFilePath(env), `{"sessions": ${TOKEN_A}`)
    let error: unknown
    try {
      tokenFor('https://a.example/graphql', env)
    } catch (caught) {
      error = caught
    }
    expect(error).to.be.instanceOf(StayctlError)
    expect((error as StayctlError).kind).to.equal('USAGE')
    expect((error as StayctlError).message).to.include('cannot be read as stayctl credentials')
    expect(JSON.stringify({...(error as StayctlError), message: (error as Error).message})).not.to.include(TOKEN_A)
  })
})
