import net from 'node:net'
import {createUser} from '../src/services/users.js'
import {testContext} from './support/fixtures.js'
import {migratedDatabase} from './support/db.js'
import {serve} from './support/serve.js'
import {cliEnv} from './e2e/helpers.js'

const {db, database} = await migratedDatabase('probe7')
const USERS = 25
for (let i = 0; i < USERS; i++) await createUser(testContext(db, {bcryptCost: 10}), {username: `burst.user${i}`, email: `b${i}@example.com`, password: 'burst-password-1'})
const env = cliEnv(database)
const served = await serve(env, process.argv.slice(2))
const port = Number(new URL(served.url).port)
const N = 100
function request(i: number) {
  const body = process.env.CHEAP ? JSON.stringify({query: "query Burst { properties(first: 1) { nodes { id } } }"}) : JSON.stringify({query: `mutation { login(login: "burst.user${i % USERS}", password: "burst-password-1") { token } }`})
  return `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
}
const sockets = await Promise.all(Array.from({length: N}, () => new Promise<net.Socket>((resolve) => { const s = net.connect(port, '127.0.0.1', () => resolve(s)) })))
// half of them keep-alive idle after one healthz
await Promise.all(sockets.slice(0, N / 2).map((s) => new Promise<void>((resolve) => { s.write(`GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`); s.once('data', () => resolve()) })))
const results = sockets.map((s, i) => new Promise<string>((resolve) => {
  let data = ''
  s.on('data', (d) => (data += d))
  s.on('error', (e: NodeJS.ErrnoException) => resolve((i < N / 2 ? 'ka ' : 'new ') + (e.code ?? 'error')))
  s.on('close', () => resolve((i < N / 2 ? 'ka ' : 'new ') + ((data.match(/HTTP\/1\.1 \d+/g) ?? []).join('+') || 'closed without answer')))
}))
if (process.env.WAIT) await new Promise((r) => setTimeout(r, Number(process.env.WAIT)))
served.child.kill('SIGSTOP')
sockets.forEach((s, i) => s.write(request(i)))
await new Promise((r) => setTimeout(r, 200))
served.child.kill('SIGTERM')
served.child.kill('SIGCONT')
const out = await Promise.all(results)
const counts: Record<string, number> = {}
for (const o of out) counts[o] = (counts[o] ?? 0) + 1
console.log(counts, 'exit', await served.exited)
console.log(served.stderr().split('\n').filter(l => /stopp/.test(l)).join('\n'))
await db.close(); await database.drop()
