import { PackageView, findManifest, packageHead } from '@wharf/domain';
import type { PackageReader } from '@wharf/ports';

/**
 * A PackageReader over fixed views (none: a registry with no package): each read answers what
 * the metadata store would for them, whole, as a head, or as a head and one manifest.
 */
export function packageReaderOf(views: readonly PackageView[] = []): PackageReader {
  const get = async (pkg: string) => views.find((v) => v.package === pkg) ?? null;
  return {
    get,
    getHead: async (pkg) => {
      const found = await get(pkg);
      return found && packageHead(found);
    },
    getRelease: async (pkg, release, mediaType) => {
      const found = await get(pkg);
      return found && { head: packageHead(found), manifest: findManifest(found, release, mediaType) ?? null };
    },
    list: async () => [],
    count: async () => views.length,
  };
}
