import { wseBuild } from '../../scripts/tsup.config.base';

// cli.ts starts with `#!/usr/bin/env node`: esbuild keeps an entry's hashbang on the first line and
// tsup marks such outputs executable, so dist/cli.js (the `wse-server` bin) runs directly.
export default wseBuild({ index: 'src/index.ts', cli: 'src/cli.ts' });
