import { humanReport } from './cli/maintenance-actions';
import { canonicalJson } from './registry-verify';

describe('verify', () => {
  it('should compare states whatever the order of their keys, and only their content', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [2, { e: 0, f: 1 }] }, b: 1 }),
    );
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: 1, b: 2 }));
  });

  it('should say OK, or list every problem, to a reader at a terminal', () => {
    const base = { events: 12, packages: 2, namespaces: 1, blobsChecked: 3, seconds: 0.25 };
    expect(humanReport({ ...base, ok: true, problems: [] })).toBe(
      'verify: OK: 12 events, 2 packages in 1 namespaces, 3 blobs read, 0.3 s\n',
    );
    const problems = [
      { check: 'blobs' as const, subject: 'abc ns/a@1.0.0 (helm)', problem: 'missing from the blob store' },
      { check: 'search' as const, subject: 'ns/b', problem: 'missing from the store' },
    ];
    expect(humanReport({ ...base, ok: false, problems }).split('\n')).toEqual([
      'verify: 2 PROBLEMS: 12 events, 2 packages in 1 namespaces, 3 blobs read, 0.3 s',
      '  blobs    abc ns/a@1.0.0 (helm): missing from the blob store',
      '  search   ns/b: missing from the store',
      '',
    ]);
  });
});
