/**
 * `aca cnn`: the seed paper's image-classification experiment on MNIST digits (the `mnist`
 * package) with TensorFlow.js: an ODE-Net trained with each gradient method against a ResNet with
 * residual blocks in the same places. The work is in src/tensor/cnn-command.ts.
 */
import type { Command } from '../command.ts';

export const cnn: Command = {
  name: 'cnn',
  summary: 'train an MNIST ODE-Net (aca, adjoint, naive) and a ResNet with TensorFlow.js',
  get help() {
    return CNN_HELP;
  },
  async run(argv, io) {
    // tfjs loads on first use only: the other commands start without it.
    const { runCnn, CNN_USAGE } = await import('../../tensor/cnn-command.ts');
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout.write(`Usage: aca cnn [options]\n\n${CNN_USAGE.split('\n').slice(1).join('\n')}\n`);
      return 0;
    }
    return runCnn([...argv], (line) => io.stdout.write(line + '\n'));
  },
};

const CNN_HELP = `Usage: aca cnn [options]

Trains an ODE-Net (downsampling convs, ODE blocks of conv-norm-relu-conv fields, a dense head) on
a fixed, seeded train/test split of the MNIST digits in the \`mnist\` package, once with each
gradient method, and a ResNet with residual blocks in the same places. Prints test accuracy, time
per epoch and peak tensor memory; saves the models (tfjs format) under --out (default out/cnn).
Backends: node-gpu, node (when installed), webgpu (with the webgpu and
@tensorflow/tfjs-backend-webgpu packages and a GPU), wasm, cpu; see aca cnn --help for options.`;
