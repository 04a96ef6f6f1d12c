import { markup } from '../html';
import { PageContext, page } from './layout';
import { ListPage, packageList } from './package-list';

export function namespacePage(ctx: PageContext, namespace: string, list: ListPage) {
  return page(
    ctx,
    namespace,
    markup`<h1>${namespace}</h1>
      <p class="muted">Helm repository: <code>/helm/${namespace}</code></p>
      ${packageList(list, 'No packages you can see in this namespace.')}`,
  );
}
