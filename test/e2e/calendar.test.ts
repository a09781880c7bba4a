/**
 * `stayctl calendar …` through the built binary: export to a file, publish (the path printed
 * once), tokens list/revoke, feeds add/list, and the documented exit codes of import and sync
 * (conflicts 5, malformed parts 8, no calendar 3, an unreachable URL 7).
 */
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import type {Db} from '../../src/db/index.js'
import {createToken} from '../../src/services/auth.js'
import {createBooking} from '../../src/services/bookings.js'
import {createProperty} from '../../src/services/properties.js'
import {createUser} from '../../src/services/users.js'
import {isolatedEnv, runCli} from '../support/cli.js'
import {testDialect, type TestDatabase} from '../support/db.js'
import {startTestServer, type TestServer} from '../support/graphql.js'
import {useScratch} from '../support/scratch.js'
import {stubServer, type StubServer} from '../support/stub-server.js'
import {cli, cliEnv, errorJson, expectExit, okJson, removeHome, testBackend} from './helpers.js'

const fixtures = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../fixtures/ical')

describe(`e2e: calendar (${testDialect})`, function () {
  this.timeout(180_000)

  const scratch = useScratch({per: 'suite', database: 'calendar_cli', folder: 'calendar-cli-'})
  let db: Db
  let database: TestDatabase
  let env: NodeJS.ProcessEnv
  let run: ReturnType<typeof cli>
  let dir: string
  let lake: number
  let feeds: StubServer

  before(async () => {
    ;({db, database} = scratch)
    env = cliEnv(database, {STAYCTL_TODAY: '2026-12-06'})
    scratch.defer(() => removeHome(env))
    run = cli(env)
    dir = scratch.dir
    const backend = testBackend(db)
    await backend.users.create({username: 'hope.host', email: 'hope@example.com', password: 'hope-password-1'})
    await backend.users.create({username: 'walter.wanderer', email: 'walter.wanderer@secretmail.example', password: 'walter-password-1', firstName: 'Walter', lastName: 'Wanderer'})
    lake = (await backend.properties.create({owner: 'hope.host', name: 'Lake House', address: '1 Shore', pricePerNight: '90'})).id
    await backend.bookings.create({property: String(lake), guest: 'walter.wanderer', startDate: '2027-01-10', endDate: '2027-01-14', allowPast: true})
    feeds = await stubServer((req, res) => {
      if (req.url === '/airbnb.ics') {
        res.writeHead(200, {'content-type': 'text/calendar'})
        res.end(fs.readFileSync(path.join(fixtures, 'airbnb.ics')))
      } else {
        res.writeHead(200, {'content-type': 'text/html'})
        res.end('<!doctype html><p>Please log in</p>')
      }
    })
  })

  after(async () => {
    await feeds?.close()
  })

  it('export writes the feed to a file, without guest data', async () => {
    const file = path.join(dir, 'lake.ics')
    const result = expectExit(await run(['calendar', 'export', String(lake), '--output', file]), 0)
    expect(result.stderr).to.match(/Wrote 1 event\(s\) of property \d+/)
    const text = fs.readFileSync(file, 'utf8')
    expect(text).to.match(/^BEGIN:VCALENDAR\r\n/)
    expect(text).to.include('DTSTART;VALUE=DATE:20270110\r\nDTEND;VALUE=DATE:20270114\r\n')
    expect(text.toLowerCase()).not.to.match(/walter|wanderer|secretmail/)
    expect(expectExit(await run(['calendar', 'export', 'Lake House']), 0).stdout).to.equal(text)
  })

  it('publish prints the path once; tokens list never shows it; revoke ends it', async () => {
    const published = okJson<{id: number; path: string; token: string}>(await run(['calendar', 'publish', String(lake), '--json']))
    expect(published.path).to.equal(`/calendars/${published.token}.ics`)
    const listed = expectExit(await run(['calendar', 'tokens', 'list', String(lake)]), 0)
    expect(listed.stdout).to.include('active')
    expect(listed.stdout).not.to.include(published.token)
    expect(expectExit(await run(['calendar', 'tokens', 'revoke', String(published.id)]), 0).stdout).to.match(/is revoked since/)
    expect(errorJson(await run(['calendar', 'tokens', 'revoke', '999999', '--json']), 4).code).to.equal('NOT_FOUND')
  })

  it('feeds add refuses a second registration (5) and a non-http URL (3)', async () => {
    const url = `${feeds.url.replace('/graphql', '')}/airbnb.ics`
    expectExit(await run(['calendar', 'feeds', 'add', String(lake), url]), 0)
    expectExit(await run(['calendar', 'feeds', 'add', String(lake), url]), 5)
    expectExit(await run(['calendar', 'feeds', 'add', String(lake), 'file:///etc/hosts']), 3)
    expect(expectExit(await run(['calendar', 'feeds', 'list', String(lake)]), 0).stdout).to.include('/airbnb.ics')
  })

  it('import of something that is no calendar exits 3 and writes nothing; an unreachable URL 7; a missing file 3', async () => {
    const page = `${feeds.url.replace('/graphql', '')}/login`
    const html = errorJson(await run(['calendar', 'import', String(lake), '--ics', page, '--json']), 3)
    expect(html.message).to.match(/is no iCalendar feed \(no BEGIN:VCALENDAR\); nothing changed/)
    expectExit(await run(['calendar', 'import', String(lake), '--ics', 'http://127.0.0.1:9/x.ics', '--fetch-timeout', '2']), 7)
    expect(errorJson(await run(['calendar', 'import', String(lake), '--ics', path.join(dir, 'missing.ics'), '--json']), 3).message).to.match(/no such file/)
  })

  it('sync pulls the registered feed (exit 0), and again changes nothing', async () => {
    const first = okJson<{feeds: {status: string; result: {added: number}}[]}>(await run(['calendar', 'sync', '--json']))
    expect(first.feeds.map((f) => [f.status, f.result.added])).to.deep.equal([['synced', 2]])
    const again = expectExit(await run(['calendar', 'sync']), 0)
    expect(again.stdout).to.match(/2 event\(s\): 0 added, 0 moved, 0 removed, 2 unchanged, 0 conflict\(s\)/)
  })

  it('import exits 5 when events conflict, naming the event and our booking or block, after applying the rest', async () => {
    const file = path.join(dir, 'vrbo.ics')
    const booking = (await testBackend(db).bookings.list({property: String(lake)})).items[0].id
    fs.writeFileSync(file, ['BEGIN:VCALENDAR', 'VERSION:2.0',
      'BEGIN:VEVENT', 'UID:clash-1@vrbo', 'DTSTART;VALUE=DATE:20270112', 'DTEND;VALUE=DATE:20270115', 'END:VEVENT',
      'BEGIN:VEVENT', 'UID:free-1@vrbo', 'DTSTART;VALUE=DATE:20270320', 'DTEND;VALUE=DATE:20270322', 'END:VEVENT',
      'END:VCALENDAR', ''].join('\r\n'))
    const result = expectExit(await run(['calendar', 'import', String(lake), '--ics', file]), 5)
    expect(result.stdout).to.match(/from file:vrbo\.ics: 2 event\(s\): 1 added, 0 moved, 0 removed, 0 unchanged, 1 conflict\(s\)/)
    expect(result.stdout).to.match(new RegExp(`^conflict: event "clash-1@vrbo" 2027-01-12 → 2027-01-15 overlaps booking ${booking}\\b`, 'm'))
    // The Airbnb file holds the nights the synced Airbnb URL already blocks: conflicts with those blocks.
    const airbnb = expectExit(await run(['calendar', 'import', String(lake), '--ics', path.join(fixtures, 'airbnb.ics'), '--json']), 5)
    expect((JSON.parse(airbnb.stdout) as {conflicts: {overlaps: {kind: string}}[]}).conflicts.map((c) => c.overlaps.kind)).to.deep.equal(['block', 'block'])
  })

  it('import exits 8 when parts of the feed are malformed, with their line numbers on stderr, after applying the rest', async () => {
    const result = expectExit(await run(['calendar', 'import', String(lake), '--ics', path.join(fixtures, 'google.ics')]), 8)
    expect(result.stdout).to.match(/6 event\(s\): 6 added, 0 moved, 0 removed, 0 unchanged, 0 conflict\(s\), 3 problem\(s\)/)
    expect(result.stderr).to.match(/^line 54: event broken@google.com left out: its line 56 is malformed$/m)
    expect(result.stderr).to.match(/^line 56: malformed line "DTEND;VALUE=DATE 20270705"/m)
    expect(result.stderr).to.match(/^line 66: event nostart@google.com \(line 66\) left out: it has no DTSTART$/m)
  })
})

describe(`e2e: calendar with --api (${testDialect})`, function () {
  this.timeout(180_000)
  const scratch = useScratch({per: 'suite', folder: 'calendar-api-'})
  let server: TestServer
  let env: NodeJS.ProcessEnv
  let dir: string
  let savedToday: string | undefined

  before(async () => {
    savedToday = process.env.STAYCTL_TODAY
    process.env.STAYCTL_TODAY = '2026-12-06'
    server = await startTestServer('calendar_remote')
    const host = await createUser(server.ctx, {username: 'hal.host', email: 'hal@example.com', password: 'hal-password-1'})
    await createUser(server.ctx, {username: 'gus.guest', email: 'gus@example.com', password: 'gus-password-1'})
    const property = await createProperty(server.ctx, {owner: 'hal.host', name: 'Dune Hut', address: '3 Dune Path', pricePerNight: '80'})
    await createBooking(server.ctx, {property: String(property.id), guest: 'gus.guest', startDate: '2027-01-10', endDate: '2027-01-14'})
    const token = (await createToken(server.ctx, {name: 'e2e', user: host.id})).token
    env = isolatedEnv({STAYCTL_TODAY: '2026-12-06', STAYCTL_TOKEN: token})
    scratch.defer(() => removeHome(env))
    dir = scratch.dir
  })
  after(async () => {
    if (savedToday === undefined) delete process.env.STAYCTL_TODAY
    else process.env.STAYCTL_TODAY = savedToday
    await server?.stop()
  })

  it('sends a local file to the server, reports its conflicts (5), publishes a URL the server serves, refuses a private URL for a host (6)', async () => {
    const api = (args: string[]) => runCli([...args, '--api', server.url], {env})
    const file = path.join(dir, 'other.ics')
    fs.writeFileSync(file, ['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', 'UID:x@other', 'DTSTART;VALUE=DATE:20270113', 'DTEND;VALUE=DATE:20270116', 'END:VEVENT',
      'BEGIN:VEVENT', 'UID:y@other', 'DTSTART;VALUE=DATE:20270201', 'DTEND;VALUE=DATE:20270203', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n'))
    const imported = expectExit(await api(['calendar', 'import', 'Dune Hut', '--ics', file]), 5)
    expect(imported.stdout).to.match(/from file:other\.ics: 2 event\(s\): 1 added/)
    expect(imported.stdout).to.match(/^conflict: event "x@other" 2027-01-13 → 2027-01-16 overlaps booking \d+/m)
    const published = okJson<{path: string}>(await api(['calendar', 'publish', 'Dune Hut', '--json']))
    const feed = await fetch(server.url.replace(/\/graphql$/, '') + published.path)
    expect(feed.status).to.equal(200)
    const text = await feed.text()
    expect(text).to.include('SUMMARY:Reserved')
    expect(text).to.include('SUMMARY:Blocked')
    expect(text).not.to.match(/gus|hal@/i)
    const refused = expectExit(await api(['calendar', 'import', 'Dune Hut', '--ics', `${server.url.replace(/\/graphql$/, '')}/healthz`]), 6)
    expect(refused.stderr).to.match(/private network/)
  })
})
