/**
 * SHA-256 of a text (as UTF-8), in hex: the one digest behind the keys and checksums stayctl
 * stores (token hashes, feed URL hashes and ETags, block source keys, login-throttling subjects,
 * import file keys, migration checksums). Stored values depend on it byte for byte.
 */
import {createHash} from 'node:crypto'

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}
