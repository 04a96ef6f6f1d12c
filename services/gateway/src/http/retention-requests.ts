/** The retention routes' path ids and bodies, read into the typed input their use cases take. */
import { RetentionSettings, parseRetentionPolicyId, parseRetentionSettings } from '@wharf/domain';
import { parseJsonBody } from './request-values';

export function retentionPolicy(id: string, body: unknown): { id: string; settings: RetentionSettings } {
  return { id: parseRetentionPolicyId(id), settings: parseRetentionSettings(parseJsonBody(body)) };
}

export const retentionPolicyId = parseRetentionPolicyId;

export function retentionSettings(body: unknown): RetentionSettings {
  return parseRetentionSettings(parseJsonBody(body));
}
