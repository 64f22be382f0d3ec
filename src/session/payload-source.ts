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
 * Payload files, read once per lane: keyed by the stream's list of paths, one array that every
 * session of a lane shares (its LaneStart settings), so the clients of a lane share one Buffer
 * per file, no file is read per message, and a later run (library use, single loop) reads the
 * files afresh rather than sending what they held before.
 */
const read = new WeakMap<readonly string[], Buffer[]>();

function contentsOf(paths: readonly string[]): Buffer[] {
  let contents = read.get(paths);
  if (contents === undefined) {
    contents = paths.map((path) => readFileSync(path));
    read.set(paths, contents);
  }
  return contents;
}

/**
 * Where a stream's payloads come from, decided here once for the encoder, the payload source and
 * the broker-limit check: `size` bytes with the header (the encoder's own), the user's template,
 * files or the workload's generator. An empty file list is no files: `size` bytes go out.
 */
export type PayloadKind = 'size' | 'template' | 'files' | 'generator';

export function payloadKind(
  settings: Pick<SessionSettings, 'payloadTemplate' | 'payloadFiles' | 'payloadGenerator'>,
): PayloadKind {
  if ((settings.payloadFiles?.length ?? 0) > 0) return 'files';
  if (settings.payloadGenerator === true) return 'generator';
  return settings.payloadTemplate === null ? 'size' : 'template';
}

/**
 * A stream's payloads when they come from files (round-robin over them by sequence number, the
 * bytes as they are) or from the workload's generator; null for the other kinds (a template, or
 * `size` bytes with the header), which the encoder makes itself.
 */
export function userPayload(
  settings: Pick<SessionSettings, 'payloadTemplate' | 'payloadFiles' | 'payloadGenerator'>,
  stream: PayloadStream,
  slot: GeneratorSlot | null,
): UserPayload | null {
  const kind = payloadKind(settings);
  if (kind === 'files') {
    // Read now, at the session's start, not on the publish path.
    const contents = contentsOf(settings.payloadFiles ?? []);
    const n = contents.length;
    return (seq) => contents[seq % n] ?? null;
  }
  if (kind === 'generator') {
    const info = Object.freeze({ index: stream.index, topic: stream.topic });
    return (seq) => slot?.generate?.(seq, info) ?? null;
  }
  return null;
}
