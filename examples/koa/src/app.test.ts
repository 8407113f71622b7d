import { bootListener, describeExampleApp, useExample } from '../../shared/src/__tests__/example-suite';
import { BODY_LIMIT, createApp } from './app';

const boot = bootListener((config) => {
  const { app, ai } = createApp(config);
  return { listener: app.callback(), ai };
});

describeExampleApp('koa', boot);

describe('koa example, offline: its own body reader', () => {
  const example = useExample(boot);

  it('reads the JSON body itself: 415 for another type, 413 over the limit, 400 for bad JSON', async () => {
    const post = (body: string, type = 'application/json') =>
      fetch(`${example().base}/chat`, { method: 'POST', headers: { 'content-type': type }, body });
    expect((await post('message=hi', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await post(JSON.stringify({ message: 'x'.repeat(BODY_LIMIT) }))).status).toBe(413);
    expect((await post('{"message":')).status).toBe(400);
    expect((await post(JSON.stringify({ message: 'hi' }))).status).toBe(200);
  });
});
