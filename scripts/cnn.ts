/**
 * The full CNN run: `node --import tsx scripts/cnn.ts [options]` (options: src/tensor/cnn-command.ts,
 * or --help). Trains the ODE-Net with aca, adjoint and naive and the ResNet on the seeded MNIST
 * split and saves them under out/cnn.
 */
import { runCnn } from '../src/tensor/cnn-command.ts';

try {
  process.exitCode = await runCnn(process.argv.slice(2));
} catch (err) {
  const e = err as Error & { code?: string };
  console.error(e.code ? `${e.code}: ${e.message}` : e.stack ?? String(e));
  process.exitCode = 1;
}
