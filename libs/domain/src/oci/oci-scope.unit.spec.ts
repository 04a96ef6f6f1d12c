import { formatOciScope, parseOciScope } from './oci-scope';

describe('parseOciScope', () => {
  it('reads a repository scope and its actions, * as all of them', () => {
    expect(parseOciScope('repository:acme/web:pull,push')).toEqual({
      namespace: 'acme',
      name: 'web',
      actions: ['pull', 'push'],
    });
    expect(parseOciScope('repository:acme/web:*')?.actions).toEqual(['pull', 'push', 'delete']);
    expect(formatOciScope(parseOciScope('repository:acme/web:pull,pull')!)).toBe('repository:acme/web:pull');
  });

  it.each(['registry:catalog:*', 'repository:web:pull', 'repository:a/b/c:pull', 'repository:acme/web:steal', ''])(
    'leaves %j out (null)',
    (text) => {
      expect(parseOciScope(text)).toBeNull();
    },
  );
});
