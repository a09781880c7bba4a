/**
 * Cancellation policies: how much of what a guest paid (and has not already had refunded)
 * comes back, by whole days between the
 * cancellation (today) and check-in. The first rule whose `minDays` is met applies.
 *
 * | policy   | ≥ 14 days | 7–13 days | 5–6 days | 1–4 days | check-in day |
 * |----------|-----------|-----------|----------|----------|--------------|
 * | flexible | 100 %     | 100 %     | 100 %    | 100 %    | 0 %          |
 * | moderate | 100 %     | 100 %     | 100 %    | 50 %     | 0 %          |
 * | strict   | 100 %     | 50 %      | 0 %      | 0 %      | 0 %          |
 *
 * The refund is floor(paid cents × percent / 100): never a fraction of a cent in the guest's
 * favour beyond what the policy gives.
 */
import {CANCELLATION_POLICIES, type CancellationPolicy} from '../domain.js'
import {ValidationError} from '../errors.js'

export const POLICY_RULES: Record<CancellationPolicy, {minDays: number; percent: number}[]> = {
  flexible: [
    {minDays: 1, percent: 100},
    {minDays: 0, percent: 0},
  ],
  moderate: [
    {minDays: 5, percent: 100},
    {minDays: 1, percent: 50},
    {minDays: 0, percent: 0},
  ],
  strict: [
    {minDays: 14, percent: 100},
    {minDays: 7, percent: 50},
    {minDays: 0, percent: 0},
  ],
}

export function checkPolicy(value: string): CancellationPolicy {
  if (!(CANCELLATION_POLICIES as readonly string[]).includes(value)) {
    throw new ValidationError(`cancellation policy must be one of ${CANCELLATION_POLICIES.join(', ')}; got "${value}"`, {
      details: {field: 'cancellationPolicy'},
    })
  }
  return value as CancellationPolicy
}

/** The percentage a policy refunds when cancelling `daysBefore` days before check-in. */
export function refundPercent(policy: CancellationPolicy, daysBefore: number): number {
  if (daysBefore < 0) return 0
  return POLICY_RULES[policy].find((rule) => daysBefore >= rule.minDays)?.percent ?? 0
}

/** Cents refunded of `paidCents` under `policy`, cancelling `daysBefore` days ahead. */
export function policyRefundCents(policy: CancellationPolicy, daysBefore: number, paidCents: number): number {
  return Math.floor((paidCents * refundPercent(policy, daysBefore)) / 100)
}
