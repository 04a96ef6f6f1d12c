import { renderReadme } from './markdown';

describe('renderReadme (a chart README, untrusted)', () => {
  it('renders Markdown', () => {
    expect(renderReadme('# Title\n\nSome **bold** and `code`.')).toBe(
      '<h1>Title</h1>\n<p>Some <strong>bold</strong> and <code>code</code>.</p>\n',
    );
  });

  it('escapes raw HTML: no script, no element with handlers, no iframe', () => {
    const out = renderReadme(
      '<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n<iframe src="https://x.test"></iframe>',
    );
    expect(out).not.toMatch(/<(script|img|iframe)/i);
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('never loads an image: an http(s) image becomes a link the reader may follow, any other a label', () => {
    const out = renderReadme('![logo](https://cdn.test/logo.png) ![pixel](data:image/png;base64,AAAA)');
    expect(out).not.toContain('<img');
    expect(out).toContain(
      '<a class="md-image" href="https://cdn.test/logo.png" rel="nofollow noopener noreferrer">[image: logo]</a>',
    );
    expect(out).toContain('<span class="md-image">[image: pixel]</span>');
  });

  it('refuses script URLs in links and marks the other links nofollow noopener', () => {
    const out = renderReadme('[a](javascript:alert(1)) [b](vbscript:x) [c](https://ok.test/)');
    expect(out).not.toMatch(/href="(javascript|vbscript):/i);
    expect(out).toContain('<a href="https://ok.test/" rel="nofollow noopener noreferrer">c</a>');
  });

  it('cuts a huge README before parsing it', () => {
    expect(renderReadme('a'.repeat(100), 10)).toBe(`<p>${'a'.repeat(10)}</p>\n`);
  });
});
