/**
 * Lanes: a subscription's deliveries for one package go one at a time, in log order. Replicas of
 * the webhook service split the lanes by this hash (WHARF_WEBHOOK_SHARD=index/count), so a lane
 * has one sender; the delivery store filters by it before it limits (a shard whose lanes are
 * younger than another's backlog is never starved).
 */
import { createHash } from 'node:crypto';

/** Which of `count` shards sends the lane of (subscription, package): stable across processes. */
export function laneShard(lane: { subscription: string; package: string }, count: number): number {
  if (count <= 1) return 0;
  return createHash('sha256').update(`${lane.subscription} ${lane.package}`).digest().readUInt32BE(0) % count;
}
