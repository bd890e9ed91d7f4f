/**
 * The attribution parameters, declared once: name, type, allowed values, default,
 * bounds and a description. The engine validates requests against this table, the
 * URL state parses links with it, the explorer's controls list its choices and the
 * CLI builds its parser and --help from it, so a new value or bound is added here
 * and nowhere else. Plain data, no TF.js: the app's main bundle imports it.
 */

/** A parameter whose value is one of a few names. */
export interface ChoiceParameter<T extends string> {
  readonly name: string;
  readonly type: 'choice';
  readonly values: readonly T[];
  /** How the explorer names each value. */
  readonly labels: Readonly<Record<T, string>>;
  readonly default: T;
  readonly description: string;
}

/**
 * An integer parameter with bounds; `powerOfTwo` narrows it to powers of two, `auto`
 * also accepts the word "auto" (steps: refine until the error estimate is small enough).
 */
export interface IntegerParameter {
  readonly name: string;
  readonly type: 'integer';
  readonly auto?: boolean;
  readonly min: number;
  /** Upper bound; undefined where the model sets it (layer: its last layer). */
  readonly max: number | undefined;
  readonly powerOfTwo: boolean;
  /** undefined where the model sets it (layer: its last layer). */
  readonly default: number | 'auto' | undefined;
  /** The default in words, where a number cannot say it. */
  readonly defaultText?: string;
  readonly description: string;
}

/** A real number within bounds. */
export interface NumberParameter {
  readonly name: string;
  readonly type: 'number';
  readonly min: number;
  readonly max: number;
  readonly default: number;
  readonly description: string;
}

function choice<const T extends string>(p: Omit<ChoiceParameter<T>, 'type'>): ChoiceParameter<T> {
  return { type: 'choice', ...p };
}

export const PARAMETERS = {
  layer: {
    name: 'layer',
    type: 'integer',
    min: 0,
    max: undefined,
    powerOfTwo: false,
    default: undefined,
    defaultText: 'the last layer',
    description: 'the layer whose input is attributed (0 = the embedding output)',
  } satisfies IntegerParameter,
  steps: {
    name: 'steps',
    type: 'integer',
    auto: true,
    min: 8,
    max: 1024,
    powerOfTwo: true,
    default: 'auto',
    description:
      'integration steps N: points of a fixed rule, intervals of a dyadic nested one (N + 1 points), at most N points for nested-midpoint (the largest 3^k); auto refines a nested rule level by level until the error estimate is at most the tolerance (the last level within 1024 points: 513 on the dyadic grids, 729 tripling, 63 for gauss-patterson)',
  } satisfies IntegerParameter,
  tol: {
    name: 'tol',
    type: 'number',
    min: 1e-5,
    max: 0.5,
    default: 1e-2,
    description: "steps=auto's tolerance: the largest estimated relative error of the matrix, ‖ΔA‖/‖A‖",
  } satisfies NumberParameter,
  mode: choice({
    name: 'mode', values: ['exact', 'approx'], labels: { exact: 'Exact', approx: 'Approximate' }, default: 'approx',
    description:
      'approx explains the unmodified model; exact explains its exact variant (fine-tuned; an exact checkpoint as it is; else the model shifted so its reference maps to zero, not fine-tuned)',
  }),
  method: choice({
    name: 'method', values: ['jvp', 'vjp'], labels: { jvp: 'forward mode', vjp: 'reverse mode' }, default: 'jvp',
    description:
      'how P is computed: jvp in forward mode (one pass per α point carries every token direction), vjp in reverse mode (one backward pass per output dimension, as the papers)',
  }),
  sim: choice({
    name: 'sim', values: ['cos', 'dot'], labels: { cos: 'cosine', dot: 'dot product' }, default: 'cos',
    description: 'the similarity explained',
  }),
  rule: choice({
    name: 'rule',
    values: ['auto', 'clenshaw-curtis', 'gauss-patterson', 'romberg', 'trapezoid', 'nested-midpoint', 'midpoint', 'right'],
    labels: {
      auto: 'auto',
      'gauss-patterson': 'Gauss–Patterson (nested)',
      'clenshaw-curtis': 'Clenshaw–Curtis (nested)',
      romberg: 'Romberg (nested)',
      trapezoid: 'trapezoid (nested)',
      'nested-midpoint': 'midpoint (nested, tripling)',
      midpoint: 'midpoint',
      right: 'right Riemann sum',
    },
    default: 'auto',
    description:
      "the quadrature rule along the path: clenshaw-curtis, romberg and trapezoid refine nested levels of N + 1 points (every partial result is a complete rule), gauss-patterson nested levels of 1, 3, 7, … N − 1 points (at most 63), nested-midpoint refines midpoint rules of 1, 3, 9, … points (at most N: 3^k ≤ N); midpoint and right are fixed (right is the papers' Riemann sum); auto takes clenshaw-curtis for smooth models and nested-midpoint where the integrand has kinks (ReLU, max pooling). With a number of steps and no rule, midpoint, as before rules were selectable",
  }),
} as const;

export type PairMode = (typeof PARAMETERS.mode.values)[number];
export type Similarity = (typeof PARAMETERS.sim.values)[number];
export type AttributionMethod = (typeof PARAMETERS.method.values)[number];
export type QuadratureRule = (typeof PARAMETERS.rule.values)[number];
/** A rule the engine runs: 'auto' resolved for the model. */
export type ConcreteRule = Exclude<QuadratureRule, 'auto'>;
export type Steps = number | 'auto';

/** steps 'auto' refines within this many integrand points per text (dyadic levels of 2^k + 1 points: up to 513; tripling: 729). */
export const AUTO_MAX_EVALUATIONS = 1024;
/** Gauss–Patterson's deepest level (63 points; attribution/patterson.ts says why no further). */
export const PATTERSON_MAX_LEVEL = 5;

/** Gauss–Patterson's level with steps N (a power of two ≥ 2): N − 1 points, at most 63. */
export function pattersonLevelFor(steps: number): number {
  return Math.min(Math.round(Math.log2(steps)) - 1, PATTERSON_MAX_LEVEL);
}

/** steps 'auto' never stops before this many points per text: coarser levels can agree by chance. */
export const AUTO_MIN_EVALUATIONS = 9;

/**
 * The nested rule 'auto' resolves to, by whether the model's path integrand is smooth;
 * chosen by `npm run bench:convergence` (README, "Quadrature, and the error estimate").
 */
export const AUTO_RULE = { smooth: 'clenshaw-curtis', kinked: 'nested-midpoint' } as const satisfies Record<string, ConcreteRule>;

/** Rules that evaluate all their points at once: one level, no refinement, so not with steps 'auto'. */
const FIXED_RULES: readonly QuadratureRule[] = ['midpoint', 'right'];

/** Whether `rule` refines level by level, reusing earlier points ('auto' always resolves to such a rule). */
export function isNestedRule(rule: QuadratureRule): boolean {
  return !FIXED_RULES.includes(rule);
}

/** The rules that can run with `steps`: every rule with a number, the nested ones with 'auto'. */
export function rulesFor(steps: Steps): QuadratureRule[] {
  return PARAMETERS.rule.values.filter((rule) => steps !== 'auto' || isNestedRule(rule));
}

/** The largest power of three at most n (n ≥ 1): the tripling family's points with n steps. */
export function largestPowerOfThree(n: number): number {
  let p = 1;
  while (p * 3 <= n) p *= 3;
  return p;
}

/**
 * Integrand points per text of a run with a number of steps: N for a fixed rule, N + 1
 * for a dyadic nested one (N intervals), 3^k ≤ N for nested-midpoint; undefined for
 * steps 'auto' (it stops when converged), and for rule 'auto' where the model decides
 * between rules whose plans differ.
 */
export function plannedPoints(steps: Steps, rule: QuadratureRule): number | undefined {
  if (steps === 'auto') return undefined;
  if (rule === 'auto') {
    const [smooth, kinked] = [plannedPoints(steps, AUTO_RULE.smooth), plannedPoints(steps, AUTO_RULE.kinked)];
    return smooth === kinked ? smooth : undefined;
  }
  if (rule === 'nested-midpoint') return largestPowerOfThree(steps);
  if (rule === 'gauss-patterson') return 2 ** (pattersonLevelFor(steps) + 1) - 1;
  return isNestedRule(rule) ? steps + 1 : steps;
}

/**
 * The rule a request means when it names none: auto with steps=auto; midpoint with a
 * number of steps, so links and scripts from before nested rules reproduce exactly.
 */
export function impliedRule(steps: Steps, rule: QuadratureRule | undefined): QuadratureRule {
  return rule ?? (steps === 'auto' ? 'auto' : 'midpoint');
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** The value of `p` that `raw` names, or undefined. */
export function choiceOf<T extends string>(p: ChoiceParameter<T>, raw: unknown): T | undefined {
  return p.values.find((v) => v === raw);
}

/** "a or b", "a, b or c": values for messages. */
export function listed(values: readonly string[]): string {
  return values.length === 1 ? values[0] : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

/** The allowed values of a choice, for messages. */
export function allowedValues(p: ChoiceParameter<string>): string {
  return listed(p.values);
}

/** Why `value` is not allowed for `p` (a sentence fragment), or undefined when it is. */
export function choiceProblem(p: ChoiceParameter<string>, value: unknown): string | undefined {
  return choiceOf(p, value) === undefined ? `${p.name} must be ${allowedValues(p)}, got ${String(value)}` : undefined;
}

/** "a power of two from 8 to 1024", "an integer from 0 to 5": what `p` accepts, given the model's upper bound. */
export function integerRange(p: IntegerParameter, max: number | undefined = p.max): string {
  const kind = p.powerOfTwo ? 'a power of two' : 'an integer';
  return max === undefined ? `${kind} from ${p.min}` : `${kind} from ${p.min} to ${max}`;
}

/** Why `value` is not allowed for `p` (a sentence fragment), or undefined when it is. */
export function integerProblem(p: IntegerParameter, value: unknown, max: number | undefined = p.max): string | undefined {
  if (p.auto && value === 'auto') return undefined;
  const ok =
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= p.min &&
    (max === undefined || value <= max) &&
    (!p.powerOfTwo || isPowerOfTwo(value));
  return ok ? undefined : `${p.name} must be ${p.auto ? 'auto or ' : ''}${integerRange(p, max)}, got ${String(value)}`;
}

export function numberProblem(p: NumberParameter, value: unknown): string | undefined {
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= p.min && value <= p.max;
  return ok ? undefined : `${p.name} must be a number from ${p.min} to ${p.max}, got ${String(value)}`;
}

/** Every allowed value of a bounded integer parameter, smallest first (the explorer's Steps menu). */
export function integerChoices(p: IntegerParameter & { max: number }): number[] {
  const out: number[] = [];
  for (let n = p.min; n <= p.max; n = p.powerOfTwo ? n * 2 : n + 1) out.push(n);
  return out;
}
