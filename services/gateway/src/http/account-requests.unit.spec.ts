import {
  auditPage,
  memberRole,
  namespaceLimits,
  organizationName,
  passwordChange,
  robotRequest,
  tokenRequest,
  userCredentials,
} from './account-requests';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const refusal = (field: string) =>
  expect.objectContaining({ code: 'invalid-usage', details: expect.objectContaining({ field }) });

describe('account requests', () => {
  it('reads Quay credentials, naming the missing field', () => {
    expect(userCredentials(json({ user: { username: 'alice', password: 'pw' } }))).toEqual({
      username: 'alice',
      password: 'pw',
    });
    expect(() => userCredentials(json({}))).toThrow(refusal('user'));
    expect(() => userCredentials(json({ user: { password: 'pw' } }))).toThrow(refusal('user.username'));
    expect(() => userCredentials(json({ user: { username: 'alice', password: '' } }))).toThrow(
      refusal('user.password'),
    );
  });

  it('requires the current password for a change, leaving the new one to the password rule', () => {
    expect(passwordChange(json({ current_password: 'old', password: 'short' }))).toEqual({
      currentPassword: 'old',
      password: 'short',
    });
    expect(passwordChange(json({ current_password: 'old' }))).toEqual({ currentPassword: 'old', password: '' });
    expect(() => passwordChange(json({ password: 'a-new-password' }))).toThrow(refusal('current_password'));
  });

  it('reads a token request: label (default api) and lifetime', () => {
    expect(tokenRequest(undefined)).toEqual({ label: 'api', lifetimeSeconds: undefined });
    expect(tokenRequest(json({ label: 'ci', expires_in: 0 }))).toEqual({ label: 'ci', lifetimeSeconds: null });
    expect(() => tokenRequest(json({ label: 'login' }))).toThrow(refusal('label'));
    expect(() => tokenRequest(json({ expires_in: '60' }))).toThrow(refusal('expires_in'));
  });

  it('reads roles, leaving a robot lifetime as sent (only a new robot reads it)', () => {
    expect(memberRole(json({ role: 'write' }))).toBe('write');
    expect(() => memberRole(json({ role: 'owner' }))).toThrow(refusal('role'));
    expect(robotRequest(json({ role: 'read', expires_in: 'soon' }))).toEqual({ role: 'read', expiresIn: 'soon' });
    expect(organizationName(json({}))).toBe('');
  });

  it('reads limits: positive integers, a flag, or null', () => {
    expect(namespaceLimits(json({ max_blob_bytes: 10, allow_overwrites: false }))).toEqual({
      maxBlobBytes: 10,
      maxStorageBytes: null,
      requestsPerMinute: null,
      allowOverwrites: false,
    });
    expect(() => namespaceLimits(json({ max_storage_bytes: 0 }))).toThrow(refusal('max_storage_bytes'));
    expect(() => namespaceLimits(json({ allow_overwrites: 'yes' }))).toThrow(refusal('allow_overwrites'));
  });

  it('reads an audit page: 1 to 1000 events (100 by default), before an event version', () => {
    expect(auditPage({})).toEqual({ limit: 100, before: undefined });
    expect(auditPage({ limit: '1000', before: '42' })).toEqual({ limit: 1000, before: 42 });
    expect(() => auditPage({ limit: '1001' })).toThrow(refusal('limit'));
    expect(() => auditPage({ before: 'x' })).toThrow(refusal('before'));
  });
});
