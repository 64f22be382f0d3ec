import { readFileSync } from 'node:fs';
import type { SessionSettings } from '../protocol.js';
import type { PayloadStream } from './workload.js';

/** One message's payload from its sequence number; null: none can be made (the generator failed). */
export type UserPayload = (seq: number) => Buffer | null;

/** Where a generator-fed stream gets its payloads: filled in once the client's workload has loaded. */
export class GeneratorSlot {
  generate: ((seq: number, stream: PayloadStream) => Buffer | null) | null = null;
}

/**
 * Payload files by path, read once per lane (a thread, or the main loop): every client and
 * stream of the lane that names a file shares one Buffer, and no file is read per message.
 */
const files = new Map<string, Buffer>();

function fileContents(path: string): Buffer {
  let contents = files.get(path);
  if (contents === undefined) {
    contents = readFileSync(path);
    files.set(path, contents);
  }
  return contents;
}

/**
 * A stream's payloads when they come from files (round-robin over them by sequence number, the
 * bytes as they are) or from the workload's generator; null for the other kinds (a template, or
 * `size` bytes with the header), which the encoder makes itself.
 */
export function userPayload(
  settings: Pick<SessionSettings, 'payloadFiles' | 'payloadGenerator'>,
  stream: PayloadStream,
  slot: GeneratorSlot | null,
): UserPayload | null {
  const paths = settings.payloadFiles;
  if (paths && paths.length > 0) {
    // Read now, at the session's start, not on the publish path.
    const contents = paths.map(fileContents);
    const n = contents.length;
    return (seq) => contents[seq % n] ?? null;
  }
  if (settings.payloadGenerator === true) {
    const info = Object.freeze({ index: stream.index, topic: stream.topic });
    return (seq) => slot?.generate?.(seq, info) ?? null;
  }
  return null;
}
