import http from 'node:http';
import { Pool } from 'undici';
import { LightSignal } from './signal';

describe('LightSignal', () => {
  test('runs each listener once, with the reason set, and keeps none afterwards', () => {
    const signal = new LightSignal();
    const calls: unknown[] = [];
    const first = () => calls.push(['first', signal.reason]);
    const removed = () => calls.push('removed');
    signal.addEventListener('abort', first);
    signal.addEventListener('abort', removed);
    signal.removeEventListener('abort', removed);
    expect(signal.listenerCount).toBe(1);
    const reason = new Error('stop');
    signal.abort(reason);
    signal.abort(new Error('again'));
    expect(calls).toEqual([['first', reason]]);
    expect(signal.aborted).toBe(true);
    expect(signal.listenerCount).toBe(0);
    signal.addEventListener('abort', first);
    expect(signal.listenerCount).toBe(0);
  });

  test('an abort without a reason gives an AbortError', () => {
    const signal = new LightSignal();
    signal.abort();
    expect((signal.reason as Error).name).toBe('AbortError');
  });

  test('a listener that throws does not keep the others from running', () => {
    const signal = new LightSignal();
    const ran: string[] = [];
    signal.addEventListener('abort', () => {
      throw new Error('listener failed');
    });
    signal.addEventListener('abort', () => ran.push('second'));
    expect(() => signal.abort()).toThrow('listener failed');
    expect(ran).toEqual(['second']);
  });

  test('undici takes it as a request signal: an abort ends the request, and a finished one leaves no listener', async () => {
    const server = http.createServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const pool = new Pool(`http://127.0.0.1:${port}`);
    try {
      const done = new LightSignal();
      const answer = await pool.request({ path: '/', method: 'GET', signal: done as unknown as AbortSignal });
      expect(await answer.body.text()).toBe('ok');
      // undici removes its listener when the body closes, a tick after its end.
      await new Promise((resolve) => setImmediate(resolve));
      expect(done.listenerCount).toBe(0);

      const hanging = new LightSignal();
      const pending = pool.request({
        path: '/hang',
        method: 'GET',
        signal: hanging as unknown as AbortSignal,
      });
      setTimeout(() => hanging.abort(new Error('gave up')), 20);
      await expect(pending).rejects.toThrow('gave up');
    } finally {
      await pool.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
