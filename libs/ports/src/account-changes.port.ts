/**
 * Told when events were appended to a namespace's account stream, by the one place that appends
 * them (the gateway's AccountWriter), after the append succeeded. The account store has no feed
 * of its own, so a follower of account streams (the webhook account enqueuer) learns here which
 * stream to read; it reads from its own mark, so a call it misses (a crash) is made good by the
 * namespace's next change. Never awaited by the writer: a follower's failure never fails a change.
 */
export const ACCOUNT_CHANGES = Symbol('AccountChanges');

export interface AccountChanges {
  appended(namespace: string): void;
}
