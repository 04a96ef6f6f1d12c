/** The path of a request target, without its query (`''` for none): what logs and routes name. */
export function pathOf(url: string | undefined): string {
  const query = url?.indexOf('?') ?? -1;
  return query < 0 ? (url ?? '') : url!.slice(0, query);
}
