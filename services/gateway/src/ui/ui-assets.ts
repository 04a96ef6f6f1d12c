/**
 * The UI's only static files: one stylesheet and one script, both small enough to live here as
 * text (no bundler, nothing to copy at build time; `npm run build` compiles them with the rest).
 * The script is progressive enhancement only: every page reads and every form posts without it.
 * It shows the copy buttons (hidden without it) and turns the search box into search as you
 * type, fetching the same server-rendered results (`?partial=1`). Served with a content hash in
 * the URL and cached for a year.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

const SCRIPT = `(() => {
  'use strict';
  for (const button of document.querySelectorAll('button[data-copy]')) {
    button.hidden = false;
    button.addEventListener('click', async () => {
      const source = document.getElementById(button.dataset.copy);
      if (!source) return;
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        button.textContent = 'Copied';
      } catch {
        button.textContent = 'Press Ctrl+C';
        const range = document.createRange();
        range.selectNodeContents(source);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
      }
      setTimeout(() => { button.textContent = 'Copy'; }, 2000);
    });
  }
  const form = document.getElementById('search-form');
  const results = document.getElementById('results');
  if (!form || !results) return;
  let timer = 0;
  let asked = 0;
  form.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const query = new URLSearchParams();
      for (const [name, value] of new FormData(form)) if (value) query.append(name, value);
      const mine = ++asked;
      const answer = await fetch(form.action + '?' + query + '&partial=1', { credentials: 'same-origin' });
      if (mine !== asked || !answer.ok) return;
      results.innerHTML = await answer.text();
      history.replaceState(null, '', form.action + '?' + query);
    }, 250);
  });
})();
`;

const STYLE = `:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--card:#f6f8fa;--accent:#0b5cad;--badge:#8a4b00;--badge-bg:#fff1d6;--ok:#116329}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;--line:#30363d;--card:#161b22;--accent:#6cb6ff;--badge:#f2cc60;--badge-bg:#3b2e00;--ok:#56d364}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
a{color:var(--accent)}
header.top{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.75rem 1rem;border-bottom:1px solid var(--line)}
header.top .brand{font-weight:700;font-size:1.2rem;text-decoration:none;color:var(--fg)}
header.top nav{margin-left:auto;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header.top form{display:inline}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem;overflow-wrap:anywhere}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem;border-bottom:1px solid var(--line);padding-bottom:.25rem}
input,select,button{font:inherit;color:var(--fg);background:var(--bg);border:1px solid var(--muted);border-radius:6px;padding:.35rem .6rem}
button{cursor:pointer;background:var(--card)}
button.link{border:none;background:none;color:var(--accent);text-decoration:underline;padding:0}
label{display:block;font-weight:600;margin:.5rem 0 .2rem}
.search{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin-bottom:1rem}
.search label{margin:0}
ul.packages{list-style:none;padding:0;margin:0}
ul.packages li{padding:.75rem 0;border-bottom:1px solid var(--line)}
ul.packages .desc{color:var(--muted);margin:.2rem 0 0}
.badge{display:inline-block;font-size:.8rem;padding:0 .4rem;border-radius:1rem;background:var(--badge-bg);color:var(--badge);border:1px solid var(--badge);margin-left:.4rem}
.muted{color:var(--muted)}
.layout{display:grid;grid-template-columns:minmax(0,1fr) 20rem;gap:2rem}
@media (max-width:60rem){.layout{grid-template-columns:minmax(0,1fr)}}
aside dl{margin:0}aside dt{font-weight:600;margin-top:.5rem}aside dd{margin:0;overflow-wrap:anywhere}
pre{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.75rem;overflow:auto;max-height:40rem}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
.cmd{display:flex;gap:.5rem;align-items:start}.cmd pre{flex:1;margin:.25rem 0;max-height:none}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
td.digest{font-family:ui-monospace,monospace;font-size:.85em;overflow-wrap:anywhere}td.details{overflow-wrap:anywhere}code.digest{overflow-wrap:anywhere}
.table-wrap{overflow-x:auto}
.readme img{max-width:100%}.readme{overflow-wrap:anywhere}
.notice{border:1px solid var(--line);background:var(--card);padding:.75rem;border-radius:6px;margin:1rem 0}
.error{border-color:#cf222e}
.pager{display:flex;gap:1rem;margin-top:1rem}
.y-key{color:var(--accent)}.y-comment{color:var(--muted);font-style:italic}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:var(--bg);padding:.5rem;z-index:1}
`;

export interface Asset {
  name: string;
  contentType: string;
  body: Buffer;
  gzip: Buffer;
  /** The URL the pages link, with the content's hash, so it may be cached for ever. */
  path: string;
}

function asset(name: string, contentType: string, text: string): Asset {
  const body = Buffer.from(text, 'utf8');
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { name, contentType, body, gzip: gzipSync(body, { level: 9 }), path: `/ui/-/assets/${hash}/${name}` };
}

export const UI_SCRIPT = asset('app.js', 'text/javascript; charset=utf-8', SCRIPT);
export const UI_STYLE = asset('app.css', 'text/css; charset=utf-8', STYLE);
export const UI_ASSETS: readonly Asset[] = [UI_SCRIPT, UI_STYLE];

/** No inline script or style, no other origin: what a README could smuggle in would not run or load. */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');
