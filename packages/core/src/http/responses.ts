/**
 * OpenAI's Responses API over chat completions: a `POST {path}/responses` body becomes a chat
 * request for any deployment, and the chat answer (or stream) becomes a `response` object (or the
 * Responses stream events). Nothing is stored: what needs stored state (`previous_response_id`,
 * item references, background runs) or a built-in tool answers a 400 rather than a wrong answer.
 */
import { randomBytes } from 'node:crypto';
import type { ChatCompletion, ChatCompletionChunk, ChatMessage, ChatRequest, Usage } from '../types';
import { HttpProblem } from './problem';

type Json = Record<string, unknown>;

function unsupported(param: string, message: string): HttpProblem {
  return new HttpProblem({
    status: 400,
    code: 'unsupported_parameter',
    message: `${param}: ${message}`,
    param,
  });
}

function invalid(param: string, message: string): HttpProblem {
  return new HttpProblem({ status: 400, code: 'invalid_request', message: `${param}: ${message}`, param });
}

/** Fields that need state or tools this server does not have, refused when set. */
const REFUSED: Readonly<Record<string, string>> = {
  previous_response_id: 'responses are not stored here; send the whole conversation in `input`',
  conversation: 'conversations are not stored here; send the whole conversation in `input`',
  prompt: 'stored prompt templates are not available here',
  top_logprobs: 'log probabilities are not available here',
  max_tool_calls: 'cannot be enforced here',
};

/** The chat request of a Responses request (the `model` is the route's business). */
export function chatFromResponses(body: Json): ChatRequest {
  for (const field in REFUSED) {
    if (body[field] !== undefined && body[field] !== null) throw unsupported(field, REFUSED[field]!);
  }
  if (body.background === true)
    throw unsupported('background', 'background responses are not available here');
  const messages: ChatMessage[] = [];
  if (body.instructions !== undefined && body.instructions !== null) {
    if (typeof body.instructions !== 'string') throw invalid('instructions', 'must be a string');
    messages.push({ role: 'system', content: body.instructions });
  }
  const input = body.input;
  if (typeof input === 'string') messages.push({ role: 'user', content: input });
  else if (Array.isArray(input)) appendItems(messages, input);
  else throw invalid('input', 'is required: a string or an array of input items');
  if (messages.length === 0) throw invalid('input', 'must not be empty');

  const chat: ChatRequest = { messages };
  if (typeof body.temperature === 'number') chat.temperature = body.temperature;
  if (typeof body.top_p === 'number') chat.top_p = body.top_p;
  if (typeof body.max_output_tokens === 'number') chat.max_tokens = body.max_output_tokens;
  if (typeof body.parallel_tool_calls === 'boolean') chat.parallel_tool_calls = body.parallel_tool_calls;
  for (const passed of ['user', 'safety_identifier', 'prompt_cache_key', 'service_tier'] as const) {
    if (typeof body[passed] === 'string') chat[passed] = body[passed];
  }
  const effort = (body.reasoning as { effort?: unknown } | undefined)?.effort;
  if (typeof effort === 'string') chat.reasoning_effort = effort;
  const text = body.text as { format?: Json; verbosity?: unknown } | undefined;
  if (text?.format) chat.response_format = responseFormat(text.format);
  if (typeof text?.verbosity === 'string') chat.verbosity = text.verbosity;
  if (body.tools !== undefined && body.tools !== null) chat.tools = tools(body.tools);
  if (body.tool_choice !== undefined && body.tool_choice !== null)
    chat.tool_choice = toolChoice(body.tool_choice);
  return chat;
}

function responseFormat(format: Json): Json {
  switch (format.type) {
    case 'text':
      return { type: 'text' };
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      const schema: Json = { name: format.name ?? 'response', schema: format.schema };
      if (format.strict !== undefined) schema.strict = format.strict;
      if (format.description !== undefined) schema.description = format.description;
      return { type: 'json_schema', json_schema: schema };
    }
    default:
      throw unsupported('text.format.type', `${JSON.stringify(format.type)} is not available here`);
  }
}

function tools(value: unknown): Json[] {
  if (!Array.isArray(value)) throw invalid('tools', 'must be an array');
  return value.map((tool: Json, i) => {
    if (tool?.type !== 'function' || typeof tool.name !== 'string') {
      throw unsupported(
        `tools[${i}].type`,
        `only function tools are available here, got ${JSON.stringify(tool?.type)}`,
      );
    }
    const fn: Json = { name: tool.name };
    if (typeof tool.description === 'string') fn.description = tool.description;
    if (tool.parameters && typeof tool.parameters === 'object') fn.parameters = tool.parameters;
    if (typeof tool.strict === 'boolean') fn.strict = tool.strict;
    return { type: 'function', function: fn };
  });
}

function toolChoice(value: unknown): unknown {
  if (value === 'auto' || value === 'none' || value === 'required') return value;
  const choice = value as Json;
  if (choice?.type === 'function' && typeof choice.name === 'string') {
    return { type: 'function', function: { name: choice.name } };
  }
  throw unsupported('tool_choice', `${JSON.stringify(value)} is not available here`);
}

/** Input items as chat messages: messages, function calls (merged into one assistant turn) and their outputs. */
function appendItems(messages: ChatMessage[], items: unknown[]): void {
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as Json | null;
    const at = `input[${i}]`;
    if (!item || typeof item !== 'object') throw invalid(at, 'must be an object');
    const type = item.type ?? 'message';
    switch (type) {
      case 'message':
        messages.push(message(item, at));
        break;
      case 'function_call': {
        if (typeof item.call_id !== 'string' || typeof item.name !== 'string') {
          throw invalid(at, 'a function_call needs `call_id` and `name`');
        }
        const call = {
          id: item.call_id,
          type: 'function',
          function: {
            name: item.name,
            arguments: typeof item.arguments === 'string' ? item.arguments : '{}',
          },
        };
        const last = messages[messages.length - 1];
        if (last?.role === 'assistant') {
          last.tool_calls = [...((last.tool_calls as unknown[] | undefined) ?? []), call];
        } else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
        break;
      }
      case 'function_call_output': {
        if (typeof item.call_id !== 'string') throw invalid(at, 'a function_call_output needs `call_id`');
        messages.push({
          role: 'tool',
          tool_call_id: item.call_id,
          content: outputText(item.output, `${at}.output`),
        });
        break;
      }
      case 'reasoning':
        break; // earlier reasoning is not part of a chat conversation
      case 'item_reference':
        throw unsupported(at, 'items are not stored here; send the item itself');
      default:
        throw unsupported(`${at}.type`, `${JSON.stringify(type)} items are not available here`);
    }
  }
}

function message(item: Json, at: string): ChatMessage {
  const role = item.role;
  if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer') {
    throw invalid(`${at}.role`, 'must be user, assistant, system or developer');
  }
  const content = item.content;
  if (typeof content === 'string') return { role, content };
  if (!Array.isArray(content)) throw invalid(`${at}.content`, 'must be a string or an array of parts');
  if (role === 'assistant') {
    let text = '';
    for (const part of content as Json[]) {
      if (part?.type === 'output_text' && typeof part.text === 'string') text += part.text;
      else if (part?.type === 'refusal' && typeof part.refusal === 'string') text += part.refusal;
      else
        throw unsupported(
          `${at}.content`,
          `assistant parts of type ${JSON.stringify(part?.type)} are not available here`,
        );
    }
    return { role, content: text };
  }
  return { role, content: (content as Json[]).map((part, j) => inputPart(part, `${at}.content[${j}]`)) };
}

function inputPart(part: Json, at: string): Json {
  switch (part?.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: String(part.text ?? '') };
    case 'input_image':
      if (typeof part.image_url !== 'string')
        throw unsupported(at, 'images by `file_id` are not available here');
      return {
        type: 'image_url',
        image_url: { url: part.image_url, ...(part.detail ? { detail: part.detail } : {}) },
      };
    case 'input_file':
      if (typeof part.file_data !== 'string')
        throw unsupported(at, 'files by `file_id` or URL are not available here');
      return {
        type: 'file',
        file: { file_data: part.file_data, ...(part.filename ? { filename: part.filename } : {}) },
      };
    case 'input_audio':
      return { type: 'input_audio', input_audio: part.input_audio };
    default:
      throw unsupported(`${at}.type`, `${JSON.stringify(part?.type)} parts are not available here`);
  }
}

function outputText(output: unknown, at: string): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) {
    return output
      .map((part: Json) => {
        if (part?.type !== 'input_text') throw unsupported(at, 'only text outputs are available here');
        return String(part.text ?? '');
      })
      .join('');
  }
  throw invalid(at, 'must be a string or an array of input_text parts');
}

// ---------------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------------

/** The ids of one response and of its items. */
class Ids {
  readonly response: string;
  readonly #base: string;
  #next = 0;
  constructor() {
    this.#base = randomBytes(12).toString('hex');
    this.response = `resp_${this.#base}`;
  }
  item(prefix: 'msg' | 'fc' | 'rs'): string {
    return `${prefix}_${this.#base}${(this.#next++).toString(16).padStart(2, '0')}`;
  }
}

/** The request fields a response echoes. */
function echo(body: Json, model: string): Json {
  const text = (body.text as Json | undefined) ?? {};
  return {
    model,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    metadata: body.metadata ?? {},
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: (body.reasoning as Json | undefined)?.effort ?? null, summary: null },
    store: false,
    temperature: body.temperature ?? null,
    text: { format: text.format ?? { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: body.top_p ?? null,
    truncation: body.truncation ?? 'disabled',
    user: body.user ?? null,
  };
}

/** Chat usage in Responses terms. */
export function responsesUsage(usage: Usage | undefined | null): Json | null {
  if (!usage) return null;
  const cached = (usage.prompt_tokens_details as { cached_tokens?: number } | undefined)?.cached_tokens ?? 0;
  const reasoning =
    (usage.completion_tokens_details as { reasoning_tokens?: number } | undefined)?.reasoning_tokens ?? 0;
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: usage.total_tokens,
  };
}

/** `status` and `incomplete_details` of a finish reason. */
function ending(finish: string | null | undefined): { status: string; incomplete_details: Json | null } {
  if (finish === 'length')
    return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter')
    return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

function messageItem(id: string, text: string): Json {
  return {
    type: 'message',
    id,
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
  };
}

function reasoningItem(id: string, text: string): Json {
  return { type: 'reasoning', id, summary: [{ type: 'summary_text', text }] };
}

function functionCallItem(id: string, callId: string, name: string, args: string): Json {
  return { type: 'function_call', id, call_id: callId, name, arguments: args, status: 'completed' };
}

/** A chat completion as a `response` object. */
export function responseFromChat(body: Json, completion: ChatCompletion): Json {
  const ids = new Ids();
  const choice = completion.choices[0];
  const message = (choice?.message ?? {}) as Json;
  const output: Json[] = [];
  if (typeof message.reasoning_content === 'string' && message.reasoning_content !== '') {
    output.push(reasoningItem(ids.item('rs'), message.reasoning_content));
  }
  if (typeof message.content === 'string' && message.content !== '') {
    output.push(messageItem(ids.item('msg'), message.content));
  }
  for (const call of (message.tool_calls as Json[] | undefined) ?? []) {
    const fn = (call.function ?? {}) as Json;
    output.push(
      functionCallItem(ids.item('fc'), String(call.id), String(fn.name), String(fn.arguments ?? '')),
    );
  }
  return {
    id: ids.response,
    object: 'response',
    created_at: completion.created ?? Math.floor(Date.now() / 1000),
    ...ending(choice?.finish_reason),
    error: null,
    ...echo(body, completion.model),
    output,
    usage: responsesUsage(completion.usage),
  };
}

/** One event of a Responses stream, ready to write. */
export type ResponseEvent = Json & { type: string };

/**
 * Turns chat-completion chunks into the Responses stream events, in order: `response.created`,
 * then per output item `output_item.added`, its deltas and its `.done` events, and at the end
 * `response.completed` (or `response.incomplete`), or `error` and `response.failed` when the stream
 * broke. `sequence_number` counts the events.
 */
export class ResponsesStream {
  readonly #body: Json;
  readonly #ids = new Ids();
  readonly #created = Math.floor(Date.now() / 1000);
  #model: string;
  #sequence = 0;
  readonly #output: Json[] = [];
  /** The item being written: reasoning or message text. */
  #open: { kind: 'reasoning' | 'message'; id: string; index: number; text: string } | undefined;
  /** Function calls by chat tool-call index. */
  readonly #calls = new Map<
    number,
    { id: string; index: number; callId: string; name: string; args: string }
  >();
  #finish: string | null = null;
  #usage: Usage | undefined;

  constructor(body: Json, model: string) {
    this.#body = body;
    this.#model = model;
  }

  /** `response.created` and `response.in_progress`. */
  start(): ResponseEvent[] {
    const response = this.#response('in_progress', null);
    return [this.#event('response.created', { response }), this.#event('response.in_progress', { response })];
  }

  /** The events of one chunk. */
  push(chunk: ChatCompletionChunk): ResponseEvent[] {
    const events: ResponseEvent[] = [];
    if (chunk.model) this.#model = chunk.model;
    if (chunk.usage) this.#usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (!choice) return events;
    const delta = (choice.delta ?? {}) as Json;
    if (typeof delta.reasoning_content === 'string' && delta.reasoning_content !== '') {
      this.#text('reasoning', delta.reasoning_content, events);
    }
    if (typeof delta.content === 'string' && delta.content !== '')
      this.#text('message', delta.content, events);
    for (const call of (delta.tool_calls as Json[] | undefined) ?? []) this.#toolCall(call, events);
    if (choice.finish_reason) this.#finish = choice.finish_reason;
    return events;
  }

  /** The closing events of a stream that ended well. */
  finish(): ResponseEvent[] {
    const events: ResponseEvent[] = [];
    this.#closeOpen(events);
    this.#closeCalls(events);
    const { status, incomplete_details } = ending(this.#finish);
    const response = this.#response(status, null, incomplete_details);
    events.push(
      this.#event(status === 'completed' ? 'response.completed' : 'response.incomplete', { response }),
    );
    return events;
  }

  /** The closing events of a stream that broke: an `error` event, then `response.failed`. */
  fail(error: { code: string; message: string; type: string }): ResponseEvent[] {
    const failure = { code: error.code, message: error.message };
    return [
      this.#event('error', {
        code: error.code,
        message: error.message,
        param: null,
        error: { type: error.type, code: error.code, message: error.message, param: null },
      }),
      this.#event('response.failed', { response: this.#response('failed', failure) }),
    ];
  }

  #text(kind: 'reasoning' | 'message', text: string, events: ResponseEvent[]): void {
    if (this.#open?.kind !== kind) {
      this.#closeOpen(events);
      const id = this.#ids.item(kind === 'message' ? 'msg' : 'rs');
      const index = this.#output.length;
      this.#output.push({});
      this.#open = { kind, id, index, text: '' };
      if (kind === 'message') {
        const item = { type: 'message', id, status: 'in_progress', role: 'assistant', content: [] };
        events.push(this.#event('response.output_item.added', { output_index: index, item }));
        events.push(
          this.#event('response.content_part.added', {
            item_id: id,
            output_index: index,
            content_index: 0,
            part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
          }),
        );
      } else {
        events.push(
          this.#event('response.output_item.added', {
            output_index: index,
            item: { type: 'reasoning', id, summary: [] },
          }),
        );
        events.push(
          this.#event('response.reasoning_summary_part.added', {
            item_id: id,
            output_index: index,
            summary_index: 0,
            part: { type: 'summary_text', text: '' },
          }),
        );
      }
    }
    const open = this.#open!;
    open.text += text;
    events.push(
      kind === 'message'
        ? this.#event('response.output_text.delta', {
            item_id: open.id,
            output_index: open.index,
            content_index: 0,
            delta: text,
            logprobs: [],
          })
        : this.#event('response.reasoning_summary_text.delta', {
            item_id: open.id,
            output_index: open.index,
            summary_index: 0,
            delta: text,
          }),
    );
  }

  #closeOpen(events: ResponseEvent[]): void {
    const open = this.#open;
    if (!open) return;
    this.#open = undefined;
    const where = { item_id: open.id, output_index: open.index };
    if (open.kind === 'message') {
      const part = { type: 'output_text', text: open.text, annotations: [], logprobs: [] };
      events.push(
        this.#event('response.output_text.done', {
          ...where,
          content_index: 0,
          text: open.text,
          logprobs: [],
        }),
      );
      events.push(this.#event('response.content_part.done', { ...where, content_index: 0, part }));
      this.#output[open.index] = messageItem(open.id, open.text);
    } else {
      const part = { type: 'summary_text', text: open.text };
      events.push(
        this.#event('response.reasoning_summary_text.done', { ...where, summary_index: 0, text: open.text }),
      );
      events.push(this.#event('response.reasoning_summary_part.done', { ...where, summary_index: 0, part }));
      this.#output[open.index] = reasoningItem(open.id, open.text);
    }
    events.push(
      this.#event('response.output_item.done', { output_index: open.index, item: this.#output[open.index] }),
    );
  }

  #toolCall(delta: Json, events: ResponseEvent[]): void {
    const position = typeof delta.index === 'number' ? delta.index : 0;
    const fn = (delta.function ?? {}) as Json;
    let call = this.#calls.get(position);
    if (!call) {
      this.#closeOpen(events);
      const index = this.#output.length;
      call = {
        id: this.#ids.item('fc'),
        index,
        callId: typeof delta.id === 'string' ? delta.id : `call_${this.#ids.item('fc')}`,
        name: typeof fn.name === 'string' ? fn.name : '',
        args: '',
      };
      this.#calls.set(position, call);
      this.#output.push({});
      const item = {
        type: 'function_call',
        id: call.id,
        call_id: call.callId,
        name: call.name,
        arguments: '',
        status: 'in_progress',
      };
      events.push(this.#event('response.output_item.added', { output_index: index, item }));
    }
    if (typeof fn.arguments === 'string' && fn.arguments !== '') {
      call.args += fn.arguments;
      events.push(
        this.#event('response.function_call_arguments.delta', {
          item_id: call.id,
          output_index: call.index,
          delta: fn.arguments,
        }),
      );
    }
  }

  #closeCalls(events: ResponseEvent[]): void {
    for (const call of this.#calls.values()) {
      const item = functionCallItem(call.id, call.callId, call.name, call.args);
      this.#output[call.index] = item;
      events.push(
        this.#event('response.function_call_arguments.done', {
          item_id: call.id,
          output_index: call.index,
          name: call.name,
          arguments: call.args,
        }),
      );
      events.push(this.#event('response.output_item.done', { output_index: call.index, item }));
    }
    this.#calls.clear();
  }

  #response(status: string, error: Json | null, incomplete: Json | null = null): Json {
    return {
      id: this.#ids.response,
      object: 'response',
      created_at: this.#created,
      status,
      error,
      incomplete_details: incomplete,
      ...echo(this.#body, this.#model),
      output: this.#output.filter((item) => item.type !== undefined),
      usage: status === 'in_progress' ? null : responsesUsage(this.#usage),
    };
  }

  #event(type: string, fields: Json): ResponseEvent {
    return { type, sequence_number: this.#sequence++, ...fields };
  }
}
