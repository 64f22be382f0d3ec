/**
 * A full GC in every thread of this process, for idle-child.ts, and each worker thread's heap
 * after it. A pool's or a thread per client's sessions live in their workers' heaps, which the
 * main thread's gc() never reaches: measured with it alone, a pool of 2 kept its connect phase's
 * garbage and grown young generations (about 110 MB at 10,000 idle clients). Through the
 * inspector (HeapProfiler.collectGarbage: the same GC in the main thread and in each worker, via
 * the NodeWorker domain), so the measured code carries no hook for it.
 */
import { Session } from 'node:inspector';

export interface WorkerHeap {
  /** Used heap after the GC (bytes). */
  used: number;
  /** Heap the isolate holds (bytes). */
  total: number;
}

type Reply = Record<string, number>;

/**
 * GCs every thread (twice: weak callbacks free more on the second); then each worker's heap.
 * `timeoutMs`, and a quarter second more per worker, for the workers' answers.
 */
export async function collectAll(timeoutMs = 30_000): Promise<WorkerHeap[]> {
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}): Promise<unknown> =>
    new Promise((resolve, reject) =>
      session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
    );
  const attached: string[] = [];
  session.on('NodeWorker.attachedToWorker', (m: { params: { sessionId: string } }) =>
    attached.push(m.params.sessionId),
  );
  // A worker's answers, by its session and the request's id.
  const waiting = new Map<string, (reply: Reply) => void>();
  session.on('NodeWorker.receivedMessageFromWorker', (m: { params: { sessionId: string; message: string } }) => {
    const reply = JSON.parse(m.params.message) as { id?: number; result?: Reply };
    if (reply.id !== undefined) waiting.get(`${m.params.sessionId}/${reply.id}`)?.(reply.result ?? {});
  });
  let nextId = 1;
  const ask = (sessionId: string, method: string): Promise<Reply> => {
    const id = nextId++;
    const answered = new Promise<Reply>((resolve) => waiting.set(`${sessionId}/${id}`, resolve));
    void post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method }) });
    return answered;
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    await post('HeapProfiler.collectGarbage');
    await post('HeapProfiler.collectGarbage');
    // Every worker is announced before this answer.
    await post('NodeWorker.enable', { waitForDebuggerOnStart: false });
    // Every worker GCs at once on the machine's few cores: 200 threads' GCs outlasted 30 s here.
    const limitMs = timeoutMs + attached.length * 250;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the workers' GC did not answer within ${limitMs} ms`)), limitMs);
    });
    const heaps = attached.map(async (sessionId) => {
      await ask(sessionId, 'HeapProfiler.collectGarbage');
      await ask(sessionId, 'HeapProfiler.collectGarbage');
      const usage = await ask(sessionId, 'Runtime.getHeapUsage');
      return { used: usage.usedSize!, total: usage.totalSize! };
    });
    return await Promise.race([Promise.all(heaps), timeout]);
  } finally {
    clearTimeout(timer);
    await post('NodeWorker.disable').catch(() => {});
    session.disconnect();
  }
}
