/** The resolvers of the calendar feeds (schema/calendar.ts): each calls one operation of src/backend.ts. */
import {operations as op} from '../backend.js'
import type {GraphQLContext as Ctx} from './context.js'

type Maybe<T> = T | null | undefined

const defined = <T extends object>(args: T) =>
  Object.fromEntries(Object.entries(args).filter(([, v]) => v !== null && v !== undefined)) as {[K in keyof T]?: Exclude<T[K], null>}

type ImportArgs = {property: string; url?: Maybe<string>; ics?: Maybe<string>; fileName?: Maybe<string>; dryRun?: Maybe<boolean>; timeoutMs?: Maybe<number>; maxBytes?: Maybe<number>}

export const calendarResolvers = {
  Query: {
    calendarExport: (_: unknown, {property}: {property: string}, {service}: Ctx) => op.calendar.export(service, {property}),
    calendarTokens: (_: unknown, {property, all}: {property: string; all?: Maybe<boolean>}, {service}: Ctx) =>
      op.calendar.listTokens(service, {property, all: Boolean(all)}),
    calendarFeeds: (_: unknown, {property}: {property: string}, {service}: Ctx) => op.calendar.listFeeds(service, {property}),
  },
  Mutation: {
    publishCalendar: (_: unknown, {property}: {property: string}, {service}: Ctx) => op.calendar.publish(service, {property}),
    revokeCalendarToken: (_: unknown, {id}: {id: number}, {service}: Ctx) => op.calendar.revokeToken(service, id),
    addCalendarFeed: (_: unknown, args: {property: string; url: string}, {service}: Ctx) => op.calendar.addFeed(service, args),
    removeCalendarFeed: (_: unknown, args: {property: string; url: string}, {service}: Ctx) => op.calendar.removeFeed(service, args),
    importCalendar: (_: unknown, args: ImportArgs, {service}: Ctx) => op.calendar.import(service, {...defined(args), property: args.property}),
    syncCalendars: (_: unknown, args: {property?: Maybe<string>; timeoutMs?: Maybe<number>; maxBytes?: Maybe<number>}, {service}: Ctx) =>
      op.calendar.sync(service, defined(args)),
  },
}
