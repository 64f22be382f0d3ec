/**
 * How session code loads a module it needs only sometimes: a --workload module, the WebSocket
 * transport. Normally a plain import(). A worker thread that runs the client bundle from V8's
 * code cache (workers/client-loader.cts) compiled it with vm.Script, where import() has no
 * loader behind it on Node 20; that thread hands its own import() in here instead.
 */
type Loader = (specifier: string) => Promise<unknown>;

let load: Loader = (specifier) => import(specifier);

export function loadModule(specifier: string): Promise<unknown> {
  return load(specifier);
}

export function useModuleLoader(loader: Loader): void {
  load = loader;
}
