/**
 * What each thread of the floor benchmark's start-up part runs (floor-threads.ts): nothing but
 * saying it is up. As a bare worker (`workerData.floorBare`) it posts `up` on its parent port and
 * stays until terminated; as a piscina task it says `up` on a BroadcastChannel and holds its
 * thread until released, so that N tasks occupy N threads at once, as N clients do.
 */
import { BroadcastChannel, isMainThread, parentPort, workerData } from 'node:worker_threads';

export const UP = 'mqtt-fleet-floor-up';
export const RELEASE = 'mqtt-fleet-floor-release';

const bare = !isMainThread && (workerData as { floorBare?: boolean } | null)?.floorBare === true;
if (bare) {
  parentPort!.postMessage('up');
  // A listener keeps the thread alive until the runner terminates it.
  parentPort!.on('message', () => {});
}

export default async function task(): Promise<void> {
  const release = new BroadcastChannel(RELEASE);
  const released = new Promise<void>((resolve) => (release.onmessage = () => resolve()));
  const up = new BroadcastChannel(UP);
  up.postMessage('up');
  up.close();
  await released;
  release.close();
}
