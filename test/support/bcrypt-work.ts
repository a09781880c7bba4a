/**
 * Counts the bcrypt work a piece of code does, for tests of login timing that do not depend
 * on the clock: bcrypt.compare is wrapped (the services call it through the module's export,
 * in this process, as an in-process server does too), and each compare's cost is noted. A
 * compare at cost c runs 2^c rounds of the key schedule, which is what its time is made of.
 */
import bcrypt from 'bcrypt'

export interface BcryptWork {
  /** The costs of the compares since the last take(), and forget them. */
  take(): number[]
  restore(): void
}

/** Rounds of a list of compares: Σ 2^cost. */
export const rounds = (costs: number[]): number => costs.reduce((sum, cost) => sum + 2 ** cost, 0)

export function recordBcryptWork(): BcryptWork {
  const original = bcrypt.compare
  const compare = original.bind(bcrypt) as (data: string | Buffer, hash: string) => Promise<boolean>
  let costs: number[] = []
  const patched = async (data: string | Buffer, hash: string): Promise<boolean> => {
    costs.push(bcrypt.getRounds(hash))
    return compare(data, hash)
  }
  bcrypt.compare = patched as unknown as typeof bcrypt.compare
  return {
    take() {
      const taken = costs
      costs = []
      return taken
    },
    restore() {
      bcrypt.compare = original
    },
  }
}
