/**
 * The settings lookup (flag → env → config file → default), the XDG paths, database URL
 * parsing and password masking.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {Config} from '@oclif/core'
import {expect} from 'chai'

import {carriesPassword, maskUrl, parseDatabaseUrl} from '../../src/config/database-url.js'
import {cacheDir, configDir, configFilePath, dataDir, defaultSqlitePath} from '../../src/config/paths.js'
import {checkApiUrl, clearConfigCache, readConfigFile, resolveIntSetting, resolveSetting, sendsInClear} from '../../src/config/settings.js'
import {StayctlError} from '../../src/errors.js'
import {tempFolder} from '../support/isolated-env.js'

function tempHome(): string {
  return tempFolder('stayctl-config-')
}

/** An environment with only a home, or a home and a config file holding `config`. */
function envWith(config?: Record<string, unknown>, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = tempHome()
  const env: NodeJS.ProcessEnv = {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, 'config'),
    XDG_DATA_HOME: path.join(home, 'data'),
    ...extra,
  }
  if (config) {
    fs.mkdirSync(configDir(env), {recursive: true})
    fs.writeFileSync(configFilePath(env), JSON.stringify(config))
  }
  return env
}

/** Runs fn and returns the StayctlError it throws. */
function thrown(fn: () => unknown): StayctlError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(StayctlError)
    return error as StayctlError
  }
  throw new Error('expected an error')
}

describe('config (unit)', () => {
  afterEach(() => clearConfigCache())

  describe('paths (XDG)', () => {
    it('uses XDG_CONFIG_HOME and XDG_DATA_HOME when set', () => {
      const env = {HOME: '/home/ana', XDG_CONFIG_HOME: '/xdg/config', XDG_DATA_HOME: '/xdg/data'}
      expect(configDir(env)).to.equal('/xdg/config/stayctl')
      expect(dataDir(env)).to.equal('/xdg/data/stayctl')
      expect(configFilePath(env)).to.equal('/xdg/config/stayctl/config.json')
      expect(defaultSqlitePath(env)).to.equal('/xdg/data/stayctl/stayctl.sqlite')
    })

    it('falls back to ~/.config and ~/.local/share', () => {
      const home = os.homedir()
      expect(configDir({})).to.equal(path.join(home, '.config', 'stayctl'))
      expect(dataDir({XDG_DATA_HOME: ''})).to.equal(path.join(home, '.local', 'share', 'stayctl'))
      expect(defaultSqlitePath({})).to.equal(path.join(home, '.local', 'share', 'stayctl', 'stayctl.sqlite'))
    })

    it('STAYCTL_CONFIG names another config file', () => {
      expect(configFilePath({STAYCTL_CONFIG: '/etc/stayctl.json', XDG_CONFIG_HOME: '/xdg'})).to.equal('/etc/stayctl.json')
    })

    it('STAYCTL_CONFIG_DIR, STAYCTL_DATA_DIR and STAYCTL_CACHE_DIR win over XDG', () => {
      const env = {XDG_CONFIG_HOME: '/xdg/config', STAYCTL_CONFIG_DIR: '/c', STAYCTL_DATA_DIR: '/d', STAYCTL_CACHE_DIR: '/k'}
      expect([configDir(env), configFilePath(env), defaultSqlitePath(env), cacheDir(env)]).to.deep.equal(['/c', '/c/config.json', '/d/stayctl.sqlite', '/k'])
    })

    for (const [name, env] of [
      ['XDG', {XDG_CONFIG_HOME: '/xdg/config', XDG_DATA_HOME: '/xdg/data', XDG_CACHE_HOME: '/xdg/cache'}],
      ['STAYCTL_*_DIR', {STAYCTL_CONFIG_DIR: '/c', STAYCTL_DATA_DIR: '/d', STAYCTL_CACHE_DIR: '/k', XDG_DATA_HOME: '/xdg/data'}],
      ['no setting', {}],
    ] as const) {
      it(`are oclif's config, data and cache directories (${name})`, async () => {
        const saved = {...process.env}
        for (const key of Object.keys(process.env)) if (/^(XDG_|STAYCTL_)/.test(key)) delete process.env[key]
        Object.assign(process.env, env)
        try {
          const config = await Config.load({root: path.resolve(import.meta.dirname, '../..')})
          expect([configDir(), dataDir(), cacheDir()]).to.deep.equal([config.configDir, config.dataDir, config.cacheDir])
        } finally {
          for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
          Object.assign(process.env, saved)
        }
      })
    }
  })

  describe('resolveSetting: flag > env > config file > default', () => {
    const fromFile = 'mysql://file@db.example:3306/from_file'

    it('takes the flag over everything', () => {
      const env = envWith({databaseUrl: fromFile}, {STAYCTL_DATABASE_URL: 'sqlite:env.sqlite', DATABASE_URL: 'sqlite:other'})
      const resolved = resolveSetting('databaseUrl', 'sqlite:flag.sqlite', env)
      expect(resolved).to.include({value: 'sqlite:flag.sqlite', source: 'flag --database-url'})
    })

    it('takes STAYCTL_DATABASE_URL before DATABASE_URL', () => {
      const env = envWith({databaseUrl: fromFile}, {STAYCTL_DATABASE_URL: 'sqlite:a.sqlite', DATABASE_URL: 'sqlite:b.sqlite'})
      expect(resolveSetting('databaseUrl', undefined, env)).to.include({
        value: 'sqlite:a.sqlite',
        source: 'env STAYCTL_DATABASE_URL',
      })
      delete env.STAYCTL_DATABASE_URL
      expect(resolveSetting('databaseUrl', undefined, env)).to.include({value: 'sqlite:b.sqlite', source: 'env DATABASE_URL'})
    })

    it('treats empty flag and env values as unset', () => {
      const env = envWith({databaseUrl: fromFile}, {STAYCTL_DATABASE_URL: '', DATABASE_URL: ''})
      const resolved = resolveSetting('databaseUrl', '', env)
      expect(resolved).to.include({value: fromFile, source: `config file ${configFilePath(env)}`})
    })

    it('reads the config file when no flag or env is set', () => {
      const env = envWith({databaseUrl: fromFile})
      expect(resolveSetting('databaseUrl', undefined, env)).to.include({
        value: fromFile,
        source: `config file ${configFilePath(env)}`,
      })
    })

    it('reads the file STAYCTL_CONFIG names', () => {
      const env = envWith()
      const file = path.join(env.HOME!, 'elsewhere.json')
      fs.writeFileSync(file, JSON.stringify({databaseUrl: 'sqlite:elsewhere.sqlite', bcryptCost: 5}))
      env.STAYCTL_CONFIG = file
      expect(resolveSetting('databaseUrl', undefined, env)).to.include({source: `config file ${file}`})
      expect(resolveSetting('bcryptCost', undefined, env)).to.include({value: '5'})
    })

    it('defaults to an SQLite file in the XDG data dir', () => {
      const env = envWith()
      const resolved = resolveSetting('databaseUrl', undefined, env)
      expect(resolved.source).to.equal('default')
      expect(resolved.value).to.equal(`sqlite:${path.join(env.XDG_DATA_HOME!, 'stayctl', 'stayctl.sqlite')}`)
    })

    it('gives a hint naming the flag, the variables and the config file of that environment', () => {
      const env = envWith()
      const {hint} = resolveSetting('databaseUrl', undefined, env)
      expect(hint).to.equal(
        `--database-url / STAYCTL_DATABASE_URL / DATABASE_URL (or "databaseUrl" in ${configFilePath(env)})`,
      )
    })

    it('rejects a config file that is not a JSON object, as a usage error', () => {
      const env = envWith()
      fs.mkdirSync(configDir(env), {recursive: true})
      fs.writeFileSync(configFilePath(env), '[1, 2]')
      const error = thrown(() => resolveSetting('databaseUrl', undefined, env))
      expect(error.kind).to.equal('USAGE')
      expect(error.message).to.include('must hold a JSON object')
      fs.writeFileSync(path.join(env.HOME!, 'broken.json'), '{')
      const broken = thrown(() => readConfigFile(path.join(env.HOME!, 'broken.json')))
      expect(broken.message).to.match(/is not valid JSON/)
    })

    it('a missing config file is an empty config', () => {
      expect(readConfigFile(path.join(tempHome(), 'nope.json'))).to.deep.equal({})
    })

    it('resolveIntSetting checks bounds and names the setting', () => {
      const env = envWith({}, {STAYCTL_BCRYPT_COST: '3'})
      const error = thrown(() => resolveIntSetting('bcryptCost', undefined, {min: 4, max: 31}, env))
      expect(error.kind).to.equal('USAGE')
      expect(error.message).to.include('from env STAYCTL_BCRYPT_COST')
      expect(error.suggestion).to.include('--bcrypt-cost / STAYCTL_BCRYPT_COST')
      expect(resolveIntSetting('bcryptCost', 10, {min: 4, max: 31}, env)).to.equal(10)
      expect(resolveIntSetting('bcryptCost', undefined, {min: 4, max: 31}, envWith())).to.equal(12)
    })
  })

  describe('API URLs as users type them', () => {
    it('adds the scheme (http for this machine, https elsewhere) and the /graphql endpoint', () => {
      expect(checkApiUrl('localhost:4517')).to.equal('http://localhost:4517/graphql')
      expect(checkApiUrl('127.0.0.1:4517/graphql')).to.equal('http://127.0.0.1:4517/graphql')
      expect(checkApiUrl('[::1]:4517')).to.equal('http://[::1]:4517/graphql')
      expect(checkApiUrl('admin.example.com')).to.equal('https://admin.example.com/graphql')
      expect(checkApiUrl('http://localhost:4517')).to.equal('http://localhost:4517/graphql')
    })

    it('keeps a URL with a path as it is, and refuses other schemes', () => {
      expect(checkApiUrl('https://admin.example.com/api/graphql')).to.equal('https://admin.example.com/api/graphql')
      expect(checkApiUrl('http://localhost:4517/')).to.equal('http://localhost:4517/')
      expect(() => checkApiUrl('ftp://admin.example.com')).to.throw(/invalid API URL/)
    })

    it('sends in clear text over http:// to another machine only (not https://, not loopback: localhost, 127.0.0.0/8, ::1)', () => {
      for (const url of ['http://admin.example.com/graphql', 'http://10.0.0.5:4000/graphql', 'http://192.0.2.2:4517/graphql', 'http://localhost.example.com/graphql', 'http://128.0.0.1/graphql', 'http://0.0.0.0.example.com/graphql', 'http://0.0.0.1/graphql']) {
        expect(sendsInClear(url), url).to.equal(true)
      }
      for (const url of ['https://admin.example.com/graphql', 'http://localhost:4517/graphql', 'http://LOCALHOST/graphql', 'http://127.0.0.1:4000/graphql', 'http://127.8.9.10/graphql', 'http://127.1/graphql', 'http://[::1]:4517/graphql', 'http://[0:0:0:0:0:0:0:1]/graphql']) {
        expect(sendsInClear(url), url).to.equal(false)
      }
    })

    it('takes the unspecified address (0.0.0.0, [::]: what `serve --host 0.0.0.0` prints) for this machine, which a client reaches by it', () => {
      for (const url of ['http://0.0.0.0:4000/graphql', 'http://0:4000/graphql', 'http://[::]:4000/graphql', 'http://[0:0:0:0:0:0:0:0]/graphql']) {
        expect(sendsInClear(url), url).to.equal(false)
      }
      expect(checkApiUrl('0.0.0.0:4517')).to.equal('http://0.0.0.0:4517/graphql')
      expect(checkApiUrl('[::]:4517')).to.equal('http://[::]:4517/graphql')
    })
  })

  describe('parseDatabaseUrl', () => {
    it('sqlite:relative/path resolves against the working directory', () => {
      expect(parseDatabaseUrl('sqlite:data/app.sqlite')).to.deep.equal({
        dialect: 'sqlite',
        storage: path.resolve('data/app.sqlite'),
        display: `sqlite:${path.resolve('data/app.sqlite')}`,
      })
    })

    it('sqlite:///abs and sqlite:/abs are absolute paths', () => {
      expect(parseDatabaseUrl('sqlite:///var/lib/app.sqlite')).to.include({storage: '/var/lib/app.sqlite'})
      expect(parseDatabaseUrl('sqlite:/var/lib/app.sqlite')).to.include({storage: '/var/lib/app.sqlite'})
      expect(parseDatabaseUrl('sqlite3:/var/lib/app.sqlite')).to.include({dialect: 'sqlite'})
    })

    it('sqlite::memory: is an in-memory database', () => {
      expect(parseDatabaseUrl('sqlite::memory:')).to.deep.equal({
        dialect: 'sqlite',
        storage: ':memory:',
        display: 'sqlite::memory:',
      })
    })

    it('sqlite:~/path is under HOME, and percent-escapes are decoded', () => {
      expect(parseDatabaseUrl('sqlite:~/x.sqlite')).to.include({storage: path.join(process.env.HOME ?? '', 'x.sqlite')})
      expect(parseDatabaseUrl('sqlite:/tmp/my%20db.sqlite')).to.include({storage: '/tmp/my db.sqlite'})
    })

    it('mysql:// with user, password, port and parameters', () => {
      const target = parseDatabaseUrl('mysql://app:s3cr3t@db.example:3307/stayctl?ssl=true&connectTimeout=5000')
      expect(target).to.deep.equal({
        dialect: 'mysql',
        host: 'db.example',
        port: 3307,
        user: 'app',
        password: 's3cr3t',
        database: 'stayctl',
        params: {ssl: 'true', connectTimeout: '5000'},
        display: 'mysql://app:****@db.example:3307/stayctl?ssl=true&connectTimeout=5000',
      })
    })

    it('decodes percent-encoded user, password and database', () => {
      const target = parseDatabaseUrl('mysql://ana%2Bops:p%40ss%3Aw%2Fd@127.0.0.1/my%2Ddb')
      expect(target).to.include({user: 'ana+ops', password: 'p@ss:w/d', database: 'my-db', port: 3306})
      expect(target.display).to.equal('mysql://ana%2Bops:****@127.0.0.1/my%2Ddb')
    })

    it('defaults to root, no password, port 3306; mariadb:// is the same dialect', () => {
      expect(parseDatabaseUrl('mysql://localhost/app')).to.include({user: 'root', password: '', port: 3306, host: 'localhost'})
      expect(parseDatabaseUrl('mariadb://u:p@[::1]:3310/app')).to.include({dialect: 'mysql', host: '::1', port: 3310})
      expect(parseDatabaseUrl('  MySQL://h/app  ')).to.include({dialect: 'mysql', database: 'app'})
    })

    const bad: [string, RegExp][] = [
      ['', /it has no scheme/],
      ['stayctl.sqlite', /it has no scheme/],
      ['sqlite:', /no file path/],
      ['postgres://u:pw@h/db', /unknown scheme "postgres:"/],
      ['mysql://h', /no database name/],
      ['mysql://h/a/b', /"a\/b" is not a database name/],
      ['mysql://u:pw@h:99999/db', /not a well-formed URL/],
      ['mysql://u:pw@[oops/db', /not a well-formed URL/],
    ]
    for (const [url, reason] of bad) {
      it(`rejects ${JSON.stringify(url)} as a usage error (exit 2)`, () => {
        const error = thrown(() => parseDatabaseUrl(url, 'the setting'))
        expect(error.kind).to.equal('USAGE')
        expect(error.exitCode).to.equal(2)
        expect(error.message).to.match(reason)
        expect(error.message).not.to.include(':pw@')
        expect(error.suggestion).to.include('set the setting')
      })
    }
  })

  describe('maskUrl', () => {
    it('masks the password of a URL, wherever it is in the text', () => {
      expect(maskUrl('mysql://app:s3cr3t@db:3306/x')).to.equal('mysql://app:****@db:3306/x')
      expect(maskUrl('cannot connect to mysql://a:b@h/x, then mariadb://c:d@h/y')).to.equal(
        'cannot connect to mysql://a:****@h/x, then mariadb://c:****@h/y',
      )
    })

    it('masks a password holding an unencoded "@" or ":" entirely', () => {
      expect(maskUrl('mysql://app:p@ss:w@db/x')).to.equal('mysql://app:****@db/x')
    })

    it('masks user:password@host typed without a scheme', () => {
      expect(maskUrl('invalid database URL "root:s3cr3t@db:3306/x"')).to.equal('invalid database URL "root:****@db:3306/x"')
    })

    it('leaves URLs without a password, and other text, alone', () => {
      for (const text of ['mysql://root@127.0.0.1:3306/x', 'sqlite:/tmp/x.sqlite', 'sqlite::memory:', 'a plain message']) {
        expect(maskUrl(text)).to.equal(text)
      }
    })
  })

  describe('carriesPassword: what maskUrl would hide', () => {
    it('is true for a URL with a password, with or without its scheme, also twice in a text', () => {
      for (const text of ['mysql://app:s3cr3t@db:3306/x', 'mariadb://app:p@ss:w@db/x', 'root:s3cr3t@db:3306/x', 'mysql://a@h/x,mysql://b:pw@h/y']) {
        expect(carriesPassword(text), text).to.equal(true)
        expect(maskUrl(text), text).not.to.equal(text)
      }
    })

    it('is false without one: no password, an empty one, SQLite, plain text', () => {
      for (const text of ['mysql://root@127.0.0.1:3306/x', 'mysql://root:@127.0.0.1:3306/x', 'mysql://127.0.0.1/x', 'sqlite:/tmp/x.sqlite', 'sqlite::memory:', 'a plain message']) {
        expect(carriesPassword(text), text).to.equal(false)
      }
    })
  })
})
