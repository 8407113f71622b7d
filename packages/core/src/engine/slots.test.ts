import { RequestScope } from './scope';
import { SlotQueue } from './slots';

const noop = () => undefined;
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('SlotQueue', () => {
  const scopes: RequestScope[] = [];
  /** Ends every wait a test left pending, so no timer outlives it. */
  let ending = new AbortController();
  const scope = (signal?: AbortSignal) => {
    const made = new RequestScope(60_000, signal, ending.signal);
    scopes.push(made);
    return made;
  };
  afterEach(() => {
    ending.abort(new Error('test over'));
    ending = new AbortController();
    for (const s of scopes.splice(0)) s.dispose();
  });

  test('a release wakes the oldest waiter only', async () => {
    const queue = new SlotQueue();
    const woken: number[] = [];
    for (const id of [1, 2, 3]) void queue.wait(60_000, scope()).then(() => woken.push(id), noop);
    queue.release(() => false);
    await turn();
    expect(woken).toEqual([1]);
    queue.release(() => false);
    await turn();
    expect(woken).toEqual([1, 2]);
    expect(queue.size).toBe(1);
  });

  test('a slot nobody took after a turn goes to the next waiter', async () => {
    const queue = new SlotQueue();
    const woken: number[] = [];
    for (const id of [1, 2, 3]) void queue.wait(60_000, scope()).then(() => woken.push(id), noop);
    let free = 2; // the first two woken do not take it, the third does
    queue.release(() => free-- > 0);
    for (let i = 0; i < 4; i++) await turn();
    expect(woken).toEqual([1, 2, 3]);
  });

  test('waiters that gave up (abort, own cap) are skipped, their timers cleared', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const queue = new SlotQueue();
    const controller = new AbortController();
    const [first, second, third] = [scope(controller.signal), scope(), scope()];
    const before = timers();
    const aborted = queue.wait(60_000, first).catch((e: unknown) => e);
    const capped = queue.wait(1, second);
    const woken: number[] = [];
    void queue.wait(60_000, third).then(() => woken.push(3), noop);
    expect(timers()).toBe(before + 3);
    controller.abort(new Error('gone'));
    expect(await aborted).toEqual(new Error('gone'));
    await capped;
    queue.release(() => false);
    await turn();
    expect(woken).toEqual([3]);
    expect(queue.size).toBe(0);
    expect(timers()).toBe(before);
  });

  test('many waiters that give up without a release do not pile up', async () => {
    const queue = new SlotQueue();
    for (let i = 0; i < 500; i++) await queue.wait(0, scope());
    expect(queue.size).toBeLessThan(130);
  });
});
