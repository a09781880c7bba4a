/**
 * Streams offered to MySQL's LOAD DATA LOCAL INFILE. mysql2 asks `infileStreamFactory` for
 * the stream of the file named in the statement; we register a stream under a unique name,
 * so only streams we created can be read (never a file from disk the server names).
 */
import {randomUUID} from 'node:crypto'
import {Readable} from 'node:stream'

const streams = new Map<string, Readable>()

/**
 * mysql2 sends each chunk of the stream as one packet, and the server refuses a packet over
 * max_allowed_packet (1 MiB at the least): buffers go out in pieces no larger than this.
 */
const PACKET_BYTES = 512 * 1024

function* pieces(buffers: Buffer[]): Generator<Buffer> {
  for (const buffer of buffers) {
    for (let at = 0; at < buffer.length; at += PACKET_BYTES) yield buffer.subarray(at, at + PACKET_BYTES)
  }
}

export function registerInfile(data: Buffer | Buffer[] | Readable): string {
  const name = `stayctl-${randomUUID()}`
  streams.set(name, data instanceof Readable ? data : Readable.from(pieces(Array.isArray(data) ? data : [data])))
  return name
}

export function infileStreamFactory(name: string): Readable {
  const stream = streams.get(name)
  if (!stream) throw new Error(`LOAD DATA asked for an unknown stream "${name}"`)
  streams.delete(name)
  return stream
}
