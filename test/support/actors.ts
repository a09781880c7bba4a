/**
 * The callers of authorization tests: the scenario's users as the actors `authenticate` gives
 * for their tokens (through GraphQL), an anonymous caller, and a second host with a property
 * of their own (the scenario has one host; authorization needs "another host" too).
 */
import type {Db} from '../../src/db/index.js'
import {anonymousActor, type ServiceContext} from '../../src/services/context.js'
import {createProperty, type CreatePropertyInput} from '../../src/services/properties.js'
import {createUser, type CreateUserInput} from '../../src/services/users.js'
import {fixtures, type ScenarioIds} from './fixtures.js'

export const ACTORS = ['anonymous', 'guest', 'otherGuest', 'host', 'otherHost', 'admin'] as const
export type ActorName = (typeof ACTORS)[number]

export const otherHost = {
  username: 'oskar.otherhost',
  email: 'oskar.ostergaard@example.com',
  password: 'otherhost-password-1',
  firstName: 'Oskar',
  lastName: 'Ostergaard',
} satisfies CreateUserInput

/** The other host's place: listed, 80.00 a night, flexible, never booked. */
export const hut = {
  owner: otherHost.username,
  name: 'Dune Hut',
  address: '3 Dune Path, Skagen',
  description: 'Sand everywhere',
  pricePerNight: '80.00',
  cancellationPolicy: 'flexible',
} satisfies CreatePropertyInput

export interface OtherHostIds {
  otherHost: number
  hut: number
}

/** Creates the other host and their hut (as `ctx`, an admin). */
export async function loadOtherHost(ctx: ServiceContext): Promise<OtherHostIds> {
  const user = await createUser(ctx, otherHost)
  const property = await createProperty(ctx, hut)
  return {otherHost: user.id, hut: property.id}
}

/** Every actor's fixture (username, email, password); none for anonymous. */
export const actorFixtures = {
  guest: fixtures.users.guest,
  otherGuest: fixtures.users.otherGuest,
  host: fixtures.users.host,
  otherHost,
  admin: fixtures.users.admin,
} satisfies Record<Exclude<ActorName, 'anonymous'>, CreateUserInput>

/** The platform user id of an actor; undefined for anonymous. */
export function actorUserId(name: ActorName, ids: ScenarioIds, other: OtherHostIds): number | undefined {
  if (name === 'anonymous') return undefined
  return name === 'otherHost' ? other.otherHost : ids.users[name]
}

/** A context acting as `name`, as a GraphQL request with that user's token would (bcrypt cost 4). */
export function actorContext(db: Db, name: ActorName, ids: ScenarioIds, other: OtherHostIds): ServiceContext {
  const base = {db, via: 'graphql' as const, bcryptCost: 4}
  if (name === 'anonymous') return {...base, actor: anonymousActor()}
  return {
    ...base,
    actor: {name: actorFixtures[name].username, userId: actorUserId(name, ids, other), isAdmin: name === 'admin'},
  }
}
