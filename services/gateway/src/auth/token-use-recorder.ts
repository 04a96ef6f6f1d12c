import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { LatestPending } from '@wharf/collections';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { PULL_RECORDS, PullRecordStore, TokenUse } from '@wharf/ports';

/** Tokens held before a write is started early, whatever the interval: bounds the memory. */
export const MAX_PENDING_TOKEN_USES = 10_000;

/**
 * Each API token's last use (the token lists' `last_used_at`), kept cheap as the PullRecorder
 * keeps pulls: a request authenticated by a token only sets an entry of an in-memory map
 * ((account, token) → latest instant), written to the PullRecordStore (`recordTokenUses`) as one
 * batch every `WHARF_TOKEN_USE_INTERVAL_SECONDS` (or as soon as it holds MAX_PENDING_TOKEN_USES
 * tokens). So a token is written at most once per interval per gateway however often it is
 * used; no event is appended and no account view touched. A write that fails keeps its entries
 * for the next (merged, the later time winning); a crash loses at most one interval of uses.
 * Reading the last uses writes this gateway's pending ones first, so a list shows the request
 * that asked for it and every earlier one this gateway saw.
 */
@Injectable()
export class TokenUseRecorder implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly pending: LatestPending<TokenUse>;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(PULL_RECORDS) private readonly store: PullRecordStore,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
  ) {
    this.pending = new LatestPending(
      (use) => tokenUseKey(use.account, use.tokenId),
      (use) => use.usedAt,
      (batch) => this.store.recordTokenUses(batch),
    );
  }

  /** `tokenId` of `account` authenticated a request at `at`. Never waits, never throws. */
  used(account: string, tokenId: string, at: Date = new Date()): void {
    this.pending.add({ account, tokenId, usedAt: at.toISOString() });
    if (this.pending.size >= MAX_PENDING_TOKEN_USES) void this.flush().catch(() => undefined);
  }

  /** Writes what was used since the last write; one write at a time, in order. */
  flush(): Promise<void> {
    return this.pending.flush();
  }

  /**
   * The last use of each token of `accounts` (tokenUseKey → ISO instant), this gateway's pending
   * uses written first. A token never used (or not since this store exists) is absent.
   */
  async lastUses(accounts: readonly string[]): Promise<Map<string, string>> {
    await this.flush();
    const uses = await this.store.lastTokenUses(accounts);
    return new Map(uses.map((u) => [tokenUseKey(u.account, u.tokenId), u.usedAt]));
  }

  onApplicationBootstrap(): void {
    const seconds = this.config.auth.tokenUseIntervalSeconds;
    this.timer = setInterval(() => void this.flush().catch(() => undefined), seconds * 1000);
    this.timer.unref();
  }

  /** Before the stores are closed (they close with the HTTP server, or in onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush().catch(() => undefined);
  }
}

/** The key of a token in `TokenUseRecorder.lastUses`. */
export function tokenUseKey(account: string, tokenId: string): string {
  return `${account}/${tokenId}`;
}
