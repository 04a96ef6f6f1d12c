/**
 * The web UI's reading pages (`/ui/`): search, a namespace, a package, and the two static files.
 * Server-rendered over the same use cases and guards as the API routes, so a page shows exactly
 * what the visitor's token would get from the API. Every page reads without JavaScript.
 */
import { Controller, Get, Inject, Param, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SessionPages } from '../auth/session-cookie';
import {
  Caller,
  HELM_MEDIA_TYPE,
  PackageNotFoundError,
  UnauthorizedError,
  sortReleasesDescending,
} from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { RouteNotFoundError } from '@wharf/http';
import { AccessControl } from '../auth/access-control';
import type { listEntryJson } from '../presenters/appr.presenter';
import { publicOrigin } from '@wharf/http';
import { resolveViewRelease } from '../use-cases/read-package/package-lookup';
import { packageSearch } from '../http/package-requests';
import { ListPackagesUseCase } from '../use-cases/read-package/list-packages.use-case';
import { ReadablePackages } from '../use-cases/read-package/readable-packages';
import { SearchPackagesUseCase } from '../use-cases/read-package/search-packages.use-case';
import { OciReadsUseCases } from '../use-cases/oci/oci-reads.use-cases';
import { ociRepositoryPage } from './pages/oci-repository.page';
import { namespacePage } from './pages/namespace.page';
import type { ListPage, PackageEntry } from './pages/package-list';
import { packagePage, versionsPage } from './pages/package.page';
import { SearchView, searchBase, searchPage, searchResults } from './pages/search.page';
import { ReleaseFiles } from './release-files';
import { UI_ASSETS } from './ui-assets';
import { UiExceptionFilter } from './ui-exception.filter';
import { UiResponder } from './ui-responder';

/** Packages per page of a list. */
export const UI_PAGE_SIZE = 20;

type Request = FastifyRequest;

@Controller('ui')
@SessionPages()
@UseFilters(UiExceptionFilter)
export class UiBrowseController {
  constructor(
    private readonly pages: UiResponder,
    private readonly searching: SearchPackagesUseCase,
    private readonly listing: ListPackagesUseCase,
    private readonly packages: ReadablePackages,
    private readonly files: ReleaseFiles,
    private readonly access: AccessControl,
    private readonly oci: OciReadsUseCases,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
  ) {}

  @Get()
  search(@Query() query: Record<string, unknown>, @Req() request: Request, @Res() reply: FastifyReply) {
    return this.pages.render(request, reply, async (ctx) => {
      const view = await this.searchView(ctx.caller, query);
      return query.partial === '1' ? searchResults(view) : searchPage(ctx, view);
    });
  }

  @Get('-/assets/:hash/:file')
  asset(@Param('file') file: string, @Req() request: Request, @Res() reply: FastifyReply) {
    const found = UI_ASSETS.find((a) => a.name === file);
    if (!found) throw new RouteNotFoundError('GET', request.url);
    const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    void reply
      .header('content-type', found.contentType)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('vary', 'accept-encoding');
    if (gzip) void reply.header('content-encoding', 'gzip');
    return reply.send(gzip ? found.gzip : found.body);
  }

  @Get(':namespace')
  namespace(
    @Param('namespace') namespace: string,
    @Query() query: Record<string, unknown>,
    @Req() request: Request,
    @Res() reply: FastifyReply,
  ) {
    return this.pages.render(request, reply, async (ctx) => {
      const page = pageNumber(query.page);
      const found = await this.listing.execute(ctx.caller, {
        namespace,
        limit: UI_PAGE_SIZE + 1,
        offset: (page - 1) * UI_PAGE_SIZE,
      });
      const list: ListPage = {
        entries: found.slice(0, UI_PAGE_SIZE).map(listedEntry),
        page,
        hasNext: found.length > UI_PAGE_SIZE,
        base: `/ui/${encodeURIComponent(namespace)}`,
      };
      const admin = ctx.accounts && (await this.access.roleOn(ctx.caller, namespace)) === 'admin';
      return namespacePage(ctx, namespace, list, admin);
    });
  }

  @Get(':namespace/:package')
  package(
    @Param('namespace') namespace: string,
    @Param('package') name: string,
    @Query() query: Record<string, unknown>,
    @Req() request: Request,
    @Res() reply: FastifyReply,
  ) {
    return this.pages.render(request, reply, async (ctx) => {
      const view = await this.packages.get(ctx.caller, namespace, name).catch(async (error: unknown) => {
        // No release: an OCI repository of other manifests (oras), read as /v2 reads it, or the 404.
        const repository = await this.ociRepository(ctx.caller, namespace, name);
        if (repository) return repository;
        throw error;
      });
      if (view.manifests.length === 0) return ociRepositoryPage(ctx, view);
      const release = resolveViewRelease(view, typeof query.release === 'string' ? query.release : undefined);
      const byRelease = new Map<string, typeof view.manifests>();
      for (const m of view.manifests) byRelease.set(m.release, [...(byRelease.get(m.release) ?? []), m]);
      const manifests = byRelease.get(release) ?? [];
      const shown = manifests.find((m) => m.mediaType === 'helm') ?? manifests[0];
      const files = shown ? await this.files.of(shown) : { files: null, note: null };
      const role = await this.access.roleOn(ctx.caller, view.namespace);
      const { releases: shownReleases, ...versions } = versionsPage(
        sortReleasesDescending([...byRelease.keys()]),
        pageNumber(query.versions),
      );
      return packagePage(ctx, {
        view,
        release,
        manifests,
        releases: shownReleases.map((r) => ({ release: r, manifests: byRelease.get(r) ?? [] })),
        versions,
        chart: shown?.chart ?? null,
        files: files.files,
        filesNote: files.note,
        origin: this.origin(request),
        admin: ctx.accounts && role === 'admin',
      });
    });
  }

  private async searchView(caller: Caller, query: Record<string, unknown>): Promise<SearchView> {
    // The API's own reader of a search (`media_type` and `sort` checked as on the API: a bad one is a 400 page).
    const search = packageSearch(query);
    const text = search.text.trim();
    const namespace = search.namespace ?? '';
    const mediaType = search.mediaType ?? '';
    const sort = search.sort ?? 'relevance';
    const page = pageNumber(query.page);
    const base = searchBase({ query: text, namespace, mediaType, sort });
    const filters = { query: text, namespace, mediaType, sort, base, page };
    if (text === '') {
      const found = await this.listing.execute(caller, {
        namespace: search.namespace,
        mediaType: search.mediaType,
        limit: UI_PAGE_SIZE + 1,
        offset: (page - 1) * UI_PAGE_SIZE,
      });
      const entries = found.slice(0, UI_PAGE_SIZE).map((p): PackageEntry => listedEntry(p));
      return { ...filters, entries, hasNext: found.length > UI_PAGE_SIZE };
    }
    // Best match or newest release first, over the packages the visitor may read (the search use case's own filter).
    const names = await this.searching.execute(caller, { ...search, text });
    const slice = names.slice((page - 1) * UI_PAGE_SIZE, page * UI_PAGE_SIZE);
    const entries = (await Promise.all(slice.map((n) => this.entryOf(caller, n)))).filter(
      (e): e is PackageEntry => e !== null,
    );
    return { ...filters, entries, hasNext: names.length > page * UI_PAGE_SIZE };
  }

  /** The repository's view when it holds OCI manifests and the caller may read it as on /v2; else null. */
  private async ociRepository(caller: Caller, namespace: string, name: string) {
    try {
      const view = await this.oci.repository({ caller, namespace, name });
      return (view.ociArtifacts?.length ?? 0) > 0 ? view : null;
    } catch (error) {
      // Missing or unreadable (a private one is missing to others; an anonymous caller's /v2 challenge too).
      if (error instanceof PackageNotFoundError || error instanceof UnauthorizedError) return null;
      throw error;
    }
  }

  private async entryOf(caller: Caller, full: string): Promise<PackageEntry | null> {
    const slash = full.indexOf('/');
    try {
      const [namespace, name] = [full.slice(0, slash), full.slice(slash + 1)];
      // The head (releases newest first) and, for a chart, its newest release's row: never the
      // whole package, for each of a page's results on every keystroke.
      const head = await this.packages.head(caller, namespace, name);
      const newest = head.releases[0] ?? null;
      const chart = newest?.mediaTypes.includes(HELM_MEDIA_TYPE)
        ? (await this.packages.manifest(caller, namespace, name, newest.release, HELM_MEDIA_TYPE)).manifest.chart
        : null;
      return {
        namespace: head.namespace,
        name: head.name,
        latest: newest?.release ?? null,
        visibility: head.visibility,
        description: chart?.description ?? null,
        updatedAt: head.updatedAt,
      };
    } catch (error) {
      // The search index lags the writes a moment: a package deleted since is left out.
      if (error instanceof PackageNotFoundError) return null;
      throw error;
    }
  }

  /** The origin the install commands name: as the discovery page's (WHARF_PUBLIC_URL, or a Host that may be echoed). */
  private origin(request: Request): string {
    return publicOrigin(request, this.config);
  }
}

/** An entry of the API's package listing, whose `name` is the full `namespace/name`. */
function listedEntry(p: ReturnType<typeof listEntryJson>): PackageEntry {
  return {
    namespace: p.namespace,
    name: p.name.startsWith(`${p.namespace}/`) ? p.name.slice(p.namespace.length + 1) : p.name,
    latest: p.default,
    visibility: p.visibility,
    description: null,
    updatedAt: p.updated_at,
  };
}

function pageNumber(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : 1;
  return Number.isInteger(n) && n >= 1 && n <= 10_000 ? n : 1;
}
