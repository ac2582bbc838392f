import { wseBuild } from '../../scripts/tsup.config.base';

export default wseBuild({ index: 'src/index.ts' });
