import { Agent, get } from 'node:http';
import { listen } from './listen';

describe('listen()', () => {
  it('serves the handler on 127.0.0.1 and an ephemeral port', async () => {
    const app = await listen((req, res) => res.end(`you asked for ${req.url}`));
    try {
      expect(app.base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(app.server.listening).toBe(true);
      const res = await fetch(`${app.base}/hello`);
      expect(await res.text()).toBe('you asked for /hello');
    } finally {
      await app.close();
    }
  });

  it('close() ends idle keep-alive connections and hung requests, and resolves after the close listeners', async () => {
    const app = await listen((req, res) => {
      if (req.url !== '/hang') res.end('ok');
    });
    const closeListener = jest.fn();
    app.server.on('close', closeListener);

    const agent = new Agent({ keepAlive: true });
    const status = await new Promise<number | undefined>((resolve, reject) => {
      get(`${app.base}/`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      }).on('error', reject);
    });
    expect(status).toBe(200);
    const hung = fetch(`${app.base}/hang`).then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(Object.values(agent.freeSockets).flat()).toHaveLength(1);

    const start = Date.now();
    const first = app.close();
    expect(app.close()).toBe(first);
    await first;
    expect(Date.now() - start).toBeLessThan(1000);
    expect(closeListener).toHaveBeenCalledTimes(1);
    expect(app.server.listening).toBe(false);
    expect(await hung).toBe('failed');
    await expect(fetch(`${app.base}/`)).rejects.toThrow();
    await app.close();
    agent.destroy();
  });
});
