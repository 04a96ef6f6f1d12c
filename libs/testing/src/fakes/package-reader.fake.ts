import { PackageView, findManifest, packageHead } from '@wharf/domain';
import { PackageReader, releaseInView } from '@wharf/ports';

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
      if (!found) return null;
      const head = packageHead(found);
      const name = releaseInView(release, found);
      return { head, manifest: (name !== null && findManifest(found, name, mediaType)) || null };
    },
    list: async () => [],
    count: async () => views.length,
  };
}
