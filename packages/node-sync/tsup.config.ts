import { wseBuild } from '../../scripts/tsup.config.base.ts';

export default wseBuild({ index: 'src/index.ts' });
