import type { AddressInfo } from 'node:net';
import { type BootExample, describeExampleApp, useExample } from '../../shared/src/__tests__/example-suite';
import { createApp } from './app';

const boot: BootExample = async () => {
  const example = await createApp({ env: {}, logger: false });
  await example.app.listen(0, '127.0.0.1');
  return {
    base: `http://127.0.0.1:${(example.app.getHttpServer().address() as AddressInfo).port}`,
    loaded: example.loaded,
    // The app was created with an empty environment: the token is the default one.
    appToken: 'dev-token',
    // Closes the HTTP server, then (shutdown hooks of the modules) the client and the mock providers.
    close: () => example.app.close(),
  };
};

describeExampleApp('nestjs', boot, {
  // @Sse() answers 200 and opens the stream before the call starts: the failure comes as an event.
  streamStartFailure: 'error-event',
});

describe('nestjs example, offline: Nest specifics', () => {
  const example = useExample(boot);

  it('closes the mock providers with the app', async () => {
    const { loaded, close } = example();
    const [primary] = loaded.mocks;
    await close();
    await expect(fetch(primary!.baseUrl.replace(/\/v1$/, '/v1/models'))).rejects.toThrow();
  });

  it('takes a long conversation on the OpenAI-compatible routes: its JSON body parser reads up to 1 MiB', async () => {
    const { base, appToken } = example();
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${appToken}` },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x'.repeat(300_000) }] }),
    });
    expect(res.status).toBe(200);
  });
});
