/**
 * Freezes `value` and everything in it (a tree, as JSON.parse builds). Event logs deliver the
 * events they decode frozen, because one decoded event is shared by every consumer group: a
 * handler that changed it would change what the others see.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
