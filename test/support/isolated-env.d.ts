/** See isolated-env.js. */
export function isolatedHome(extra?: NodeJS.ProcessEnv, prefix?: string): NodeJS.ProcessEnv & {HOME: string}
export function tempFolder(prefix?: string): string
