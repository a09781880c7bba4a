/**
 * The random draws and the calendar the demo-data generators share: one seeded Faker, so the
 * generators, called in a fixed order, draw the same numbers for the same plan every time.
 */
import {Faker, base, en} from '@faker-js/faker'

import type {GenerateOptions, SeedPlan, SeedTable} from './seed-rows.js'

export const DAY_MS = 86_400_000
export const SECOND_MS = 1000

export interface Draws {
  faker: Faker
  int: (min: number, max: number) => number
  chance: (probability: number) => boolean
  pick: <T>(items: readonly T[]) => T
  /** A whole second in [from, to] (ms). */
  between: (from: number, to: number) => number
  /** Day number (days since 1970-01-01) → YYYY-MM-DD. */
  day: (d: number) => string
  /** The first id of a table. */
  firstId: (table: SeedTable) => number
  /** The reference date as a day number, and as ms. */
  refDay: number
  ref: number
  /** The first day of the bookings' timeline. */
  windowStart: number
}

/** A fresh Faker seeded with the plan's random seed, and the calendar of the plan. */
export function seedDraws(plan: SeedPlan, options: GenerateOptions): Draws {
  const faker = new Faker({locale: [en, base]})
  faker.seed(plan.randomSeed)
  const int = (min: number, max: number) => faker.number.int({min, max})
  const refDay = Date.parse(`${plan.referenceDate}T00:00:00Z`) / DAY_MS
  const days = new Map<number, string>()
  const day = (d: number) => {
    let text = days.get(d)
    if (text === undefined) days.set(d, (text = new Date(d * DAY_MS).toISOString().slice(0, 10)))
    return text
  }
  // The timeline: about three quarters of each property's bookings lie in the past.
  const perProperty = plan.properties > 0 ? plan.bookings / plan.properties : 0
  const pastDays = Math.min(1095, Math.max(60, Math.round(perProperty * 9 * 0.75)))
  return {
    faker,
    int,
    chance: (probability) => faker.number.float() < probability,
    pick: (items) => faker.helpers.arrayElement(items),
    between: (from, to) => from + int(0, Math.max(0, Math.floor((to - from) / SECOND_MS))) * SECOND_MS,
    day,
    firstId: (table) => options.firstIds?.[table] ?? 1,
    refDay,
    ref: refDay * DAY_MS,
    windowStart: refDay - pastDays,
  }
}

/** Sorts rows by a timestamp (stable: ties keep generation order) and numbers them from `first`. */
export function numberByTime<T extends {id: number}>(rows: T[], at: (row: T) => number, first: number): T[] {
  const sorted = rows
    .map((row, index) => ({row, index}))
    .sort((a, b) => at(a.row) - at(b.row) || a.index - b.index)
    .map((entry) => entry.row)
  sorted.forEach((row, offset) => {
    row.id = first + offset
  })
  return sorted
}
