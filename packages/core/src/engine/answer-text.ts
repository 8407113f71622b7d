/**
 * The upstream's JSON text of an answer or a stream chunk that reaches the caller unchanged (the
 * OpenAI protocol passes both through), kept for the OpenAI-compatible routes: they send the
 * upstream's bytes instead of serializing again what was just parsed. Only a call that asks keeps
 * it (an app holding many answers would otherwise hold each twice), and weakly: an entry lives as
 * long as its object.
 */
const texts = new WeakMap<object, string>();

/** The call option that asks for the text to be kept (set by the routes, not part of `CallOptions`). */
export const KEEP_TEXT: unique symbol = Symbol('ai-failover.keepText');

export function keepText(value: object, text: string): void {
  texts.set(value, text);
}

/** The JSON text `value` was parsed from, when it was kept and `value` is unchanged since. */
export function textOf(value: object): string | undefined {
  return texts.get(value);
}
