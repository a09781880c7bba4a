/** The calendar operations over GraphQL (schema/calendar.ts), for RemoteBackend. */
import type {Backend} from '../backend.js'
import type {RemoteClient} from './client.js'

const TOKEN = 'id propertyId status createdAt lastUsedAt revokedAt'
const FEED = 'id propertyId url lastSyncedAt createdAt'
const IMPORT = `propertyId source dryRun events added moved removed unchanged
  conflicts { uid start end overlaps { kind id startDate endDate uid } reason } problems { line message }`

/** The documents of the calendar operations (listed with the others by documents.ts's remoteDocuments). */
export const CALENDAR_DOCUMENTS = {
  export: `query($property: String!) { r: calendarExport(property: $property) { propertyId events ics } }`,
  listTokens: `query($property: String!, $all: Boolean) { r: calendarTokens(property: $property, all: $all) { ${TOKEN} } }`,
  listFeeds: `query($property: String!) { r: calendarFeeds(property: $property) { ${FEED} } }`,
  publish: `mutation($property: String!) { r: publishCalendar(property: $property) { ${TOKEN} token path } }`,
  revokeToken: `mutation($id: Int!) { r: revokeCalendarToken(id: $id) { ${TOKEN} } }`,
  addFeed: `mutation($property: String!, $url: String!) { r: addCalendarFeed(property: $property, url: $url) { ${FEED} } }`,
  removeFeed: `mutation($property: String!, $url: String!) { r: removeCalendarFeed(property: $property, url: $url) { id removed blocksRemoved } }`,
  import: `mutation($property: String!, $url: String, $ics: String, $fileName: String, $dryRun: Boolean, $timeoutMs: Int, $maxBytes: Int) {
    r: importCalendar(property: $property, url: $url, ics: $ics, fileName: $fileName, dryRun: $dryRun, timeoutMs: $timeoutMs, maxBytes: $maxBytes) { ${IMPORT} } }`,
  sync: `mutation($property: String, $timeoutMs: Int, $maxBytes: Int) {
    r: syncCalendars(property: $property, timeoutMs: $timeoutMs, maxBytes: $maxBytes) { feeds { ${FEED} status error result { ${IMPORT} } } } }`,
}

type Calendar = Backend['calendar']
const D = CALENDAR_DOCUMENTS

/** The conflicts as the local operation gives them: no uid key on an overlap without one. */
function localShape<T>(value: T): T {
  if (value === undefined || value === null) return value
  return JSON.parse(JSON.stringify(value), (key, v) => (key === 'uid' && v === null ? undefined : v)) as T
}

export function remoteCalendar(client: RemoteClient): Calendar {
  const call = async <T>(document: string, variables: Record<string, unknown>, idempotent: boolean): Promise<T> =>
    localShape(Object.values(await client.request<Record<string, T>>(document, variables, {idempotent}))[0])
  type R<K extends keyof Calendar> = Awaited<ReturnType<Calendar[K]>>
  return {
    export: async (input) => call<R<'export'>>(D.export, {property: String(input.property)}, true),
    listTokens: async (input) => call<R<'listTokens'>>(D.listTokens, {property: String(input.property), all: input.all}, true),
    listFeeds: async (input) => call<R<'listFeeds'>>(D.listFeeds, {property: String(input.property)}, true),
    publish: async (input) => call<R<'publish'>>(D.publish, {property: String(input.property)}, false),
    revokeToken: async (id) => call<R<'revokeToken'>>(D.revokeToken, {id: Number(id)}, true),
    addFeed: async (input) => call<R<'addFeed'>>(D.addFeed, {property: String(input.property), url: input.url}, false),
    removeFeed: async (input) => call<R<'removeFeed'>>(D.removeFeed, {property: String(input.property), url: input.url}, false),
    import: async (input) => call<R<'import'>>(D.import, {...input, property: String(input.property)}, false),
    sync: async (input = {}) => call<R<'sync'>>(D.sync, {...input, property: input.property === undefined ? undefined : String(input.property)}, false),
  }
}
