/**
 * The full CNN run: `node --import tsx scripts/cnn.ts [options]`, the same as `aca cnn [options]`
 * (options: aca cnn --help, src/cli/commands/cnn.ts). The experiment is src/tensor/experiment.ts.
 */
import { main } from '../src/cli/main.ts';

process.exitCode = await main(['cnn', ...process.argv.slice(2)]);
