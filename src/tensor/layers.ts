/**
 * tfjs layers for the CNN models, serialisable (model.json + weights) and registered with
 * tf.serialization so that tf.loadLayersModel rebuilds them:
 *
 *   OdeBlock       y(t1) of y' = f(y), f the convolutional field of conv-field.ts
 *   ResidualBlock  y + f(y): the same f and parameters, one Euler step of size 1
 *   GroupNorm      group normalisation with a learned scale and shift
 *
 * The ODE block's solver and gradient method are per layer (its config); `gradient` can be
 * changed after building or loading (setGradient).
 */
import type * as TF from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors.ts';
import type { GradientMethodName, GradientSettings } from '../gradients/settings.ts';
import { TABLEAUS } from '../solvers/methods.ts';
import { ConvField, fieldInitializers } from './conv-field.ts';
import { groupNorm, groupsFor } from './group-norm.ts';
import { odeBlock, odeBlockInfer, odeBlockPass, type BlockPass } from './ode-block.ts';
import { resolveBlockOptions, type OdeBlockOptions, type ResolvedBlockOptions } from './options.ts';
import { emptyStats, type OdeBlockStats } from './stats.ts';
import { tf, type Tensor } from './tf.ts';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type Shape = (number | null)[];

export interface FieldLayerArgs extends LayerArgs {
  /** Groups of the field's group norm (default 8, or the largest divisor of the channels below). */
  readonly groups?: number;
  readonly kernelSize?: number;
  /** Seed of the initial weights. */
  readonly seed?: number;
  /** The second conv starts at this fraction of Glorot-uniform (default 0.1: f starts small). */
  readonly outputScale?: number;
}

export type OdeBlockLayerArgs = FieldLayerArgs & OdeBlockOptions;

/** Shared by OdeBlock and ResidualBlock: the field's weights and its configuration. */
abstract class FieldLayer extends tf.layers.Layer {
  protected readonly fieldArgs: Required<Pick<FieldLayerArgs, 'kernelSize' | 'seed' | 'outputScale'>> & { groups?: number };
  protected field: ConvField | null = null;
  private fieldWeights: TF.LayerVariable[] = [];

  constructor(args: FieldLayerArgs) {
    super(args);
    this.fieldArgs = {
      groups: args.groups,
      kernelSize: args.kernelSize ?? 3,
      seed: args.seed ?? 1,
      outputScale: args.outputScale ?? 0.1,
    };
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const channels = shape[shape.length - 1];
    if (shape.length !== 4 || channels == null) {
      throw new InvalidArgumentError(`${this.name} input shape`, shape, 'NHWC feature maps [batch, height, width, channels]');
    }
    const { kernelSize, seed, outputScale } = this.fieldArgs;
    const field = new ConvField({ channels, kernelSize, groups: this.fieldArgs.groups ?? groupsFor(channels) });
    const initializers = fieldInitializers(seed, outputScale);
    this.fieldWeights = field.paramNames.map((name, i) =>
      this.addWeight(name, field.paramShapes[i], 'float32', initializers[i]),
    );
    this.field = field;
    this.built = true;
  }

  /** The field's variables, in CONV_FIELD_PARAMS order (the order of the blocks' gradients). */
  params(): Tensor[] {
    return this.fieldWeights.map((w) => w.read());
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override getConfig(): TF.serialization.ConfigDict {
    const { groups, kernelSize, seed, outputScale } = this.fieldArgs;
    return { ...super.getConfig(), ...(groups !== undefined ? { groups } : {}), kernelSize, seed, outputScale };
  }
}

export class OdeBlock extends FieldLayer {
  static className = 'AcaOdeBlock';
  /** Counters summed over calls; reset with resetStats (stats.ts). */
  readonly stats: OdeBlockStats = emptyStats();
  private readonly blockOptions: OdeBlockOptions;
  private resolved: ResolvedBlockOptions;

  constructor(args: OdeBlockLayerArgs = {}) {
    super(args);
    this.blockOptions = pickBlockOptions(args);
    this.resolved = resolveBlockOptions(this.blockOptions);
  }

  get gradient(): GradientMethodName {
    return this.resolved.gradient;
  }

  get options(): ResolvedBlockOptions {
    return this.resolved;
  }

  /** Switches the gradient method (the forward pass is the same for all three). */
  setGradient(gradient: GradientSettings): void {
    this.resolved = resolveBlockOptions({ ...this.blockOptions, gradient });
    (this.blockOptions as { gradient?: GradientSettings }).gradient = gradient;
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return odeBlock(this.field!, this.params(), x, this.resolved, this.stats);
  }

  /** The forward pass with asynchronous reads, kept for a backward pass (chained.ts). */
  forwardPass(x: Tensor): Promise<BlockPass> {
    return odeBlockPass(this.field!, this.params(), x, this.resolved, this.stats);
  }

  /** The output with asynchronous reads (inference on any backend). */
  infer(x: Tensor): Promise<Tensor> {
    return odeBlockInfer(this.field!, this.params(), x, this.resolved, this.stats);
  }

  override getConfig(): TF.serialization.ConfigDict {
    return { ...super.getConfig(), ...(this.blockOptions as TF.serialization.ConfigDict) };
  }
}

export class ResidualBlock extends FieldLayer {
  static className = 'AcaResidualBlock';

  constructor(args: FieldLayerArgs = {}) {
    super(args);
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.add(x, this.field!.apply(0, x, this.params())));
  }
}

export interface GroupNormArgs extends LayerArgs {
  readonly groups?: number;
  readonly epsilon?: number;
}

export class GroupNorm extends tf.layers.Layer {
  static className = 'AcaGroupNorm';
  private readonly groupsArg: number | undefined;
  private readonly epsilon: number;
  private groups = 1;
  private gamma: TF.LayerVariable | null = null;
  private beta: TF.LayerVariable | null = null;

  constructor(args: GroupNormArgs = {}) {
    super(args);
    this.groupsArg = args.groups;
    this.epsilon = args.epsilon ?? 1e-5;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const channels = shape[shape.length - 1]!;
    this.groups = this.groupsArg ?? groupsFor(channels);
    this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return groupNorm(x, this.gamma!.read(), this.beta!.read(), this.groups, this.epsilon);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override getConfig(): TF.serialization.ConfigDict {
    return { ...super.getConfig(), ...(this.groupsArg !== undefined ? { groups: this.groupsArg } : {}), epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(OdeBlock);
tf.serialization.registerClass(ResidualBlock);
tf.serialization.registerClass(GroupNorm);

const BLOCK_OPTION_KEYS = [
  'method', 'gradient', 'rtol', 'atol', 'dt', 't0', 't1', 'firstStep', 'maxSteps', 'controller',
] as const;

function pickBlockOptions(args: OdeBlockLayerArgs): OdeBlockOptions {
  const out: Record<string, unknown> = {};
  for (const key of BLOCK_OPTION_KEYS) if (args[key] !== undefined) out[key] = args[key];
  // tfjs-layers camel-cases string values when it reads a saved config ('heun_euler' comes back
  // as 'heunEuler'); tableau names are snake case.
  if (typeof out.method === 'string' && !(out.method in TABLEAUS)) {
    const snake = out.method.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (snake in TABLEAUS) out.method = snake;
  }
  return out as OdeBlockOptions;
}
