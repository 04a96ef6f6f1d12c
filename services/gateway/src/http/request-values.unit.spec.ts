import { InvalidUsageError } from '@wharf/domain';
import {
  MAX_JSON_CONTAINERS,
  flag,
  mergeValues,
  optionalInt,
  optionalString,
  parseJsonBody,
  requiredString,
} from './request-values';

/** The InvalidUsageError a call throws, failing the test when it throws nothing or something else. */
function usageError(call: () => unknown): InvalidUsageError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidUsageError);
    return error as InvalidUsageError;
  }
  throw new Error('expected an InvalidUsageError, nothing was thrown');
}

describe('parseJsonBody', () => {
  it.each([undefined, null, '', '  \n\t', Buffer.alloc(0), Buffer.from(' \r\n')])(
    'treats an empty body (%j) as no values',
    (raw) => {
      expect(parseJsonBody(raw)).toEqual({});
    },
  );

  it('parses a JSON object from bytes, whatever the Content-Type was', () => {
    const body = Buffer.from(JSON.stringify({ release: '1.0.0', media_type: 'helm', metadata: { a: [1, null] } }));
    expect(parseJsonBody(body)).toEqual({ release: '1.0.0', media_type: 'helm', metadata: { a: [1, null] } });
  });

  it('refuses, before parsing, a body with more objects and arrays than any request of the API holds', () => {
    const flood = (n: number) => Buffer.from(`{"release":"1.0.0","junk":[${'{},'.repeat(n - 2)}{}]}`);
    expect(Object.keys(parseJsonBody(flood(MAX_JSON_CONTAINERS - 1)))).toEqual(['release', 'junk']);
    expect(usageError(() => parseJsonBody(flood(MAX_JSON_CONTAINERS))).details).toEqual({
      field: 'body',
      max_containers: MAX_JSON_CONTAINERS,
    });
  });

  it('parses a JSON object given as text', () => {
    expect(parseJsonBody('{"force":"true"}')).toEqual({ force: 'true' });
  });

  it('parses UTF-8 bytes as UTF-8', () => {
    expect(parseJsonBody(Buffer.from('{"name":"ünïcødé"}', 'utf8'))).toEqual({ name: 'ünïcødé' });
  });

  it.each(['{', '{"a":1,}', "{'a':1}", 'release=1.0.0', '\u0000'])(
    'refuses malformed JSON %j as invalid-usage on the body',
    (raw) => {
      const error = usageError(() => parseJsonBody(Buffer.from(raw)));
      expect(error.details).toEqual({ field: 'body' });
      expect(error.message).toMatch(/not valid JSON/);
    },
  );

  it('keeps control characters out of the message it echoes', () => {
    const error = usageError(() => parseJsonBody('{"a":"\u0001\u001b[31m'));
    // eslint-disable-next-line no-control-regex
    expect(error.message).not.toMatch(/[\u0000-\u001f]/);
  });

  it.each(['[]', '[{"a":1}]', 'null', '42', '"text"', 'true'])('refuses JSON that is not an object: %s', (raw) => {
    const error = usageError(() => parseJsonBody(raw));
    expect(error.message).toBe('request body must be a JSON object');
    expect(error.details).toEqual({ field: 'body' });
  });
});

describe('mergeValues', () => {
  it('merges query and body, the body winning', () => {
    expect(mergeValues({ release: 'from-query', media_type: 'kpm' }, { release: 'from-body', blob: 'b64' })).toEqual({
      release: 'from-body',
      media_type: 'kpm',
      blob: 'b64',
    });
  });

  it('reads a null-prototype query object like the one the query parser builds', () => {
    const query = Object.assign(Object.create(null) as Record<string, unknown>, { force: 'true' });
    expect(mergeValues(query, {})).toEqual({ force: 'true' });
  });

  it.each([undefined, null, 'force=true', ['force', 'true']])(
    'treats a query that is not an object (%j) as empty',
    (query) => {
      expect(mergeValues(query, { release: '1.0.0' })).toEqual({ release: '1.0.0' });
    },
  );

  it('does not change the query or the body it merges', () => {
    const query = { a: '1' };
    const body = { b: '2' };
    mergeValues(query, body);
    expect(query).toEqual({ a: '1' });
    expect(body).toEqual({ b: '2' });
  });

  it.each(['namespace[$ne]', 'namespace[]', 'a[b]', '$where', 'x]', 'q$'])(
    'refuses the query parameter name %s',
    (name) => {
      const error = usageError(() => mergeValues({ ok: 'x', [name]: 'value' }, {}));
      expect(error.details).toEqual({ field: name });
      expect(error.message).toContain(name);
    },
  );

  it('bounds the refused name it echoes', () => {
    const name = '$' + 'x'.repeat(500);
    const error = usageError(() => mergeValues({ [name]: '1' }, {}));
    expect(String(error.details.field).length).toBeLessThan(100);
  });

  it('accepts ordinary parameter names', () => {
    expect(mergeValues({ media_type: 'helm', 'page-size': '10', 'a.b': 'c' }, {})).toEqual({
      media_type: 'helm',
      'page-size': '10',
      'a.b': 'c',
    });
  });
});

describe('flag', () => {
  it('is true only for the string "true"', () => {
    expect(flag({ force: 'true' }, 'force')).toBe(true);
  });

  it.each([true, 'True', 'TRUE', '1', 'yes', 'on', '', 1, ['true'], { value: 'true' }, null, undefined])(
    'is false for %j',
    (value) => {
      expect(flag({ force: value }, 'force')).toBe(false);
    },
  );

  it('is false when absent', () => {
    expect(flag({}, 'force')).toBe(false);
  });

  it('a JSON boolean in the body overrides the query string and does not count (reference behaviour)', () => {
    expect(flag(mergeValues({ force: 'true' }, { force: true }), 'force')).toBe(false);
    expect(flag(mergeValues({ force: 'true' }, {}), 'force')).toBe(true);
  });
});

describe('optionalString / requiredString', () => {
  it('returns a string value and undefined when absent', () => {
    expect(optionalString({ release: '1.0.0' }, 'release')).toBe('1.0.0');
    expect(optionalString({}, 'release')).toBeUndefined();
    expect(optionalString({ release: '' }, 'release')).toBe('');
  });

  it.each([['1.0.0'], { $ne: 'x' }, 1, true, null])('refuses a value that is not a string: %j', (value) => {
    const error = usageError(() => optionalString({ release: value }, 'release'));
    expect(error.details).toEqual({ field: 'release' });
    usageError(() => requiredString({ release: value }, 'release'));
  });

  it.each([{}, { release: '' }])(
    'requiredString reports a missing or empty value as "Missing <field>": %j',
    (values) => {
      const error = usageError(() => requiredString(values, 'release'));
      expect(error.message).toBe('Missing release');
      expect(error.details).toEqual({ field: 'release' });
    },
  );

  it('requiredString returns a present value', () => {
    expect(requiredString({ blob: 'abc' }, 'blob')).toBe('abc');
  });
});

describe('optionalInt', () => {
  it('reads a decimal integer in range, and undefined when absent or empty', () => {
    expect(optionalInt({ limit: '10' }, 'limit', 1, 100)).toBe(10);
    expect(optionalInt({ limit: '1' }, 'limit', 1, 100)).toBe(1);
    expect(optionalInt({ limit: '100' }, 'limit', 1, 100)).toBe(100);
    expect(optionalInt({}, 'limit', 1, 100)).toBeUndefined();
    expect(optionalInt({ limit: '' }, 'limit', 1, 100)).toBeUndefined();
  });

  it.each(['0', '101', '-1', '1.5', '1e2', '0x10', ' 10', 'ten', '9999999999'])('refuses %j', (value) => {
    const error = usageError(() => optionalInt({ limit: value }, 'limit', 1, 100));
    expect(error.details).toEqual({ field: 'limit' });
  });

  it('refuses a number that did not arrive as a string', () => {
    usageError(() => optionalInt({ limit: 10 }, 'limit', 1, 100));
  });
});
