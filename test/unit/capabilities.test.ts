/**
 * What an engine can do, from its dialect and version string (db/capabilities.ts): the
 * compiled GraphQL path needs MariaDB's JSON functions (≥ 10.5), the gap refresh DELETE …
 * RETURNING (SQLite ≥ 3.35, MariaDB ≥ 10.0.5); MySQL and TiDB have neither.
 */
import {expect} from 'chai'

import {capabilitiesOf} from '../../src/db/capabilities.js'

describe('engine capabilities', () => {
  const cases: [string, 'mysql' | 'sqlite', string, {jsonAggregates: boolean; deleteReturning: boolean}][] = [
    ['MariaDB 10.11 (Debian)', 'mysql', '10.11.6-MariaDB-0+deb12u1-log', {jsonAggregates: true, deleteReturning: true}],
    ['MariaDB 11.4', 'mysql', '11.4.2-MariaDB', {jsonAggregates: true, deleteReturning: true}],
    ['MariaDB 10.4: RETURNING, not the JSON functions', 'mysql', '10.4.32-MariaDB', {jsonAggregates: false, deleteReturning: true}],
    ['MariaDB 10.0.4: neither', 'mysql', '10.0.4-MariaDB', {jsonAggregates: false, deleteReturning: false}],
    ['MariaDB 10.0.5: RETURNING', 'mysql', '10.0.5-MariaDB', {jsonAggregates: false, deleteReturning: true}],
    ['MariaDB through the 5.5.5- handshake prefix', 'mysql', '5.5.5-10.6.16-MariaDB', {jsonAggregates: true, deleteReturning: true}],
    ['MySQL 8.0', 'mysql', '8.0.36', {jsonAggregates: false, deleteReturning: false}],
    ['MySQL 8.4 (a version above MariaDB 10.0.5 in numbers)', 'mysql', '8.4.0-commercial', {jsonAggregates: false, deleteReturning: false}],
    ['TiDB', 'mysql', '8.0.11-TiDB-v7.5.1', {jsonAggregates: false, deleteReturning: false}],
    ['SQLite 3.52', 'sqlite', '3.52.0', {jsonAggregates: true, deleteReturning: true}],
    ['SQLite 3.35.0, the first with RETURNING', 'sqlite', '3.35.0', {jsonAggregates: true, deleteReturning: true}],
    ['SQLite 3.34.1', 'sqlite', '3.34.1', {jsonAggregates: true, deleteReturning: false}],
  ]
  for (const [what, dialect, version, expected] of cases) {
    it(`${what}: ${version}`, () => expect(capabilitiesOf(dialect, version)).to.deep.equal(expected))
  }
})
