import { errorResponse } from './error-responses';
import type { Exchange } from './exchange';
import type {
  Fault,
  FloodFault,
  FloodShape,
  MalformedJsonFault,
  OkFault,
  ReplyShape,
  ResetMidStreamFault,
  StallFault,
  StreamErrorFault,
  TruncatedFault,
} from './fault-types';
import { type Latency, sampleLatency } from './latency';
import { openAiError } from './openai-errors';
import { healthyReply, type Reply, type ReplyOverrides, type ReplySettings } from './reply';
import { halveEvent, JSON_HEADERS, SSE_DONE, SSE_HEADERS, sseEvent } from './sse';

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

async function sendStreamError(ctx: RunContext, fault: StreamErrorFault): Promise<void> {
  const { exchange } = ctx;
  const reply = healthyReply(exchange.record, ctx.settings, { content: fault.content });
  if (reply.kind === 'json') {
    exchange.send(reply.status, JSON_HEADERS, reply.body);
    return;
  }
  exchange.writeHead(200, SSE_HEADERS);
  exchange.flushHeaders();
  const sent = reply.events.slice(0, Math.max(0, fault.afterChunks));
  if (!(await writeEvents(exchange, sent, fault.chunkDelayMs ?? ctx.chunkDelayMs))) return;
  const error = openAiError(500, {
    ...(fault.message === undefined ? {} : { message: fault.message }),
    ...(fault.code === undefined ? {} : { code: fault.code }),
  });
  exchange.end(sseEvent(JSON.stringify(error)));
}

/** Block written over and over by a flood: 64 KiB of one pattern. */
const FLOOD_BLOCK = 64 * 1024;

function repeatTo(unit: string, size: number): string {
  return unit.repeat(Math.max(1, Math.floor(size / unit.length)));
}

const EMPTY_CHUNK = sseEvent(
  JSON.stringify({
    id: 'chatcmpl-flood',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'flood',
    choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: null }],
  }),
);

/** What a flood of each shape starts with, and the block it then repeats. */
const FLOODS: Record<FloodShape, { head: string; block: string; json: boolean }> = {
  line: { head: 'data: ', block: 'x'.repeat(FLOOD_BLOCK), json: false },
  event: { head: '', block: repeatTo(`data: ${'x'.repeat(1018)}\n`, FLOOD_BLOCK), json: false },
  emptyEvents: { head: '', block: repeatTo(EMPTY_CHUNK, FLOOD_BLOCK), json: false },
  json: {
    head: '{"object":"chat.completion","choices":[],"padding":"',
    block: 'x'.repeat(FLOOD_BLOCK),
    json: true,
  },
};

async function sendFlood(ctx: RunContext, fault: FloodFault): Promise<void> {
  const { exchange } = ctx;
  const { head, block, json } = FLOODS[fault.shape];
  exchange.writeHead(200, json ? JSON_HEADERS : SSE_HEADERS);
  exchange.flushHeaders();
  let left = fault.bytes ?? Number.POSITIVE_INFINITY;
  let next = head;
  while (left > 0) {
    const piece = next.length > left ? next.slice(0, left) : next;
    if (piece.length > 0 && !(await exchange.pump(piece))) return;
    left -= piece.length;
    next = block;
  }
  exchange.end();
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
    case 'streamError':
      return sendStreamError(ctx, fault);
    case 'flood':
      return sendFlood(ctx, fault);
    case 'reset':
      exchange.resetConnection();
      return;
    default:
      return;
  }
}
