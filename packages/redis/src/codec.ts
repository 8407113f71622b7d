/**
 * The wire format of shared state: one envelope per change, the same in a published message and
 * in a stored value. Whatever comes out of Redis is untrusted input, so decoding rebuilds a fresh
 * change from checked fields and never throws.
 */
import type { StateChange } from '@ai-failover/core';

/** Version of the envelope; envelopes of another version are ignored. */
export const FORMAT_VERSION = 1;

/** Longest message or stored value read, in characters; anything longer is ignored unparsed. */
export const MAX_PAYLOAD_LENGTH = 16 * 1024;

const MAX_ID_LENGTH = 512;

/**
 * Furthest a change's `until` may lie ahead of this replica's clock: a day. Nothing a client
 * learns lasts that long (upstream waits are cut to an hour by default), so a later time is a
 * corrupt or hostile value and is ignored rather than spread to every replica.
 */
export const MAX_UNTIL_AHEAD_MS = 24 * 60 * 60 * 1000;

/** A change as it travels: who learned it, and what. */
export interface Envelope {
  readonly v: typeof FORMAT_VERSION;
  /** Id of the sharing instance (one per replica) that published it. */
  readonly origin: string;
  readonly change: StateChange;
}

/** The outcome of decoding: an envelope, or why the input was ignored. */
export type Decoded =
  | { readonly ok: true; readonly envelope: Envelope }
  | { readonly ok: false; readonly reason: string };

/** Serializes a change learned by `origin`. */
export function encode(origin: string, change: StateChange): string {
  const envelope: Envelope = { v: FORMAT_VERSION, origin, change };
  return JSON.stringify(envelope);
}

/** Parses and checks an envelope read from Redis; `now` is this replica's clock. */
export function decode(raw: string, now: number = Date.now()): Decoded {
  if (raw.length > MAX_PAYLOAD_LENGTH) return rejected(`longer than ${MAX_PAYLOAD_LENGTH} characters`);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return rejected('not JSON');
  }
  if (!isRecord(value)) return rejected('not a JSON object');
  if (value.v !== FORMAT_VERSION) return rejected(`unknown format version ${describe(value.v)}`);
  if (!isId(value.origin)) return rejected('origin is not a non-empty string');
  const change = parseChange(value.change, now);
  if (typeof change === 'string') return rejected(change);
  return { ok: true, envelope: { v: FORMAT_VERSION, origin: value.origin, change } };
}

/**
 * Names what a change is about, so that later changes to the same thing replace earlier ones:
 * `breaker:{deployment}`, `cooldown:{provider}:{key fingerprint}`, or for a keyless provider
 * `cooldown:{provider}:{deployment}`.
 */
export function subjectOf(change: StateChange): string {
  if (change.kind === 'breaker') return `breaker:${change.deployment}`;
  return `cooldown:${change.provider}:${change.key ?? change.deployment}`;
}

function parseChange(value: unknown, now: number): StateChange | string {
  if (!isRecord(value)) return 'change is not an object';
  if (!isId(value.deployment)) return 'change.deployment is not a non-empty string';
  const deployment = value.deployment;
  if (value.kind === 'breaker') {
    if (value.state !== 'open' && value.state !== 'closed') return 'change.state is not "open" or "closed"';
    if (value.until === undefined) return { kind: 'breaker', deployment, state: value.state };
    const problem = untilProblem(value.until, now);
    if (problem) return problem;
    return { kind: 'breaker', deployment, state: value.state, until: value.until as number };
  }
  if (value.kind === 'cooldown') {
    if (!isId(value.provider)) return 'change.provider is not a non-empty string';
    if (value.key !== null && !isId(value.key)) return 'change.key is not a non-empty string or null';
    const problem = untilProblem(value.until, now);
    if (problem) return problem;
    if (value.reason !== 'rate_limited' && value.reason !== 'auth') {
      return 'change.reason is not "rate_limited" or "auth"';
    }
    return {
      kind: 'cooldown',
      provider: value.provider,
      key: value.key,
      deployment,
      until: value.until as number,
      reason: value.reason,
    };
  }
  return `unknown change kind ${describe(value.kind)}`;
}

/** Why a `until` is out of range: not a time, or more than a day ahead. */
function untilProblem(until: unknown, now: number): string | undefined {
  if (typeof until !== 'number' || !Number.isFinite(until) || until < 0) {
    return 'change.until is not a time (ms since the epoch)';
  }
  if (until > now + MAX_UNTIL_AHEAD_MS) return 'change.until is more than a day ahead';
  return undefined;
}

function rejected(reason: string): Decoded {
  return { ok: false, reason };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return typeof value;
}
