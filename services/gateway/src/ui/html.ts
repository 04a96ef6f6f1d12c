/**
 * The UI's one way to write HTML: a tagged template (`markup`, not `html`: Prettier reformats
 * templates tagged `html`, whitespace inside `<pre>` included) whose interpolations are escaped unless they
 * are `Html` (another template's result, or `trusted` markup the UI made itself: the rendered
 * README). Arrays are joined; null, undefined and false render nothing. A page can only contain
 * what a template wrote, so user input (names, descriptions, values.yaml) is text everywhere.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

export function markup(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** Markup the UI produced itself and vouches for (sanitised README, fixed assets). */
export function trusted(markup: string): Html {
  return new Html(markup);
}

function render(value: Part): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
