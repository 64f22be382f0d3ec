/** Where a group's sessions run: a worker thread each, a pool of K threads, or the main event loop. */
export type ThreadMode = 'thread-per-client' | 'pool' | 'single-loop';
