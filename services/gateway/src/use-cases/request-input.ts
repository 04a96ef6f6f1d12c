/**
 * What a request says (its query string and body), read into `T` by the HTTP edge
 * (`services/gateway/src/http`) when the use case asks for it, throwing the edge's typed error
 * (400 invalid-usage and the like) for input it cannot read.
 *
 * A use case asks only once its guard has passed (the caller may act, what the path names
 * exists), so a caller who may not act is refused as such (401, 403, 404) whatever else was
 * wrong with its request, and the order in which a request's faults are reported is the use
 * case's, in one place.
 */
export type RequestInput<T> = () => T;
