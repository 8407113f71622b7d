/**
 * `node:diagnostics_channel` channels for those who trace without OpenTelemetry (an APM agent, a
 * logger of their own). Messages are built only while a channel has subscribers. `attempt:start`
 * is published synchronously just before the attempt's HTTP call is sent, in its async context.
 */
import { channel } from 'node:diagnostics_channel';
import type { AttemptReport, RequestReport } from '../types';

/** What a request does: a chat completion (streamed or not) or embeddings. */
export type Operation = 'chat' | 'embeddings';

/** `ai-failover:request:start`: a call began. */
export interface RequestStartMessage {
  readonly requestId: string;
  readonly operation: Operation;
  /** The model group asked for. */
  readonly model: string;
  readonly stream: boolean;
}

/** `ai-failover:request:end`: a call ended (for a stream, when the stream did), with its report. */
export interface RequestEndMessage {
  readonly requestId: string;
  readonly operation: Operation;
  readonly model: string;
  readonly report: RequestReport;
  /** The error it ended with, if it failed. */
  readonly error: Error | undefined;
}

/** `ai-failover:attempt:start`: an attempt is about to send its HTTP request. */
export interface AttemptStartMessage {
  readonly requestId: string;
  /** `provider/model`. */
  readonly deployment: string;
  readonly provider: string;
  /** The model name the provider is sent. */
  readonly model: string;
  /** The group it is tried for. */
  readonly group: string;
}

/** `ai-failover:attempt:end`: an attempt ended (for a stream: its first token arrived, or it failed). */
export interface AttemptEndMessage {
  readonly requestId: string;
  readonly attempt: AttemptReport;
}

/** The channels' names. */
export const CHANNELS = Object.freeze({
  requestStart: 'ai-failover:request:start',
  requestEnd: 'ai-failover:request:end',
  attemptStart: 'ai-failover:attempt:start',
  attemptEnd: 'ai-failover:attempt:end',
});

export const requestStart = channel(CHANNELS.requestStart);
export const requestEnd = channel(CHANNELS.requestEnd);
export const attemptStart = channel(CHANNELS.attemptStart);
export const attemptEnd = channel(CHANNELS.attemptEnd);

/** True while any of the channels has a subscriber. */
export function channelsObserved(): boolean {
  return (
    requestStart.hasSubscribers ||
    requestEnd.hasSubscribers ||
    attemptStart.hasSubscribers ||
    attemptEnd.hasSubscribers
  );
}
