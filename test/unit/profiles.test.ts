/**
 * Profiles and the API URL in the settings lookup (flag → env → profile → config file →
 * default), and the config file editing behind `stayctl config set|unset|get|list`: checked
 * values, profiles created and removed, atomic replacement, file modes.
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {effectiveSetting, listConfig, setConfigValue, unsetConfigValue} from '../../src/config/config-file.js'
import {withFileLock, writeFileAtomic} from '../../src/config/files.js'
import {configDir, configFilePath} from '../../src/config/paths.js'
import {activeProfile, clearConfigCache, resolveIntSetting, resolveSetting, selectProfile, settingOf} from '../../src/config/settings.js'
import {StayctlError} from '../../src/errors.js'
import {tempFolder} from '../support/isolated-env.js'

function envWith(config?: Record<string, unknown>, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = tempFolder('stayctl-profiles-')
  const env: NodeJS.ProcessEnv = {HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), XDG_DATA_HOME: path.join(home, 'data'), ...extra}
  if (config) {
    fs.mkdirSync(configDir(env), {recursive: true})
    fs.writeFileSync(configFilePath(env), JSON.stringify(config))
  }
  return env
}

async function rejection(promise: Promise<unknown> | (() => unknown)): Promise<StayctlError> {
  try {
    await (typeof promise === 'function' ? promise() : promise)
  } catch (error) {
    expect(error).to.be.instanceOf(StayctlError)
    return error as StayctlError
  }
  throw new Error('expected an error')
}

const readJson = (env: NodeJS.ProcessEnv) => JSON.parse(fs.readFileSync(configFilePath(env), 'utf8'))
const mode = (file: string) => fs.statSync(file).mode & 0o777

describe('settings: profiles and apiUrl (unit)', () => {
  afterEach(() => {
    clearConfigCache()
    selectProfile(undefined)
  })

  const config = {
    apiUrl: 'https://top.example/graphql',
    databaseUrl: 'sqlite:/top.sqlite',
    profiles: {
      staging: {apiUrl: 'https://staging.example/graphql', databaseUrl: 'mysql://app:pw@staging-db/app'},
      bare: {bcryptCost: 6},
    },
  }

  it('apiUrl: --api over STAYCTL_API_URL over the profile over the top level; unset by default', () => {
    const env = envWith(config, {STAYCTL_API_URL: 'https://env.example/graphql', STAYCTL_PROFILE: 'staging'})
    const file = configFilePath(env)
    expect(resolveSetting('apiUrl', 'https://flag.example/graphql', env)).to.include({value: 'https://flag.example/graphql', source: 'flag --api'})
    expect(resolveSetting('apiUrl', undefined, env)).to.include({value: 'https://env.example/graphql', source: 'env STAYCTL_API_URL'})
    delete env.STAYCTL_API_URL
    expect(resolveSetting('apiUrl', undefined, env)).to.include({value: 'https://staging.example/graphql', source: `profile staging in ${file}`})
    delete env.STAYCTL_PROFILE
    expect(resolveSetting('apiUrl', undefined, env)).to.include({value: 'https://top.example/graphql', source: `config file ${file}`})
    expect(resolveSetting('apiUrl', undefined, envWith())).to.include({value: undefined, source: 'default'})
  })

  it('a profile holds only some settings: the others come from the top level, then the default', () => {
    const env = envWith(config, {STAYCTL_PROFILE: 'bare'})
    expect(resolveSetting('apiUrl', undefined, env).value).to.equal('https://top.example/graphql')
    expect(resolveSetting('databaseUrl', undefined, env).value).to.equal('sqlite:/top.sqlite')
    expect(resolveIntSetting('bcryptCost', undefined, {min: 4, max: 31}, env)).to.equal(6)
  })

  it('the --profile flag (selectProfile, or the profile option) wins over STAYCTL_PROFILE', () => {
    const env = envWith(config, {STAYCTL_PROFILE: 'bare'})
    expect(activeProfile(env)).to.deep.equal({name: 'bare', source: 'env STAYCTL_PROFILE'})
    selectProfile('staging')
    expect(activeProfile(env)).to.deep.equal({name: 'staging', source: 'flag --profile'})
    expect(resolveSetting('databaseUrl', undefined, env).value).to.equal('mysql://app:pw@staging-db/app')
    expect(resolveSetting('databaseUrl', undefined, env, {profile: undefined}).value).to.equal('sqlite:/top.sqlite')
    expect(resolveSetting('databaseUrl', undefined, env, {profile: 'bare'}).source).to.equal(`config file ${configFilePath(env)}`)
  })

  it('an unknown profile is a usage error naming it, where it was chosen, and the profiles there are', async () => {
    const env = envWith(config, {STAYCTL_PROFILE: 'prod'})
    const error = await rejection(() => resolveSetting('apiUrl', undefined, env))
    expect(error.kind).to.equal('USAGE')
    expect(error.message).to.equal(`no profile "prod" (from env STAYCTL_PROFILE) in ${configFilePath(env)}; its profiles: staging, bare`)
    expect(error.suggestion).to.include('stayctl config set apiUrl URL --profile prod')
    // Also without a config file at all, and even when a flag would give the value.
    const none = await rejection(() => resolveSetting('databaseUrl', undefined, envWith(), {profile: 'x'}))
    expect(none.message).to.include('it has no profiles')
  })

  it('a config file whose profiles are not objects is a usage error', async () => {
    const error = await rejection(() => resolveSetting('apiUrl', undefined, envWith({profiles: {staging: 'https://x'}})))
    expect(error.kind).to.equal('USAGE')
    expect(error.message).to.include('"profiles" must map each profile name to an object of settings')
  })
})

describe('config file editing (unit)', () => {
  afterEach(() => {
    clearConfigCache()
    selectProfile(undefined)
  })

  it('set writes the top level or a profile, keeps what else the file holds, and is read back at once', async () => {
    const env = envWith({databaseUrl: 'sqlite:/a.sqlite', custom: {kept: true}})
    expect(await setConfigValue('api', 'https://api.example/graphql', {env})).to.deep.equal({
      file: configFilePath(env),
      profile: null,
      key: 'apiUrl',
      value: 'https://api.example/graphql',
      changed: true,
    })
    await setConfigValue('database-url', 'mysql://app:s3cret@db/app', {env, profile: 'staging'})
    await setConfigValue('bcryptCost', ' 10 ', {env, profile: 'staging'})
    expect(readJson(env)).to.deep.equal({
      databaseUrl: 'sqlite:/a.sqlite',
      custom: {kept: true},
      apiUrl: 'https://api.example/graphql',
      profiles: {staging: {databaseUrl: 'mysql://app:s3cret@db/app', bcryptCost: '10'}},
    })
    expect(resolveSetting('databaseUrl', undefined, {...env, STAYCTL_PROFILE: 'staging'}).value).to.equal('mysql://app:s3cret@db/app')
  })

  it('set checks the value and the names before writing anything', async () => {
    const env = envWith()
    const cases: [Promise<unknown>, RegExp][] = [
      [setConfigValue('shoeSize', '42', {env}), /unknown setting "shoeSize"; settings: databaseUrl, bcryptCost, apiUrl/],
      [setConfigValue('apiUrl', 'ftp://x/graphql', {env}), /invalid API URL "ftp:\/\/x\/graphql"/],
      [setConfigValue('apiUrl', 'admin example com', {env}), /invalid API URL/],
      [setConfigValue('databaseUrl', 'postgres://u:pw@h/db', {env}), /unknown scheme "postgres:"/],
      [setConfigValue('bcryptCost', '3', {env}), /bcryptCost must be an integer from 4 to 31, got "3"/],
      [setConfigValue('apiUrl', 'https://x/graphql', {env, profile: '../etc'}), /invalid profile name "..\/etc"/],
    ]
    for (const [promise, message] of cases) {
      const error = await rejection(promise)
      expect(error.kind).to.equal('USAGE')
      expect(error.message).to.match(message)
      expect(error.message).not.to.include(':pw@')
    }
    expect(fs.existsSync(configFilePath(env))).to.equal(false)
  })

  it('a new config file is created with mode 0600 in a 0700 folder; an existing file keeps its mode, unless it holds a password', async () => {
    const env = envWith()
    await setConfigValue('apiUrl', 'https://api.example/graphql', {env})
    expect(mode(configFilePath(env))).to.equal(0o600)
    expect(mode(configDir(env))).to.equal(0o700)
    fs.chmodSync(configFilePath(env), 0o640)
    await setConfigValue('bcryptCost', '11', {env})
    expect(mode(configFilePath(env))).to.equal(0o640)
    // A password, here in a profile: group and others lose their bits, and keep them lost while it is there.
    await setConfigValue('databaseUrl', 'mysql://app:pw@db.internal/stayctl', {env, profile: 'prod'})
    expect(mode(configFilePath(env))).to.equal(0o600)
    fs.chmodSync(configFilePath(env), 0o644)
    await setConfigValue('bcryptCost', '12', {env})
    expect(mode(configFilePath(env))).to.equal(0o600)
    expect(fs.readdirSync(configDir(env)).sort()).to.deep.equal(['config.json'])
  })

  it('unset removes from the top level or a profile; an emptied profile goes; a missing key changes nothing', async () => {
    const env = envWith({apiUrl: 'https://a/graphql', profiles: {staging: {apiUrl: 'https://s/graphql'}, other: {bcryptCost: 5}}})
    expect(await unsetConfigValue('apiUrl', {env, profile: 'staging'})).to.include({changed: true, value: 'https://s/graphql', profile: 'staging'})
    expect(readJson(env)).to.deep.equal({apiUrl: 'https://a/graphql', profiles: {other: {bcryptCost: 5}}})
    expect(await unsetConfigValue('bcryptCost', {env, profile: 'other'})).to.include({changed: true, value: '5'})
    expect(readJson(env)).to.deep.equal({apiUrl: 'https://a/graphql'})
    expect(await unsetConfigValue('databaseUrl', {env})).to.include({changed: false, value: null})
    const error = await rejection(unsetConfigValue('apiUrl', {env, profile: 'gone'}))
    expect(error.message).to.include('no profile "gone"')
  })

  it('set waits for whoever holds the file lock (another stayctl changing the file), so no change is lost', async () => {
    const env = envWith()
    const file = configFilePath(env)
    const order: string[] = []
    // Another process's read-modify-write, with a pause between the read and the write.
    const other = withFileLock(file, async () => {
      const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '{}'
      await new Promise((resolve) => setTimeout(resolve, 300))
      writeFileAtomic(file, JSON.stringify({...JSON.parse(before), bcryptCost: '7'}), 0o600)
      order.push('other')
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    const ours = setConfigValue('apiUrl', 'https://a.example/graphql', {env}).then(() => order.push('set'))
    await Promise.all([other, ours])
    expect(order).to.deep.equal(['other', 'set'])
    expect(readJson(env)).to.deep.equal({bcryptCost: '7', apiUrl: 'https://a.example/graphql'})
  })

  it('get and list show the value in effect with its source, and mask database passwords', async () => {
    const env = envWith(
      {databaseUrl: 'mysql://app:s3cret@db/app', readReplicaUrls: ['mysql://app:s3cret@r1/app', 'mysql://app:s3cret@r2/app'], profiles: {staging: {apiUrl: 'https://s/graphql'}}},
      {STAYCTL_BCRYPT_COST: '9'},
    )
    expect(effectiveSetting('databaseUrl', env)).to.include({key: 'databaseUrl', value: 'mysql://app:****@db/app', source: `config file ${configFilePath(env)}`})
    expect(effectiveSetting('apiUrl', env)).to.include({value: null, source: 'unset'})
    selectProfile('staging')
    const listing = listConfig(env)
    expect(listing).to.deep.include({file: configFilePath(env), profile: 'staging', profiles: ['staging']})
    expect(listing.settings.map((s) => [s.key, s.value, s.source])).to.deep.equal([
      ['databaseUrl', 'mysql://app:****@db/app', `config file ${configFilePath(env)}`],
      ['bcryptCost', '9', 'env STAYCTL_BCRYPT_COST'],
      ['apiUrl', 'https://s/graphql', `profile staging in ${configFilePath(env)}`],
      // A JSON array in the file reads as the comma-separated list the flag and the environment take.
      ['readReplicaUrls', 'mysql://app:****@r1/app,mysql://app:****@r2/app', `config file ${configFilePath(env)}`],
      ['maxReplicaLag', '5', 'default'],
      ['replicaConsistency', 'bounded', 'default'],
    ])
    expect(settingOf('API')).to.equal('apiUrl')
  })

  it('writeFileAtomic never leaves a partial file: a reader sees the old text or the new', () => {
    const dir = tempFolder('stayctl-atomic-')
    const file = path.join(dir, 'f.json')
    writeFileAtomic(file, 'old', 0o600)
    const big = 'x'.repeat(4 * 1024 * 1024)
    writeFileAtomic(file, big, 0o600)
    expect(fs.readFileSync(file, 'utf8')).to.equal(big)
    expect(fs.readdirSync(dir)).to.deep.equal(['f.json'])
  })
})
