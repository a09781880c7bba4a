/**
 * Fetching another channel's feed (src/services/calendar/fetch.ts) against local stub servers:
 * http(s) only, a timeout, a size limit (declared or streamed), the conditional GET and its
 * 304, and HTTP errors as UNAVAILABLE naming the URL without its query (feed URLs carry secrets).
 */
import {expect} from 'chai'

import {ForbiddenError, UnavailableError, ValidationError} from '../../src/errors.js'
import {checkFeedUrl, fetchFeed, isPrivateAddress} from '../../src/services/calendar/fetch.js'
import {hangingServer, stubServer, type StubServer} from '../support/stub-server.js'

async function refusal(work: () => Promise<unknown>): Promise<Error> {
  try {
    await work()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a refusal')
}

describe('calendar feed fetch (integration)', () => {
  const servers: StubServer[] = []
  const start = async (...args: Parameters<typeof stubServer>) => {
    const server = await stubServer(...args)
    servers.push(server)
    return server.url.replace('/graphql', '/feed.ics?s=secret-token')
  }
  after(async () => {
    for (const server of servers) await server.close()
  })

  it('takes http and https URLs only', async () => {
    expect(checkFeedUrl('https://example.com/a.ics')).to.equal('https://example.com/a.ics')
    for (const url of ['file:///etc/passwd', 'ftp://example.com/a.ics', 'javascript:alert(1)', 'example.com/a.ics', '']) {
      expect(await refusal(() => fetchFeed(url))).to.be.instanceOf(ValidationError)
    }
  })

  it('sends the stored validators and reports a 304 as not modified', async () => {
    const seen: Record<string, string | undefined>[] = []
    const url = await start((req, res) => {
      seen.push({ifNoneMatch: req.headers['if-none-match'], ifModifiedSince: req.headers['if-modified-since']})
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304)
        return res.end()
      }
      res.writeHead(200, {etag: '"v1"', 'last-modified': 'Sat, 05 Dec 2026 10:00:00 GMT'})
      res.end('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n')
    })
    const first = await fetchFeed(url)
    expect(first).to.deep.equal({notModified: false, text: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', etag: '"v1"', lastModified: 'Sat, 05 Dec 2026 10:00:00 GMT'})
    expect(await fetchFeed(url, {etag: '"v1"', lastModified: 'Sat, 05 Dec 2026 10:00:00 GMT'})).to.deep.equal({notModified: true})
    expect(seen).to.deep.equal([{ifNoneMatch: undefined, ifModifiedSince: undefined}, {ifNoneMatch: '"v1"', ifModifiedSince: 'Sat, 05 Dec 2026 10:00:00 GMT'}])
  })

  it('refuses a body over the limit, declared or streamed', async () => {
    const declared = await start((_req, res) => {
      res.writeHead(200, {'content-length': '5000'})
      res.end('x'.repeat(5000))
    })
    const streamed = await start((_req, res) => {
      res.writeHead(200)
      for (let i = 0; i < 10; i++) res.write('y'.repeat(500))
      res.end()
    })
    for (const url of [declared, streamed]) {
      const error = await refusal(() => fetchFeed(url, {maxBytes: 1000}))
      expect(error).to.be.instanceOf(ValidationError)
      expect(error.message).to.match(/is over 1000 bytes; raise --max-bytes/)
      expect(error.message).not.to.include('secret-token')
    }
  })

  it('gives up after the timeout, and reports HTTP errors without the secret query', async () => {
    const hanging = await hangingServer()
    servers.push(hanging)
    const slow = await refusal(() => fetchFeed(hanging.url.replace('/graphql', '/feed.ics?s=secret-token'), {timeoutMs: 300}))
    expect(slow).to.be.instanceOf(UnavailableError)
    expect(slow.message).to.match(/took over 300 ms; gave up/)
    const missing = await start((_req, res) => {
      res.writeHead(404, 'Not Found')
      res.end('gone')
    })
    const gone = await refusal(() => fetchFeed(missing))
    expect(gone).to.be.instanceOf(UnavailableError)
    expect(gone.message).to.match(/^GET http:\/\/127\.0\.0\.1:\d+\/feed\.ics\?… answered 404 Not Found$/)
  })

  it('publicOnly (an API caller who is no admin) refuses private, loopback and link-local hosts, by address or by name', async () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1']) {
      expect(isPrivateAddress(ip), ip).to.equal(true)
    }
    for (const ip of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2001:db8::1', '193.168.1.1']) expect(isPrivateAddress(ip), ip).to.equal(false)
    let hits = 0
    const url = await start((_req, res) => {
      hits += 1
      res.end('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n')
    })
    for (const target of [url, url.replace('127.0.0.1', 'localhost')]) {
      const refused = await refusal(() => fetchFeed(target, {publicOnly: true}))
      expect(refused, target).to.be.instanceOf(ForbiddenError)
      expect(refused.message).to.match(/is on a private network \((127\.0\.0\.1|::1)\); only an admin may import a feed from there/)
    }
    expect(hits).to.equal(0)
    expect((await fetchFeed(url)).notModified).to.equal(false)
  })
})
