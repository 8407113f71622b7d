import { errorResponse } from './error-responses';
import type { Exchange } from './exchange';
import type {
  Fault,
  MalformedJsonFault,
  OkFault,
  ReplyShape,
  ResetMidStreamFault,
  StallFault,
  TruncatedFault,
} from './fault-types';
import { type Latency, sampleLatency } from './latency';
import { healthyReply, type Reply, type ReplyOverrides, type ReplySettings } from './reply';
import { halveEvent, JSON_HEADERS, SSE_DONE, SSE_HEADERS } from './sse';

/** What running a fault needs besides the fault itself. */
export interface RunContext {
  exchange: Exchange;
  settings: ReplySettings;
  chunkDelayMs: number;
  latencyMs: Latency | undefined;
}

/** The healthy reply a fault starts from. */
function shape(fault: ReplyShape): ReplyOverrides {
  return { content: fault.content, toolCalls: fault.toolCalls, reasoning: fault.reasoning };
}

function half(text: string): string {
  return text.slice(0, Math.floor(text.length / 2));
}

function replyHead(reply: Reply): { status: number; headers: Record<string, string> } {
  return reply.kind === 'json'
    ? { status: reply.status, headers: JSON_HEADERS }
    : { status: 200, headers: SSE_HEADERS };
}

/**
 * Writes `events` with `delayMs` between them, pausing `stall.ms` before event `stall.at`
 * (or before returning, when `stall.at` is past the end). Returns `false` if the exchange ended.
 */
async function writeEvents(
  exchange: Exchange,
  events: readonly string[],
  delayMs: number,
  stall?: { at: number; ms: number },
): Promise<boolean> {
  const stallAt = stall ? Math.min(stall.at, events.length) : -1;
  for (let i = 0; i <= events.length; i++) {
    if (i > 0 && i < events.length && !(await exchange.sleep(delayMs))) return false;
    if (i === stallAt && !(await exchange.sleep(stall?.ms ?? 0))) return false;
    if (i < events.length && !exchange.write(events[i]!)) return false;
  }
  return true;
}

async function sendOk(ctx: RunContext, fault: OkFault): Promise<void> {
  const { exchange } = ctx;
  const reply = healthyReply(exchange.record, ctx.settings, { ...shape(fault), usage: fault.usage });
  if (!(await exchange.sleep(fault.ttfbMs ?? 0))) return;
  if (reply.kind === 'json') {
    exchange.send(reply.status, JSON_HEADERS, reply.body);
    return;
  }
  exchange.writeHead(200, SSE_HEADERS);
  exchange.flushHeaders();
  if (await writeEvents(exchange, reply.events, fault.chunkDelayMs ?? ctx.chunkDelayMs)) exchange.end();
}

async function sendResetMidStream(ctx: RunContext, fault: ResetMidStreamFault): Promise<void> {
  const { exchange } = ctx;
  const reply = healthyReply(exchange.record, ctx.settings, shape(fault));
  if (reply.kind === 'json') {
    exchange.writeHead(reply.status, {
      ...JSON_HEADERS,
      'content-length': String(Buffer.byteLength(reply.body)),
    });
    exchange.flushHeaders();
    if (fault.afterChunks >= 1) exchange.write(half(reply.body));
    exchange.closeConnection();
    return;
  }
  exchange.writeHead(200, SSE_HEADERS);
  exchange.flushHeaders();
  const sent = reply.events.slice(0, Math.max(0, fault.afterChunks));
  if (await writeEvents(exchange, sent, fault.chunkDelayMs ?? ctx.chunkDelayMs)) exchange.closeConnection();
}

async function sendStall(ctx: RunContext, fault: StallFault): Promise<void> {
  const { exchange } = ctx;
  const reply = healthyReply(exchange.record, ctx.settings, shape(fault));
  const stall = { at: Math.max(0, fault.afterChunks), ms: fault.ms ?? Number.POSITIVE_INFINITY };
  const { status, headers } = replyHead(reply);
  if (reply.kind === 'json') {
    exchange.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(reply.body)) });
    exchange.flushHeaders();
    const pieces = [half(reply.body), reply.body.slice(half(reply.body).length)];
    if (await writeEvents(exchange, pieces, 0, { at: Math.min(stall.at, 1), ms: stall.ms })) exchange.end();
    return;
  }
  exchange.writeHead(status, headers);
  exchange.flushHeaders();
  if (await writeEvents(exchange, reply.events, fault.chunkDelayMs ?? ctx.chunkDelayMs, stall))
    exchange.end();
}

function sendMalformed(ctx: RunContext, _fault: MalformedJsonFault): void {
  const { exchange } = ctx;
  const reply = healthyReply(exchange.record, ctx.settings);
  if (reply.kind === 'json') {
    exchange.send(200, JSON_HEADERS, half(reply.body) || '{');
    return;
  }
  exchange.writeHead(200, SSE_HEADERS);
  exchange.write(reply.events[0]!);
  exchange.write(halveEvent(reply.events[1]!));
  exchange.end(reply.events.at(-1) === SSE_DONE ? SSE_DONE : '');
}

function sendTruncated(ctx: RunContext, fault: TruncatedFault): void {
  const { exchange } = ctx;
  const reply = healthyReply(exchange.record, ctx.settings, shape(fault));
  const body = reply.kind === 'json' ? reply.body : reply.events.join('');
  const { status, headers } = replyHead(reply);
  exchange.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  exchange.flushHeaders();
  exchange.write(half(body));
  exchange.closeConnection();
}

/** Applies `fault` to the exchange: waits its latency, then answers (or misbehaves) accordingly. */
export async function runFault(ctx: RunContext, fault: Fault): Promise<void> {
  const { exchange } = ctx;
  if (!(await exchange.sleep(sampleLatency(fault.latencyMs ?? ctx.latencyMs)))) return;
  const error = errorResponse(fault, exchange.record);
  if (error) {
    exchange.send(error.status, error.headers, error.body);
    return;
  }
  switch (fault.type) {
    case 'ok':
      return sendOk(ctx, fault);
    case 'resetMidStream':
      return sendResetMidStream(ctx, fault);
    case 'stall':
      return sendStall(ctx, fault);
    case 'malformedJson':
      return sendMalformed(ctx, fault);
    case 'truncated':
      return sendTruncated(ctx, fault);
    case 'reset':
      exchange.resetConnection();
      return;
    default:
      return;
  }
}
