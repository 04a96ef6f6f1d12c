import { MAX_CHART_FILE_BYTES, parseChartMetadata } from './chart-metadata';

function parse(text: string) {
  return parseChartMetadata(Buffer.from(text, 'utf8'));
}

describe('parseChartMetadata', () => {
  it('should keep every well-typed Chart.yaml field', () => {
    const result = parse(
      [
        'apiVersion: v2',
        'name: nginx',
        'version: 1.2.3',
        'description: A web server',
        'keywords: [web, proxy]',
        'appVersion: "1.25"',
        'home: https://nginx.org',
        'sources: [https://github.com/nginx/nginx]',
        'icon: https://nginx.org/icon.png',
        'deprecated: false',
        'type: application',
        'kubeVersion: ">=1.22.0"',
        'maintainers:',
        '  - name: Ana',
        '    email: ana@example.com',
        '    url: https://example.com/ana',
        '  - name: Bo',
        'annotations:',
        '  category: Infrastructure',
        'dependencies:',
        '  - name: redis',
        '    version: 17.x.x',
        '    repository: https://charts.example.com',
        '    condition: redis.enabled',
        '    tags: [cache]',
        '',
      ].join('\n'),
    );
    expect(result).toEqual({
      problem: null,
      chart: {
        apiVersion: 'v2',
        name: 'nginx',
        version: '1.2.3',
        description: 'A web server',
        keywords: ['web', 'proxy'],
        appVersion: '1.25',
        home: 'https://nginx.org',
        sources: ['https://github.com/nginx/nginx'],
        icon: 'https://nginx.org/icon.png',
        deprecated: false,
        type: 'application',
        kubeVersion: '>=1.22.0',
        maintainers: [{ name: 'Ana', email: 'ana@example.com', url: 'https://example.com/ana' }, { name: 'Bo' }],
        annotations: { category: 'Infrastructure' },
        dependencies: [
          {
            name: 'redis',
            version: '17.x.x',
            repository: 'https://charts.example.com',
            condition: 'redis.enabled',
            tags: ['cache'],
          },
        ],
      },
    });
  });

  it('should return only name and version for a minimal Chart.yaml', () => {
    expect(parse('name: a\nversion: 0.1.0\n')).toEqual({ chart: { name: 'a', version: '0.1.0' }, problem: null });
  });

  it('should drop fields of the wrong type instead of failing', () => {
    const result = parse(
      'name: a\nversion: 0.1.0\nappVersion: 1.0\ndeprecated: "yes"\nkeywords: [ok, 3, {x: 1}]\nhome: [x]\nmaintainers: [{email: x@y}, {name: Cy}]\nannotations: {a: b, c: 1}\n',
    );
    expect(result.chart).toEqual({
      name: 'a',
      version: '0.1.0',
      keywords: ['ok'],
      maintainers: [{ name: 'Cy' }],
      annotations: { a: 'b' },
    });
  });

  it('should drop strings over their length bound', () => {
    const result = parse(`name: a\nversion: 0.1.0\ndescription: ${'d'.repeat(4097)}\nicon: ${'i'.repeat(3000)}\n`);
    expect(result.chart).toEqual({ name: 'a', version: '0.1.0' });
  });

  it('should keep dependencies JSON-safe and bounded', () => {
    const result = parse(
      'name: a\nversion: 0.1.0\ndependencies:\n  - {name: x, weight: .inf, bin: !!binary aGk=, deep: {a: {b: {c: {d: {e: 1}}}}}}\n  - just-a-string\n',
    );
    expect(result.chart?.dependencies).toEqual([{ name: 'x', deep: { a: { b: {} } } }]);
  });

  it.each([
    ['no name', 'version: 1.0.0\n', "Chart.yaml needs a 'name' string of 1 to 255 characters"],
    ['an empty name', 'name: ""\nversion: 1.0.0\n', "Chart.yaml needs a 'name' string of 1 to 255 characters"],
    ['a numeric version', 'name: a\nversion: 1.0\n', "Chart.yaml needs a 'version' string of 1 to 128 characters"],
    ['no version', 'name: a\n', "Chart.yaml needs a 'version' string of 1 to 128 characters"],
    ['a list', '- name: a\n', 'Chart.yaml is not a YAML mapping'],
    ['a scalar', 'just text\n', 'Chart.yaml is not a YAML mapping'],
    ['an empty file', '', 'Chart.yaml is not a YAML mapping'],
    [
      'an unsupported tag',
      'name: !!python/object:os.system a\nversion: 1.0.0\n',
      'Chart.yaml uses an unsupported YAML tag',
    ],
  ])('should report a problem for %s', (_label, text, reason) => {
    expect(parse(text)).toEqual({ chart: null, problem: reason });
  });

  it.each([
    ['broken syntax', 'name: [a\nversion: 1.0.0\n'],
    ['a duplicate key', 'name: a\nname: b\nversion: 1.0.0\n'],
    ['several documents', 'name: a\nversion: 1.0.0\n---\nname: b\n'],
    ['bad indentation', 'name: a\n  version: 1.0.0\n x: y\n'],
  ])('should report invalid YAML for %s', (_label, text) => {
    const result = parse(text);
    expect(result.chart).toBeNull();
    expect(result.problem).toMatch(/^Chart\.yaml is not valid YAML: /);
  });

  it('should stop an alias expansion bomb', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const result = parse(`name: a\nversion: 1.0.0\n${lines.join('\n')}\n`);
    expect(result.chart).toBeNull();
    expect(result.problem).toMatch(/^Chart\.yaml could not be read: /);
  });

  it('should report a Chart.yaml over the size bound without parsing it', () => {
    const result = parseChartMetadata(Buffer.alloc(MAX_CHART_FILE_BYTES + 1, 0x20));
    expect(result).toEqual({ chart: null, problem: `Chart.yaml is larger than ${MAX_CHART_FILE_BYTES} bytes` });
  });

  it('should not let a __proto__ key change prototypes', () => {
    const result = parse(
      'name: a\nversion: 1.0.0\n__proto__: {polluted: yes}\nannotations: {__proto__: x}\ndependencies: [{__proto__: {polluted: 1}, name: d}]\n',
    );
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(result.chart)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(result.chart?.annotations)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(result.chart?.annotations, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(result.chart?.dependencies?.[0])).toBe(Object.prototype);
  });

  it('should read YAML 1.2 core scalars, so yes/no stay strings', () => {
    expect(parse('name: yes\nversion: "1.0.0"\ndeprecated: true\n').chart).toEqual({
      name: 'yes',
      version: '1.0.0',
      deprecated: true,
    });
  });

  it('should accept a UTF-8 byte order mark', () => {
    expect(parse('\ufeffname: a\nversion: 1.0.0\n').chart).toEqual({ name: 'a', version: '1.0.0' });
  });
});
