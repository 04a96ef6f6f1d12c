/**
 * A source's creation time of a release, as the import keeps it (the manifest's createdAt):
 * an ISO instant in UTC, or undefined when the source gives none that can be trusted (not a
 * time, or after `now`: a future time would keep the release from "pushed within" retention for
 * ever), in which case the import's own time is kept, as for a push.
 *
 * - Helm index.yaml `created`: RFC 3339 with an offset (a string, or a Date when YAML read it so).
 * - cnr-server `created_at`: Python's `datetime.utcnow().isoformat()`, without an offset: UTC.
 * - ChartMuseum storage: the file's modification time, which ChartMuseum itself reports as
 *   `created` (its index is built from its storage's last-modified times).
 */
const NAIVE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/;
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

export function sourceTime(value: unknown, now: Date = new Date()): string | undefined {
  let time: number;
  // Not instanceof: a Date made by node's fs may come from another realm (a test runner's).
  if (Object.prototype.toString.call(value) === '[object Date]') time = (value as Date).getTime();
  else if (typeof value === 'string' && WITH_OFFSET.test(value)) time = Date.parse(value.toUpperCase());
  else if (typeof value === 'string' && NAIVE.test(value))
    time = Date.parse(`${value.replace(/(\.\d{3})\d+$/, '$1')}Z`);
  else return undefined;
  if (Number.isNaN(time) || time > now.getTime()) return undefined;
  return new Date(time).toISOString();
}
