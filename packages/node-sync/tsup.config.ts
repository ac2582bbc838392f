import { wseBuild } from '../../scripts/tsup.config.base';

// `worker` is the worker_threads entry connectSync() loads from next to itself (dist/worker.js or
// dist/worker.cjs, matching the format of the caller). Shims give the CJS build an import.meta.url.
export default wseBuild({ index: 'src/index.ts', worker: 'src/worker.ts' }, { shims: true });
