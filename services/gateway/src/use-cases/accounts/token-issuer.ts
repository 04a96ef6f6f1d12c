import { Inject, Injectable } from '@nestjs/common';
import { Caller, ForbiddenError, TokenRecord, outlivesProof } from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { AccountWriter } from '../../auth/account-writer';
import { mintToken } from '../../auth/api-tokens';

export interface IssuedToken {
  /** The token itself, shown once. */
  text: string;
  record: TokenRecord;
}

/** Mints tokens for users and robots, with the expiry the registry and the caller's own proof allow. */
@Injectable()
export class TokenIssuer {
  constructor(
    private readonly writer: AccountWriter,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
  ) {}

  async issue(
    account: string,
    robot: string | null,
    label: string,
    expiresAt: string | null,
    actor = account,
  ): Promise<IssuedToken> {
    const minted = mintToken(robot === null ? account : `${account}+${robot}`);
    await this.writer.execute(
      account,
      { type: 'IssueToken', robot, tokenId: minted.id, secretHash: minted.secretHash, label, expiresAt },
      actor,
    );
    return {
      text: minted.text,
      record: { id: minted.id, secretHash: minted.secretHash, label, expiresAt, createdAt: new Date().toISOString() },
    };
  }

  /**
   * The expiry of a token the caller creates (`lifetimeSeconds`: undefined for the configured
   * lifetime, null for none), such that it never outlives the token the caller authenticated
   * with: a longer one is cut to that token's expiry (the answer's `expires_at` says so); asking
   * outright for a token that never expires is refused (403).
   */
  expiryFor(caller: Caller, lifetimeSeconds: number | null | undefined): string | null {
    const asked =
      lifetimeSeconds === undefined
        ? this.defaultExpiry()
        : lifetimeSeconds === null
          ? null
          : new Date(Date.now() + lifetimeSeconds * 1000).toISOString();
    if (!outlivesProof(caller, asked)) return asked;
    const limit = (caller as { proof: { expiresAt: string } }).proof.expiresAt;
    if (asked === null && lifetimeSeconds !== undefined) {
      throw ForbiddenError.because(
        'a token that expires cannot create a token that never expires: authenticate with the password',
        { expires_at: limit },
      );
    }
    return limit;
  }

  /** The configured token lifetime from now; null when tokens do not expire. */
  defaultExpiry(): string | null {
    const ttl = this.config.auth.tokenTtlSeconds;
    return ttl > 0 ? new Date(Date.now() + ttl * 1000).toISOString() : null;
  }
}
