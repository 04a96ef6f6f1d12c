import { ANONYMOUS } from '@wharf/domain';
import { AuditView, auditPage } from './audit.page';
import type { PageContext } from './layout';

const ctx: PageContext = { caller: ANONYMOUS, csrf: 'csrf-token', accounts: true, signup: true };

function view(overrides: Partial<AuditView> = {}): AuditView {
  return {
    namespace: 'acme',
    events: [],
    limits: { max_blob_bytes: null, max_storage_bytes: 1000, requests_per_minute: 60, allow_overwrites: false },
    older: false,
    canSetLimits: false,
    ...overrides,
  };
}

describe('auditPage', () => {
  it("shows the limits to the namespace's admins, and the form that sets them only to a site admin", () => {
    const read = auditPage(ctx, view()).text;
    expect(read).toContain('<dt>requests per minute</dt><dd>60</dd>');
    expect(read).not.toContain('action="/ui/-/audit/acme/limits"');
    const admin = auditPage(ctx, view({ canSetLimits: true })).text;
    expect(admin).toContain('action="/ui/-/audit/acme/limits"');
    expect(admin).toContain('name="requests_per_minute" type="number" min="1" value="60"');
    expect(admin).toContain('name="max_blob_bytes" type="number" min="1" value=""');
    expect(admin).toContain('<option value="false" selected>no</option>');
    expect(admin).toContain('<input type="hidden" name="_csrf" value="csrf-token" />');
  });
});
