import { fault } from '@ai-failover/testing';
import { harness, hello } from './support';

test('smoke: failover from a 503 primary', async () => {
  const h = await harness(['a', 'b']);
  try {
    h.mocks[0]!.setDefault(fault.status(503));
    const { response, report } = await h.client.chat(hello);
    console.log(JSON.stringify(report, null, 1), response.choices[0]?.message.content);
    expect(report.deployment).toBe('b/b-model');
    const stream = await h.client.chatStream(hello);
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    console.log(text, await stream.done);
  } finally {
    await h.close();
  }
});
