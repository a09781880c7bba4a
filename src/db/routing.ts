/**
 * Which server a read goes to. Reads that are not part of a write go to the read replicas;
 * the reads of a write (its rule checks, its authorization, what it shows back), and every
 * read after it in the same command or request, go to the primary. A request of `serve` runs
 * in a scope of its own, so one request's write does not send another's reads to the primary;
 * a CLI command has no scope and pins the whole run.
 */
import {AsyncLocalStorage} from 'node:async_hooks'

interface Scope {
  primary: boolean
  /** Causal reads: the wait of this request's replicas for the primary's position at its first read. */
  caughtUp?: Promise<void>
}

export class ReadRouting {
  private readonly scopes = new AsyncLocalStorage<Scope>()
  private pinnedRun = false

  /** Runs `fn` (a request) in a scope of its own: what it pins stays inside. */
  scope<T>(fn: () => T): T {
    return this.scopes.run({primary: false}, fn)
  }

  /** From now on, the reads of this request (or of this command, outside any request) go to the primary. */
  pin(): void {
    const scope = this.scopes.getStore()
    if (scope) scope.primary = true
    else this.pinnedRun = true
  }

  /** Runs `fn` with its reads on the primary, without pinning what comes after it (a token check). */
  onPrimary<T>(fn: () => T): T {
    return this.scopes.run({primary: true}, fn)
  }

  /** The request's scope, if the read issued now is part of one (serve); undefined in a command's run. */
  current(): Scope | undefined {
    return this.scopes.getStore()
  }

  /** Whether a read issued now must go to the primary. */
  wantsPrimary(): boolean {
    const scope = this.scopes.getStore()
    return scope ? scope.primary : this.pinnedRun
  }
}
