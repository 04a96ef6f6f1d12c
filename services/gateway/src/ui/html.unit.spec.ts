import { Html, escapeHtml, markup, trusted } from './html';

describe('markup', () => {
  it('escapes every interpolated string, in text and in attributes', () => {
    const name = `<script>alert("x")</script>' onmouseover='x`;
    expect(markup`<a title="${name}">${name}</a>`.text).toBe(
      `<a title="${escapeHtml(name)}">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;x</a>`,
    );
  });

  it('keeps the markup of nested templates and trusted HTML, joins arrays, drops null, undefined and false', () => {
    const items = ['a<', 'b'].map((x) => markup`<li>${x}</li>`);
    const out = markup`<ul>${items}</ul>${null}${undefined}${false}${trusted('<hr>')}${0}`;
    expect(out).toBeInstanceOf(Html);
    expect(out.text).toBe('<ul><li>a&lt;</li><li>b</li></ul><hr>0');
  });
});
