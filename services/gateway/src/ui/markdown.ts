/**
 * A chart's README as HTML, safe to put in a page. markdown-it with `html: false` escapes every
 * raw HTML tag of the source, so the only markup is the one its own renderer writes; its link
 * check already refuses `javascript:`, `vbscript:`, `file:` and `data:` (but images') URLs. On top:
 * an image is never loaded (the page would fetch a URL the chart's author chose, which tells them
 * who reads it): it becomes a link to the image the reader may follow, only for http(s) URLs; and
 * links leave with `rel="nofollow noopener noreferrer"`. The page's Content-Security-Policy
 * (`ui-assets.ts`) is the second wall: no inline script and no image from another origin would
 * run or load even if this let one through.
 */
import MarkdownIt from 'markdown-it';
import { escapeHtml } from './html';

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });

md.renderer.rules.image = (tokens, idx) => {
  const token = tokens[idx]!;
  const src = String(token.attrGet('src') ?? '');
  const alt = token.children ? md.renderer.renderInlineAsText(token.children, md.options, {}) : token.content;
  const label = `image: ${String(alt) || src}`;
  if (!/^https?:\/\//i.test(src)) return `<span class="md-image">[${escapeHtml(label)}]</span>`;
  return `<a class="md-image" href="${escapeHtml(src)}" rel="nofollow noopener noreferrer">[${escapeHtml(label)}]</a>`;
};

const defaultLinkOpen = md.renderer.rules.link_open;
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx]!.attrSet('rel', 'nofollow noopener noreferrer');
  return defaultLinkOpen ? defaultLinkOpen(tokens, idx, options, env, self) : self.renderToken(tokens, idx, options);
};

/** The README's HTML; the source is cut at `maxChars` first (a README is untrusted and may be huge). */
export function renderReadme(source: string, maxChars = 256 * 1024): string {
  return md.render(source.length > maxChars ? source.slice(0, maxChars) : source);
}
