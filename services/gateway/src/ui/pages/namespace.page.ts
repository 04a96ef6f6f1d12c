import { markup } from '../html';
import { PageContext, page } from './layout';
import { ListPage, packageList } from './package-list';

/** `admin`: the visitor administers the namespace, so the link to its audit trail shows (the server checks again). */
export function namespacePage(ctx: PageContext, namespace: string, list: ListPage, admin = false) {
  return page(
    ctx,
    namespace,
    markup`<h1>${namespace}</h1>
      <p class="muted">Helm repository: <code>/helm/${namespace}</code></p>
      ${admin ? markup`<p><a href="/ui/-/audit/${namespace}">Audit trail and limits</a></p>` : ''}
      ${packageList(list, 'No packages you can see in this namespace.')}`,
  );
}
