/**
 * Expressions as a hash-consed DAG: every node is interned under a key made of its operation and
 * its children's ids, so two structurally equal subtrees are the same node object. This is what
 * makes common-subexpression elimination complete and cheap (cse.ts only has to count uses), and
 * why the derivative code can substitute definitions freely without the expressions swelling.
 *
 * The constructors also fold constants and apply identities that are exact in IEEE arithmetic
 * (x*1, x+0, -(a-b) = b-a, (-a)*b = -(a*b), constant arithmetic), plus a few that hold for
 * finite values (0*x = 0, x-x = 0), which is all the "simplification" the symbolic derivatives
 * need: mathjs's own simplify costs about 0.3 s per expression (docs/design.md, "Measured facts").
 * Commutative operands are put in id order (a*b and b*a are one node; exact, since IEEE + and *
 * commute). Powers with small integer, half-integer or third-integer exponents are lowered here
 * to products, sqrt and cbrt, so `x^2` and `x*x` are the same node and `x^(-3/2)` is
 * 1/(x*sqrt(x)) (Math.pow is about 8x slower than x*Math.sqrt(x)).
 */
import type { MathFunction } from './functions.ts';

/**
 * The arrays the generated functions read: y, p, the cotangent a, the tangents u (of y) and w (of
 * p), and the time t. (Not v: the generated temporaries are v0, v1, ...)
 */
export type InputArray = 'y' | 'p' | 'a' | 'u' | 'w' | 't';

export type Node = NumNode | InputNode | BinaryNode | NegNode | CallNode;

export interface NumNode {
  readonly kind: 'num';
  readonly id: number;
  readonly value: number;
}
export interface InputNode {
  readonly kind: 'input';
  readonly id: number;
  readonly array: InputArray;
  readonly index: number;
}
export interface BinaryNode {
  readonly kind: '+' | '-' | '*' | '/' | 'pow';
  readonly id: number;
  readonly a: Node;
  readonly b: Node;
}
export interface NegNode {
  readonly kind: 'neg';
  readonly id: number;
  readonly a: Node;
}
export interface CallNode {
  readonly kind: 'call';
  readonly id: number;
  readonly fn: MathFunction;
  readonly a: Node;
}

/** Integer exponents up to this size become products (at most 2 log2(n) multiplications). */
const MAX_EXPANDED_POWER = 16;

export class Dag {
  private readonly nodes = new Map<string, Node>();
  readonly zero: NumNode = this.num(0);
  readonly one: NumNode = this.num(1);

  /** Number of distinct nodes created so far. */
  get size(): number {
    return this.nodes.size;
  }

  num(value: number): NumNode {
    const v = value === 0 ? 0 : value; // -0 and 0 are one constant
    return this.intern(`n${v}`, (id) => ({ kind: 'num', id, value: v }));
  }

  input(array: InputArray, index = 0): InputNode {
    return this.intern(`${array}${index}`, (id) => ({ kind: 'input', id, array, index }));
  }

  add(a: Node, b: Node): Node {
    if (isNum(a) && isNum(b)) return this.num(a.value + b.value);
    if (isZero(a)) return b;
    if (isZero(b)) return a;
    if (b.kind === 'neg') return this.sub(a, b.a);
    if (a.kind === 'neg') return this.sub(b, a.a);
    return this.binary('+', a, b, true);
  }

  sub(a: Node, b: Node): Node {
    if (isNum(a) && isNum(b)) return this.num(a.value - b.value);
    if (isZero(b)) return a;
    if (isZero(a)) return this.neg(b);
    if (a === b) return this.zero;
    if (b.kind === 'neg') return this.add(a, b.a);
    return this.binary('-', a, b, false);
  }

  mul(a: Node, b: Node): Node {
    if (isNum(a) && isNum(b)) return this.num(a.value * b.value);
    if (isZero(a) || isZero(b)) return this.zero;
    if (isNum(a, 1)) return b;
    if (isNum(b, 1)) return a;
    if (isNum(a, -1)) return this.neg(b);
    if (isNum(b, -1)) return this.neg(a);
    if (a.kind === 'neg') return this.neg(this.mul(a.a, b));
    if (b.kind === 'neg') return this.neg(this.mul(a, b.a));
    return this.binary('*', a, b, true);
  }

  div(a: Node, b: Node): Node {
    if (isNum(a) && isNum(b)) return this.num(a.value / b.value);
    if (isZero(a)) return this.zero;
    if (isNum(b, 1)) return a;
    if (isNum(b, -1)) return this.neg(a);
    if (a.kind === 'neg') return this.neg(this.div(a.a, b));
    if (b.kind === 'neg') return this.neg(this.div(a, b.a));
    return this.binary('/', a, b, false);
  }

  neg(a: Node): Node {
    switch (a.kind) {
      case 'num':
        return this.num(-a.value);
      case 'neg':
        return a.a;
      case '-':
        return this.sub(a.b, a.a);
      // Fold the sign into a constant factor when there is one: -(2*x) = (-2)*x exactly.
      case '*':
        if (isNum(a.a)) return this.mul(this.num(-a.a.value), a.b);
        if (isNum(a.b)) return this.mul(a.a, this.num(-a.b.value));
        break;
      case '/':
        if (isNum(a.a)) return this.div(this.num(-a.a.value), a.b);
        if (isNum(a.b)) return this.div(a.a, this.num(-a.b.value));
        break;
    }
    return this.intern(`-${a.id}`, (id) => ({ kind: 'neg', id, a }));
  }

  pow(base: Node, exponent: Node): Node {
    if (!isNum(exponent)) return this.binary('pow', base, exponent, false);
    const n = exponent.value;
    if (n === 0) return this.one;
    if (n === 1) return base;
    if (isNum(base)) return this.num(Math.pow(base.value, n));
    const magnitude = Math.abs(n);
    let lowered: Node | undefined;
    if (Number.isInteger(n) && magnitude <= MAX_EXPANDED_POWER) {
      lowered = this.integerPower(base, magnitude);
    } else if (Number.isInteger(2 * n) && magnitude <= MAX_EXPANDED_POWER) {
      // x^(k + 1/2) = x^k sqrt(x)
      const whole = Math.floor(magnitude);
      const root = this.call('sqrt', base);
      lowered = whole === 0 ? root : this.mul(this.integerPower(base, whole), root);
    } else {
      // x^(k/3) = cbrt(x)^k: also defines the real branch for negative x, as cbrt does.
      const thirds = Math.round(3 * magnitude);
      if (Math.abs(3 * magnitude - thirds) < 1e-12 && thirds <= 3 * MAX_EXPANDED_POWER) {
        lowered = this.integerPower(this.call('cbrt', base), thirds);
      }
    }
    if (lowered === undefined) return this.binary('pow', base, exponent, false);
    return n > 0 ? lowered : this.div(this.one, lowered);
  }

  call(fn: MathFunction, a: Node): Node {
    if (isNum(a)) return this.num(Math[fn](a.value));
    return this.intern(`${fn}(${a.id})`, (id) => ({ kind: 'call', id, fn, a }));
  }

  /** x^n for an integer n >= 1 by repeated squaring; shared squares are shared nodes. */
  private integerPower(base: Node, n: number): Node {
    if (n === 1) return base;
    if (n % 2 === 0) {
      const half = this.integerPower(base, n / 2);
      return this.mul(half, half);
    }
    return this.mul(this.integerPower(base, n - 1), base);
  }

  private binary(kind: BinaryNode['kind'], a: Node, b: Node, commutative: boolean): Node {
    if (commutative && a.id > b.id) [a, b] = [b, a];
    return this.intern(`${kind}${a.id},${b.id}`, (id) => ({ kind, id, a, b }));
  }

  private intern<T extends Node>(key: string, make: (id: number) => T): T {
    let node = this.nodes.get(key);
    if (node === undefined) {
      node = make(this.nodes.size);
      this.nodes.set(key, node);
    }
    return node as T;
  }
}

/** The children of a node, for traversals. */
export function children(node: Node): readonly Node[] {
  switch (node.kind) {
    case 'num':
    case 'input':
      return [];
    case 'neg':
    case 'call':
      return [node.a];
    default:
      return [node.a, node.b];
  }
}

function isNum(node: Node, value?: number): node is NumNode {
  return node.kind === 'num' && (value === undefined || node.value === value);
}

function isZero(node: Node): boolean {
  return node.kind === 'num' && node.value === 0;
}
