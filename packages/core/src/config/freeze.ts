/** Deep freezing of the resolved configuration. */

const MAP_MUTATORS = ['set', 'delete', 'clear'] as const;

const readOnlyMapMutator = (): never => {
  throw new TypeError('The resolved ai-failover config is read-only');
};

/**
 * Freezes `value` and everything reachable from it. Maps are frozen too: their `set`, `delete`
 * and `clear` throw a `TypeError`.
 */
export function deepFreeze<T>(value: T, seen: WeakSet<object> = new WeakSet()): T {
  if ((typeof value !== 'object' || value === null) && typeof value !== 'function') return value;
  if (seen.has(value)) return value;
  seen.add(value);
  if (value instanceof Map) {
    for (const entry of value) deepFreeze(entry, seen);
    for (const name of MAP_MUTATORS) {
      Object.defineProperty(value, name, { value: readOnlyMapMutator });
    }
  }
  for (const key of Reflect.ownKeys(value)) deepFreeze(Reflect.get(value, key), seen);
  return Object.freeze(value);
}
