/** Wire shapes of the App Registry API as Wharf serves them (appr-api.md §1.3 plus Wharf's decisions). */

export interface ContentDescriptor {
  /** Lowercase hex sha256 of the gunzipped tar, no `sha256:` prefix. */
  digest: string;
  mediaType: string;
  /** Length of the gzipped bytes as pushed. */
  size: number;
  urls: string[];
}

export interface Manifest {
  package: string;
  release: string;
  created_at: string;
  mediaType: string;
  metadata: unknown;
  content: ContentDescriptor;
  /** Only on GET `P/{release}/{media_type}`: channels whose current release is this one. */
  channels?: string[];
}

export interface ListEntry {
  name: string;
  namespace: string;
  default: string;
  releases: string[];
  manifests: string[];
  visibility: string;
  created_at: string;
  updated_at: string;
}

export interface ChannelView {
  name: string;
  current: string;
  releases: string[];
}

export interface PullJson {
  package: string;
  release: string;
  media_type: string;
  filename: string;
  blob: string;
}

export interface BlobJson {
  package: string;
  /** The appr digest the blob was asked by. */
  release: string;
  filename: string;
  blob: string;
}

export interface Stats {
  /** Events in the log. */
  events: number;
  /** Stored blobs. */
  blobs: number;
}
