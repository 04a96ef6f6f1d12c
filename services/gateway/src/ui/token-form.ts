/**
 * A token form's fields (label, expiry in days) as the API's token request: the user's own
 * tokens and a robot's go through the API's `tokenRequest`, which applies the token rules.
 */
import { tokenRequest } from '../http/account-requests';

export function tokenFormRequest(form: URLSearchParams): ReturnType<typeof tokenRequest> {
  const days = Number(form.get('days') ?? '');
  return tokenRequest(
    JSON.stringify({ label: form.get('label') ?? '', expires_in: Number.isInteger(days) ? days * 86_400 : days }),
  );
}
