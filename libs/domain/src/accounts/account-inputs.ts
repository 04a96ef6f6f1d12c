/**
 * The rules for what an account holder chooses: a new password's length, a token's label and
 * lifetime. Each rule lives here once; the gateway's HTTP edge and use cases apply it.
 */
import { InvalidUsageError } from '../errors';
import { LOGIN_LABEL } from './account.decider';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;
export const MAX_TOKEN_LABEL_LENGTH = 100;
export const DEFAULT_TOKEN_LABEL = 'api';
export const MIN_TOKEN_LIFETIME_SECONDS = 60;
export const MAX_TOKEN_LIFETIME_SECONDS = 10 * 365 * 86_400;

/** A password being set (sign-up, change): 8 to 1024 characters. */
export function assertNewPassword(password: string): string {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new InvalidUsageError(`a password must have ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`, {
      field: 'password',
    });
  }
  return password;
}

/** A label a caller gives a token: printable ASCII, at most 100 characters, never the login tokens' label. */
export function assertTokenLabel(label: string): string {
  if (label.length > MAX_TOKEN_LABEL_LENGTH || /[^\x20-\x7e]/.test(label)) {
    throw new InvalidUsageError(`'label' must be printable and at most ${MAX_TOKEN_LABEL_LENGTH} characters`, {
      field: 'label',
    });
  }
  if (label === LOGIN_LABEL)
    throw new InvalidUsageError(`'${LOGIN_LABEL}' is the label of login tokens`, { field: 'label' });
  return label;
}

/**
 * A token's asked lifetime (`expires_in`): undefined when not asked (the registry's default
 * applies), null for a token that never expires (`null` or `0`), else whole seconds from a
 * minute to ten years.
 */
export function parseTokenLifetime(seconds: unknown): number | null | undefined {
  if (seconds === undefined) return undefined;
  if (seconds === null || seconds === 0) return null;
  if (
    typeof seconds !== 'number' ||
    !Number.isInteger(seconds) ||
    seconds < MIN_TOKEN_LIFETIME_SECONDS ||
    seconds > MAX_TOKEN_LIFETIME_SECONDS
  ) {
    throw new InvalidUsageError("'expires_in' must be a number of seconds from 60 to ten years, or null", {
      field: 'expires_in',
    });
  }
  return seconds;
}
