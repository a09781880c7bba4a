/**
 * Rendering for people: RFC 4180 CSV with formula cells neutralised, tables and blocks without
 * the control characters of data, and no colour under NO_COLOR or off a TTY.
 */
import {expect} from 'chai'

import {color, colorEnabled, csv, details, plainRows, table, tableOrRows, terminalText, type Column} from '../../src/cli/render.js'

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[/

interface Row {
  id: number
  name: string | null
  note?: string
}

const columns: Column<Row>[] = [
  {header: 'ID', get: (r) => r.id, align: 'right'},
  {header: 'Name', get: (r) => r.name},
  {header: 'Note', get: (r) => r.note},
]

/** Runs fn with NO_COLOR / FORCE_COLOR set as given (undefined: unset), then restores them. */
function withColorEnv<T>(vars: {NO_COLOR?: string; FORCE_COLOR?: string}, fn: () => T): T {
  const saved = {NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR}
  const apply = (values: typeof saved) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
  }
  apply({NO_COLOR: vars.NO_COLOR, FORCE_COLOR: vars.FORCE_COLOR})
  try {
    return fn()
  } finally {
    apply(saved)
  }
}

/** Runs fn with process.stdout seen as a terminal of `columns` columns (or a pipe: undefined), then restores it. */
function withStdout<T>(columns: number | undefined, fn: () => T): T {
  const saved = {isTTY: Object.getOwnPropertyDescriptor(process.stdout, 'isTTY'), columns: Object.getOwnPropertyDescriptor(process.stdout, 'columns')}
  Object.defineProperty(process.stdout, 'isTTY', {value: columns !== undefined, configurable: true, writable: true})
  Object.defineProperty(process.stdout, 'columns', {value: columns, configurable: true, writable: true})
  try {
    return fn()
  } finally {
    for (const key of ['isTTY', 'columns'] as const) {
      if (saved[key]) Object.defineProperty(process.stdout, key, saved[key])
      else delete (process.stdout as unknown as Record<string, unknown>)[key]
    }
  }
}

const tty = {isTTY: true} as NodeJS.WriteStream
const pipe = {isTTY: false} as NodeJS.WriteStream

describe('render (unit)', () => {
  describe('csv (RFC 4180)', () => {
    it('writes a header and CRLF-terminated records', () => {
      expect(csv([{id: 1, name: 'Casa Azul'}], columns)).to.equal('ID,Name,Note\r\n1,Casa Azul,\r\n')
    })

    it('quotes fields with commas, quotes, CR or LF, doubling the quotes', () => {
      const rows: Row[] = [
        {id: 1, name: 'Loft, Lisbon', note: 'say "hi"'},
        {id: 2, name: 'two\nlines', note: 'carriage\rreturn'},
        {id: 3, name: '"', note: 'crlf\r\n'},
      ]
      expect(csv(rows, columns)).to.equal(
        'ID,Name,Note\r\n' +
          '1,"Loft, Lisbon","say ""hi"""\r\n' +
          '2,"two\nlines","carriage\rreturn"\r\n' +
          '3,"""","crlf\r\n"\r\n',
      )
    })

    it('leaves spaces and other characters as they are, unquoted', () => {
      expect(csv([{id: 4, name: '  Café ☀ ', note: "it's"}], columns)).to.equal("ID,Name,Note\r\n4,  Café ☀ ,it's\r\n")
    })

    it('writes null and undefined as empty fields, booleans and numbers as text', () => {
      const mixed: Column<{a: boolean; b: number; c: null; d: undefined}>[] = [
        {header: 'a', get: (r) => r.a},
        {header: 'b', get: (r) => r.b},
        {header: 'c', get: (r) => r.c},
        {header: 'd', get: (r) => r.d},
      ]
      expect(csv([{a: false, b: 0.1, c: null, d: undefined}], mixed)).to.equal('a,b,c,d\r\nfalse,0.1,,\r\n')
    })

    it('quotes headers that need it, and writes only the header for no rows', () => {
      expect(csv([], [{header: 'price, EUR', get: () => 1}])).to.equal('"price, EUR"\r\n')
    })

    it("starts cells a spreadsheet would run as formulas with a ' (OWASP CSV injection)", () => {
      const rows: Row[] = [
        {id: 1, name: "=cmd|' /C calc'!A0", note: '+1 555'},
        {id: 2, name: '-2+3+cmd|\' /C calc\'!A0', note: '@SUM(1,1)'},
        {id: 3, name: '\tindented', note: '\rreturn'},
        {id: 4, name: "'=quoted already", note: "'Tis the season"},
      ]
      expect(csv(rows, columns)).to.equal(
        'ID,Name,Note\r\n' +
          "1,'=cmd|' /C calc'!A0,'+1 555\r\n" +
          "2,'-2+3+cmd|' /C calc'!A0,\"'@SUM(1,1)\"\r\n" +
          "3,'\tindented,\"'\rreturn\"\r\n" +
          "4,''=quoted already,'Tis the season\r\n",
      )
    })
  })

  describe('control characters in data', () => {
    const CLEAR = '\u001b[2J'
    const TITLE = '\u001b]0;owned\u0007'
    const evil = `Loft${CLEAR}${TITLE}\rfake\u0008\u009b31m`

    it('are taken out of table cells, with or without colour', () => {
      for (const env of [{NO_COLOR: '1'}, {FORCE_COLOR: '1'}]) {
        const out = withColorEnv(env, () => table([{id: 1, name: evil, note: 'a\tb'}], columns))
        // eslint-disable-next-line no-control-regex
        expect(out).not.to.match(/[\u0000-\u0008\u000b-\u001a\u001c-\u001f\u007f-\u009f]/)
        // eslint-disable-next-line no-control-regex
        expect(out.replace(/\u001b\[[0-9;]*m/g, '')).not.to.include('\u001b')
        expect(out).to.include('Loft[2J]0;ownedfake31m')
        expect(out).to.include('a b')
      }
    })

    it('are taken out of details() values, and a value of several lines cannot pass for a key', () => {
      const out = withColorEnv({NO_COLOR: '1'}, () => details([['Name', evil], ['Description', 'line one\nOwner  admin (1)']]))
      expect(out).to.equal('Name         Loft[2J]0;ownedfake31m\nDescription  line one\n             Owner  admin (1)')
    })

    it('terminalText() keeps line feeds, tabs, CRLF and (with colour only) colour sequences', () => {
      const coloured = `\u001b[36mID\u001b[39m\t${CLEAR}${TITLE}\r\nnext\rover`
      expect(terminalText(coloured, false)).to.equal('ID\t[2J]0;owned\r\nnextover')
      expect(terminalText(coloured, true)).to.equal('\u001b[36mID\u001b[39m\t[2J]0;owned\r\nnextover')
    })
  })

  describe('table', () => {
    it('shows headers and every cell, right-aligning where asked', () => {
      const out = withColorEnv({NO_COLOR: '1'}, () =>
        table(
          [
            {id: 7, name: 'Casa Azul'},
            {id: 1234, name: null},
          ],
          columns,
        ),
      )
      const lines = out.split('\n')
      expect(lines[1]).to.match(/│\s+ID │ Name\s+│ Note │/)
      expect(out).to.include('Casa Azul')
      expect(out).to.match(/│\s+7 │ Casa Azul │/)
      expect(out).to.match(/│ 1234 │\s+│/)
    })

    it('has no ANSI codes under NO_COLOR, even when colour is forced', () => {
      const out = withColorEnv({NO_COLOR: '1', FORCE_COLOR: '1'}, () => table([{id: 1, name: 'x'}], columns))
      expect(out).not.to.match(ANSI)
    })

    it('has no ANSI codes when stdout is not a terminal', () => {
      // Mocha's stdout is a pipe here (and CI has no TTY): colour is off by default.
      const out = withColorEnv({}, () => (process.stdout.isTTY ? '' : table([{id: 1, name: 'x'}], columns)))
      expect(out).not.to.match(ANSI)
    })

    it('colours the header when colour is on', () => {
      const out = withColorEnv({FORCE_COLOR: '1'}, () => table([{id: 1, name: 'x'}], columns))
      expect(out).to.match(ANSI)
    })
  })

  describe('table layout', () => {
    type Row = {id: number; name: string}
    const columns: Column<Row>[] = [
      {header: 'ID', get: (r) => r.id, align: 'right'},
      {header: 'Name', get: (r) => r.name},
    ]
    const rows: Row[] = [
      {id: 1, name: 'A loft by the harbour with a long, long description of a name'},
      {id: 2, name: 'Casa Azul'},
    ]

    it('has no rule between rows: frame, header, rule, one line per row, frame', () => {
      expect(table(rows, columns).split('\n')).to.have.length(rows.length + 4)
    })

    it('with a width, cuts the widest cells with … so that every line fits', () => {
      const lines = table(rows, columns, {width: 40}).split('\n')
      for (const line of lines) expect(line.length, line).to.be.at.most(40)
      expect(lines.join('\n')).to.include('…')
      expect(lines.join('\n')).to.include('Casa Azul')
      expect(table(rows, columns, {width: 200})).to.equal(table(rows, columns))
    })

    it('plain rows for pipes: tab-separated, line breaks and tabs in values as spaces, header optional', () => {
      const odd: Row[] = [{id: 3, name: 'two\nlines\tand a tab'}]
      expect(plainRows(odd, columns)).to.equal('ID\tName\n3\ttwo lines and a tab')
      expect(plainRows(odd, columns, {header: false})).to.equal('3\ttwo lines and a tab')
    })

    it('tableOrRows: on a terminal the framed table (with fit, cut to its width; no rows: the empty text), in a pipe plain rows', () => {
      withColorEnv({NO_COLOR: '1'}, () => {
        withStdout(40, () => {
          expect(tableOrRows(rows, columns)).to.equal(table(rows, columns))
          expect(tableOrRows(rows, columns, {fit: true})).to.equal(table(rows, columns, {width: 40}))
          expect(tableOrRows([], columns)).to.equal('No results.')
          expect(tableOrRows([], columns, {empty: '  (none)'})).to.equal('  (none)')
        })
        withStdout(undefined, () => {
          expect(tableOrRows(rows, columns, {fit: true})).to.equal(plainRows(rows, columns))
          expect(tableOrRows(rows, columns, {header: false})).to.equal(plainRows(rows, columns, {header: false}))
          expect(tableOrRows([], columns, {empty: '  (none)'})).to.equal('ID\tName')
        })
      })
    })
  })

  describe('colour', () => {
    it('is off under NO_COLOR, on a TTY too', () => {
      withColorEnv({NO_COLOR: '1'}, () => {
        expect(colorEnabled(tty)).to.equal(false)
        expect(color.ok('ok')).to.equal('ok')
        expect(color.bad('bad')).to.equal('bad')
      })
    })

    it('is off when the stream is not a TTY, on when it is', () => {
      withColorEnv({}, () => {
        expect(colorEnabled(pipe)).to.equal(false)
        expect(colorEnabled(tty)).to.equal(true)
      })
    })

    it('an empty NO_COLOR does not count; FORCE_COLOR=0 does not force', () => {
      withColorEnv({NO_COLOR: ''}, () => expect(colorEnabled(tty)).to.equal(true))
      withColorEnv({FORCE_COLOR: '0'}, () => expect(colorEnabled(pipe)).to.equal(false))
      withColorEnv({FORCE_COLOR: '1'}, () => expect(colorEnabled(pipe)).to.equal(true))
    })

    it('details() aligns keys and prints values as text', () => {
      const out = withColorEnv({NO_COLOR: '1'}, () =>
        details([
          ['id', 7],
          ['name', 'Casa Azul'],
          ['owner', null],
        ]),
      )
      expect(out).to.equal('id     7\nname   Casa Azul\nowner  ')
      expect(out).not.to.match(ANSI)
    })
  })
})
