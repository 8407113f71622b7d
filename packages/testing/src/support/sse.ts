/** Reading a server-sent-events body in tests. */

/** One event of a server-sent-events body: its `event:` name, if any, and its data. */
export interface ParsedSseEvent {
  event?: string;
  /** The `data:` lines joined, parsed when they are JSON. */
  data: unknown;
}

/** The events of a whole server-sent-events body, in order; blocks without data are skipped. */
export function parseSse(text: string): ParsedSseEvent[] {
  const events: ParsedSseEvent[] = [];
  for (const block of text.split('\n\n')) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length === 0) continue;
    const raw = data.join('\n');
    let parsed: unknown = raw;
    try {
      parsed = JSON.parse(raw);
    } catch {}
    events.push(event ? { event, data: parsed } : { data: parsed });
  }
  return events;
}
