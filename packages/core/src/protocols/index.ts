/** The wire protocols by name. */
import type { Protocol } from '../types';
import { anthropicProtocol } from './anthropic';
import { geminiProtocol } from './gemini';
import { openAiProtocol } from './openai';
import type { WireProtocol } from './wire';

const PROTOCOLS: Readonly<Record<Protocol, WireProtocol>> = {
  openai: openAiProtocol,
  anthropic: anthropicProtocol,
  gemini: geminiProtocol,
};

export function protocolOf(name: Protocol): WireProtocol {
  return PROTOCOLS[name];
}

export type { ChatCall, PreparedChat, StreamDecoder, WireProtocol } from './wire';
