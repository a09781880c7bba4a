/**
 * The Backend: every operation a command can run, without the caller knowing where it runs.
 * The local backend binds the services of src/services to a context (database, actor);
 * a remote backend (graphql-request to `stayctl serve`) implements the same shape.
 * Every operation checks its caller (ctx.actor) itself: see src/services/authz.ts.
 */
import * as audit from './services/audit.js'
import * as auth from './services/auth.js'
import * as blocks from './services/blocks.js'
import {updateBooking} from './services/booking-changes.js'
import {syncSourceBlocks} from './services/blocks-sync.js'
import * as bookings from './services/bookings.js'
import * as calendarFeeds from './services/calendar/manage.js'
import * as calendarTransfer from './services/calendar/transfer.js'
import {doctor} from './services/doctor.js'
import * as exports_ from './services/export.js'
import * as folders from './services/import/folder.js'
import * as imports from './services/import/index.js'
import {importRows} from './services/import/rows.js'
import type {ServiceContext} from './services/context.js'
import * as payments from './services/payments.js'
import * as properties from './services/properties.js'
import * as reviews from './services/reviews.js'
import * as users from './services/users.js'

/** The operations, grouped by topic; each takes the context first. */
const table = {
  users: {
    create: users.createUser,
    list: users.listUsers,
    show: users.showUser,
    update: users.updateUser,
    setPassword: users.setPassword,
    activate: (ctx: ServiceContext, ref: string | number) => users.setActive(ctx, ref, true),
    deactivate: (ctx: ServiceContext, ref: string | number) => users.setActive(ctx, ref, false),
    delete: users.deleteUser,
    erase: users.eraseUser,
  },
  properties: {
    create: properties.createProperty,
    list: properties.listProperties,
    show: properties.showProperty,
    update: properties.updateProperty,
    delete: properties.deleteProperty,
  },
  bookings: {
    create: bookings.createBooking,
    list: bookings.listBookings,
    show: bookings.showBooking,
    confirm: bookings.confirmBooking,
    cancel: bookings.cancelBooking,
    /** Moves a stay and/or sets its total: booking-changes.ts. */
    update: updateBooking,
  },
  blocks: {
    create: blocks.createBlock,
    list: blocks.listBlocks,
    show: blocks.showBlock,
    update: blocks.updateBlock,
    delete: blocks.deleteBlock,
    /** A feed's events made the blocks of (property, source): blocks-sync.ts. */
    sync: syncSourceBlocks,
  },
  reviews: {
    create: reviews.createReview,
    list: reviews.listReviews,
    show: reviews.showReview,
    update: reviews.updateReview,
    delete: reviews.deleteReview,
  },
  payments: {
    record: payments.recordCharge,
    list: payments.listPayments,
    show: payments.showPayment,
    refund: payments.refundPayment,
  },
  audit: {
    list: audit.listAudit,
  },
  imports: {
    // Without importFile's outer transaction, which only a folder import passes.
    file: (ctx: ServiceContext, input: imports.ImportInput) => imports.importFile(ctx, input),
    folder: folders.importFolder,
    /** One batch of rows given as objects (what a remote client sends the server). */
    rows: importRows,
  },
  exports: {
    entity: exports_.exportEntity,
    /** One page of rows (what a remote export asks the server for). */
    page: exports_.exportPage,
  },
  auth: {
    login: auth.login,
    logout: auth.logout,
    whoami: auth.whoami,
  },
  tokens: {
    create: auth.createToken,
    list: auth.listTokens,
    revoke: auth.revokeToken,
  },
  calendar: {
    export: calendarTransfer.exportCalendar,
    publish: calendarFeeds.publishCalendar,
    listTokens: calendarFeeds.listCalendarTokens,
    revokeToken: calendarFeeds.revokeCalendarToken,
    addFeed: calendarFeeds.addCalendarFeed,
    listFeeds: calendarFeeds.listCalendarFeeds,
    removeFeed: calendarFeeds.removeCalendarFeed,
    /** A feed's URL (fetched where the operation runs: by the server in remote mode) or a file's text. */
    import: calendarTransfer.importCalendar,
    /** Every registered feed once, for cron. */
    sync: calendarTransfer.syncCalendars,
  },
  database: {
    /** What the engine allows against what stayctl relies on (admins only); on the primary. */
    doctor,
  },
}

/**
 * The operations that only read, and whose reads may go to a read replica (a little behind the
 * primary). Every other operation is a write: it pins its command's or request's reads to the
 * primary (src/db/routing.ts) before it runs, so its rule checks, its authorization and what it
 * shows back, and every read after it in the same command or request, see the primary.
 * An operation missing here is a write: the safe side.
 */
export const READ_OPERATIONS = new Set([
  'users.list',
  'users.show',
  'properties.list',
  'properties.show',
  'bookings.list',
  'bookings.show',
  'blocks.list',
  'blocks.show',
  'reviews.list',
  'reviews.show',
  'payments.list',
  'payments.show',
  'audit.list',
  'exports.entity',
  'exports.page',
  'tokens.list',
  'calendar.export',
  'calendar.listTokens',
  'calendar.listFeeds',
])

/** The table, each write wrapped to pin its reads to the primary. */
function routed<T extends Record<string, Record<string, unknown>>>(ops: T): T {
  const out: Record<string, Record<string, unknown>> = {}
  for (const [group, members] of Object.entries(ops)) {
    out[group] = {}
    for (const [name, fn] of Object.entries(members)) {
      const f = fn as (ctx: ServiceContext, ...a: unknown[]) => unknown
      out[group][name] = READ_OPERATIONS.has(`${group}.${name}`)
        ? f
        : (ctx: ServiceContext, ...args: unknown[]) => {
            ctx.db.replicas?.routing.pin()
            return f(ctx, ...args)
          }
    }
  }
  return out as T
}

export const operations = routed(table)

type Operations = typeof operations
type Bound<F> = F extends (ctx: ServiceContext, ...args: infer A) => infer R ? (...args: A) => R : never

export type Backend = {[G in keyof Operations]: {[O in keyof Operations[G]]: Bound<Operations[G][O]>}}

/** Binds every operation to `ctx`: the backend of local runs. */
export function localBackend(ctx: ServiceContext): Backend {
  const backend: Record<string, Record<string, unknown>> = {}
  for (const [group, ops] of Object.entries(operations)) {
    backend[group] = {}
    for (const [name, fn] of Object.entries(ops)) {
      backend[group][name] = (...args: unknown[]) => (fn as (...a: unknown[]) => unknown)(ctx, ...args)
    }
  }
  return backend as Backend
}
