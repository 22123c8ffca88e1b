import { Tensor, cat, enableGrad, formatShape, keep, noGrad, tidy, zeros } from '@tensile/core';
import {
  Optimizer,
  type OptimizerGroup,
  type OptimizerParams,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamState,
  type StateValue,
} from './optimizer.js';

/** LBFGS's hyper-parameters (PyTorch's names in camelCase). */
export interface LBFGSOptions {
  /** Learning rate: the initial step length of every line search (or the fixed step without one); default 1. */
  lr: number;
  /** Most iterations per `step()`; default 20. */
  maxIter: number;
  /** Most loss evaluations per `step()`; default `floor(maxIter * 5 / 4)`. */
  maxEval: number;
  /** Stop when every gradient entry is at most this in absolute value; default 1e-7. */
  toleranceGrad: number;
  /** Stop when the loss, the step or the directional derivative changes by less than this; default 1e-9. */
  toleranceChange: number;
  /** How many past updates approximate the inverse Hessian; default 100. */
  historySize: number;
  /** `'strong_wolfe'` for a line search satisfying the strong Wolfe conditions, `null` (default) for a fixed step `lr`. */
  lineSearchFn: 'strong_wolfe' | null;
}

/**
 * What `LBFGS.step` evaluates: it zeroes the gradients, computes the loss, calls `backward()`
 * and returns the loss, as a 1-element tensor or a number, directly or as a promise. A
 * returned tensor is handed over: LBFGS reads it and disposes it.
 */
export type LBFGSClosure = () => Tensor | number | Promise<Tensor | number>;

/** One evaluation along a search direction: the loss and the flat gradient (owned by the caller). */
interface Evaluation {
  loss: number;
  flatGrad: Tensor;
}

function dot(a: Tensor, b: Tensor): Tensor {
  return a.mul(b).sum();
}

async function readNumber(t: Tensor): Promise<number> {
  return Number(await t.item());
}

/** Read `fn()` (a 0-d tensor made in a tidy) as a number, freeing it. */
async function scalar(fn: () => Tensor): Promise<number> {
  const t = noGrad(() => tidy(fn));
  try {
    return await readNumber(t);
  } finally {
    t.dispose();
  }
}

/**
 * The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
 * `bounds` (default: the interval between x1 and x2); the midpoint of the bounds when the
 * cubic has no minimiser.
 */
function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [xminBound, xmaxBound] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 * d1 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    const minPos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return Math.min(Math.max(minPos, xminBound), xmaxBound);
  }
  return (xminBound + xmaxBound) / 2;
}

/**
 * L-BFGS (Nocedal), PyTorch 1.13's implementation (after minFunc): each `step(closure)` runs
 * up to `maxIter` iterations of the two-loop recursion over the last `historySize` updates,
 * moving either by the fixed step `lr` or by a strong-Wolfe line search (`lineSearchFn:
 * 'strong_wolfe'`, cubic interpolation, c1 = 1e-4, c2 = 0.9, at most 25 evaluations). It
 * treats all parameters as one flat vector, so it takes a single parameter group.
 *
 * `step` is async (it reads the loss and a few dot products to decide) and takes a closure
 * that re-evaluates the loss; it resolves to the first loss of the step, as a number.
 * State (PyTorch's, in camelCase) lives under the first parameter: `funcEvals`, `nIter`, `d`,
 * `t`, `oldDirs`, `oldStps`, `ro`, `hDiag`, `prevFlatGrad`, `prevLoss`. Memory grows with the
 * history (two flat vectors per update) up to `historySize` updates, then stays flat.
 *
 * @example
 * ```ts
 * const opt = new LBFGS([w], { lr: 1, lineSearchFn: 'strong_wolfe' });
 * for (let i = 0; i < 10; i++) {
 *   const loss = await opt.step(() => {
 *     opt.zeroGrad();
 *     return tl.tidy(() => {
 *       const l = x.matmul(w).sub(y).square().mean();
 *       l.backward();
 *       return l; // handed to LBFGS, which reads and disposes it
 *     });
 *   });
 *   console.log(loss);
 * }
 * ```
 */
export class LBFGS extends Optimizer<LBFGSOptions> {
  constructor(params: OptimizerParams<LBFGSOptions>, options: Partial<LBFGSOptions> = {}) {
    const maxIter = options?.maxIter ?? 20;
    super(
      params,
      {
        lr: options?.lr ?? 1,
        maxIter,
        maxEval: options?.maxEval ?? Math.floor((maxIter * 5) / 4),
        toleranceGrad: options?.toleranceGrad ?? 1e-7,
        toleranceChange: options?.toleranceChange ?? 1e-9,
        historySize: options?.historySize ?? 100,
        lineSearchFn: options?.lineSearchFn ?? null,
      },
      options,
      'LBFGS',
    );
  }

  /** LBFGS takes exactly one parameter group; a second one is an error. */
  override addParamGroup(group: ParamGroup<LBFGSOptions>): void {
    if (this.paramGroups.length > 0) {
      throw new Error("LBFGS: parameter groups are not supported (it optimises one flat vector); pass a single list of tensors or one group");
    }
    super.addParamGroup(group);
  }

  protected override validateGroup(group: OptimizerGroup<LBFGSOptions>): void {
    this.checkNumber(group, 'lr');
    this.check(Number.isInteger(group.maxIter) && group.maxIter > 0, 'maxIter', group.maxIter, 'a positive integer');
    this.check(typeof group.maxEval === 'number' && group.maxEval > 0, 'maxEval', group.maxEval, 'a positive number');
    this.checkNumber(group, 'toleranceGrad');
    this.checkNumber(group, 'toleranceChange');
    this.check(Number.isInteger(group.historySize) && group.historySize > 0, 'historySize', group.historySize, 'a positive integer');
    this.check(group.lineSearchFn === null || group.lineSearchFn === 'strong_wolfe', 'lineSearchFn', group.lineSearchFn, "'strong_wolfe' or null");
  }

  protected updateParam(): void {
    throw new Error('LBFGS: updateParam is not used; step(closure) updates the parameters');
  }

  private get params(): Tensor[] {
    return this.paramGroups[0].params;
  }

  private get numel(): number {
    return this.params.reduce((total, p) => total + p.size, 0);
  }

  /**
   * Every parameter's gradient (zeros where there is none) as one flat float32 vector, kept:
   * the directions and curvature pairs stay float32 for float16 parameters, whose dot
   * products near a minimum round to 0 in float16 (and the curvature ratio to 0/0).
   */
  private gatherFlatGrad(): Tensor {
    const flat = (p: Tensor) => (p.grad ? p.grad.float().reshape([-1]) : zeros([p.size], { device: p.device }));
    return keep(noGrad(() => tidy(() => cat(this.params.map(flat), 0))));
  }

  /** p += stepSize * update, slice by slice. */
  private addGrad(stepSize: number, update: Tensor): void {
    noGrad(() =>
      tidy(() => {
        let offset = 0;
        for (const p of this.params) {
          const step = update.narrow(0, offset, p.size).reshape(p.shape);
          p.assign(p.dtype === 'float32' ? p.add(step, stepSize) : p.float().add(step, stepSize).cast(p.dtype));
          offset += p.size;
        }
      }),
    );
  }

  /** Run the closure with gradients on and read the loss it returns. */
  private async evaluate(closure: LBFGSClosure): Promise<number> {
    const result = await enableGrad(closure);
    if (result instanceof Tensor) {
      try {
        if (result.size !== 1) throw new Error(`LBFGS.step: the closure returned a loss of shape ${formatShape(result.shape)}; expected one element`);
        return await readNumber(result);
      } finally {
        result.dispose();
      }
    }
    if (typeof result === 'number') return result;
    throw new TypeError(`LBFGS.step: the closure must return the loss as a Tensor or a number, got ${result === null ? 'null' : typeof result}`);
  }

  /** Evaluate at x + t d, then put the parameters back to x. */
  private async directionalEvaluate(closure: LBFGSClosure, x: Tensor[], t: number, d: Tensor): Promise<Evaluation> {
    this.addGrad(t, d);
    try {
      const loss = await this.evaluate(closure);
      return { loss, flatGrad: this.gatherFlatGrad() };
    } finally {
      noGrad(() => this.params.forEach((p, i) => p.assign(x[i])));
    }
  }

  /**
   * PyTorch's `_strong_wolfe`: bracket a step satisfying the strong Wolfe conditions, then
   * zoom in by cubic interpolation. Returns the loss, the (kept) flat gradient at the chosen
   * step, the step and how many evaluations it took.
   */
  private async strongWolfe(
    closure: LBFGSClosure,
    x: Tensor[],
    tInit: number,
    d: Tensor,
    f: number,
    gInit: Tensor,
    gtd: number,
    toleranceChange: number,
  ): Promise<{ loss: number; flatGrad: Tensor; t: number; evals: number }> {
    const c1 = 1e-4;
    const c2 = 0.9;
    const maxLs = 25;
    const owned = new Set<Tensor>();
    const own = (t: Tensor): Tensor => {
      owned.add(t);
      return t;
    };
    let chosen: Tensor | undefined;
    try {
      let t = tInit;
      const dNorm = await scalar(() => d.abs().max());
      const g = own(keep(gInit.clone()));
      let evaluation = await this.directionalEvaluate(closure, x, t, d);
      let fNew = evaluation.loss;
      let gNew = own(evaluation.flatGrad);
      let lsFuncEvals = 1;
      let gtdNew = await scalar(() => dot(gNew, d));

      let tPrev = 0;
      let fPrev = f;
      let gPrev = g;
      let gtdPrev = gtd;
      let done = false;
      let lsIter = 0;
      // One more evaluation at step t (the loss, its gradient and slope along d), counted against maxLs.
      const evaluateNext = async (): Promise<void> => {
        evaluation = await this.directionalEvaluate(closure, x, t, d);
        fNew = evaluation.loss;
        gNew = own(evaluation.flatGrad);
        lsFuncEvals += 1;
        gtdNew = await scalar(() => dot(gNew, d));
        lsIter += 1;
      };
      let bracket: number[] = [];
      let bracketF: number[] = [];
      let bracketG: Tensor[] = [];
      let bracketGtd: number[] = [];
      while (lsIter < maxLs) {
        if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
          [bracket, bracketF, bracketG, bracketGtd] = [[tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]];
          break;
        }
        if (Math.abs(gtdNew) <= -c2 * gtd) {
          [bracket, bracketF, bracketG] = [[t], [fNew], [gNew]];
          done = true;
          break;
        }
        if (gtdNew >= 0) {
          [bracket, bracketF, bracketG, bracketGtd] = [[tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]];
          break;
        }
        const minStep = t + 0.01 * (t - tPrev);
        const maxStep = t * 10;
        const tmp = t;
        t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
        tPrev = tmp;
        fPrev = fNew;
        gPrev = gNew;
        gtdPrev = gtdNew;
        await evaluateNext();
      }
      if (lsIter === maxLs) {
        [bracket, bracketF, bracketG] = [[0, t], [f, fNew], [g, gNew]];
      }

      // Zoom: refine the bracket until a point satisfies the conditions.
      let insufProgress = false;
      let [lowPos, highPos] = bracketF[0] <= bracketF[bracketF.length - 1] ? [0, 1] : [1, 0];
      while (!done && lsIter < maxLs) {
        if (Math.abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) break;
        t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1]);
        const hi = Math.max(...bracket);
        const lo = Math.min(...bracket);
        const eps = 0.1 * (hi - lo);
        if (Math.min(hi - t, t - lo) < eps) {
          if (insufProgress || t >= hi || t <= lo) {
            t = Math.abs(t - hi) < Math.abs(t - lo) ? hi - eps : lo + eps;
            insufProgress = false;
          } else {
            insufProgress = true;
          }
        } else {
          insufProgress = false;
        }
        await evaluateNext();

        if (fNew > f + c1 * t * gtd || fNew >= bracketF[lowPos]) {
          bracket[highPos] = t;
          bracketF[highPos] = fNew;
          bracketG[highPos] = gNew;
          bracketGtd[highPos] = gtdNew;
          [lowPos, highPos] = bracketF[0] <= bracketF[1] ? [0, 1] : [1, 0];
        } else {
          if (Math.abs(gtdNew) <= -c2 * gtd) {
            done = true;
          } else if (gtdNew * (bracket[highPos] - bracket[lowPos]) >= 0) {
            bracket[highPos] = bracket[lowPos];
            bracketF[highPos] = bracketF[lowPos];
            bracketG[highPos] = bracketG[lowPos];
            bracketGtd[highPos] = bracketGtd[lowPos];
          }
          bracket[lowPos] = t;
          bracketF[lowPos] = fNew;
          bracketG[lowPos] = gNew;
          bracketGtd[lowPos] = gtdNew;
        }
      }
      chosen = bracketG[lowPos];
      return { loss: bracketF[lowPos], flatGrad: chosen, t: bracket[lowPos], evals: lsFuncEvals };
    } finally {
      for (const t of owned) if (t !== chosen) t.dispose();
    }
  }

  /**
   * Run up to `maxIter` L-BFGS iterations. `closure` zeroes the gradients, computes the loss,
   * calls `backward()` and returns the loss (see {@link LBFGSClosure}); it runs at least once
   * and once per line-search evaluation. Resolves to the loss before the step.
   */
  override step(closure: LBFGSClosure): Promise<number>;
  /** LBFGS needs a closure: calling `step()` without one throws. */
  override step(closure?: undefined): never;
  override step(closure?: LBFGSClosure): Promise<number> {
    if (typeof closure !== 'function') {
      throw new Error('LBFGS.step: needs a closure that zeroes the gradients, computes the loss, calls backward() and returns the loss');
    }
    return this.run(closure);
  }

  private async run(closure: LBFGSClosure): Promise<number> {
    const group = this.paramGroups[0];
    const { lr, maxIter, maxEval, toleranceGrad, toleranceChange, lineSearchFn, historySize } = group;
    const first = this.params[0];
    let state = this.state.get(first);
    if (!state) {
      state = {};
      this.state.set(first, state);
    }
    const s = state;
    s.funcEvals = (s.funcEvals as number | undefined) ?? 0;
    s.nIter = (s.nIter as number | undefined) ?? 0;

    const origLoss = await this.evaluate(closure);
    let loss = origLoss;
    let currentEvals = 1;
    s.funcEvals += 1;

    let flatGrad = this.gatherFlatGrad();
    let optCond = (await scalar(() => flatGrad.abs().max())) <= toleranceGrad;
    if (optCond) {
      flatGrad.dispose();
      return origLoss;
    }

    let d = s.d as Tensor | undefined;
    let t = s.t as number | undefined;
    let oldDirs = (s.oldDirs as Tensor[] | undefined) ?? [];
    let oldStps = (s.oldStps as Tensor[] | undefined) ?? [];
    let ro = (s.ro as Tensor[] | undefined) ?? [];
    let hDiag = (s.hDiag as Tensor | number | undefined) ?? 1;
    let prevFlatGrad = s.prevFlatGrad as Tensor | undefined;
    let prevLoss = s.prevLoss as number | undefined;
    const replace = <T extends Tensor | number | undefined>(old: T, value: T): T => {
      if (old instanceof Tensor && old !== value) old.dispose();
      if (value instanceof Tensor) keep(value);
      return value;
    };

    try {
      let nIter = 0;
      while (nIter < maxIter) {
        nIter += 1;
        s.nIter = (s.nIter as number) + 1;

        // The descent direction.
        if (s.nIter === 1) {
          d = replace(d, noGrad(() => flatGrad.neg()));
          for (const list of [oldDirs, oldStps, ro]) for (const v of list) v.dispose();
          [oldDirs, oldStps, ro] = [[], [], []];
          hDiag = replace(hDiag, 1);
        } else {
          const dir = d!;
          const step = t!;
          const previous = prevFlatGrad!;
          const [y, sVec, ys] = noGrad(() => {
            const yv = keep(flatGrad.sub(previous));
            const sv = keep(dir.mul(step));
            return [yv, sv, keep(tidy(() => dot(yv, sv)))] as const;
          });
          if ((await readNumber(ys)) > 1e-10) {
            if (oldDirs.length === historySize) {
              oldDirs.shift()!.dispose();
              oldStps.shift()!.dispose();
              ro.shift()!.dispose();
            }
            oldDirs.push(y);
            oldStps.push(sVec);
            ro.push(keep(noGrad(() => ys.reciprocal())));
            hDiag = replace(hDiag, noGrad(() => tidy(() => ys.div(dot(y, y)))));
          } else {
            y.dispose();
            sVec.dispose();
          }
          ys.dispose();

          // The two-loop recursion: d = -H g with H the L-BFGS inverse-Hessian approximation.
          const h = hDiag;
          const next = noGrad(() =>
            tidy(() => {
              const al: Tensor[] = new Array<Tensor>(oldDirs.length);
              let q = flatGrad.neg();
              for (let i = oldDirs.length - 1; i >= 0; i--) {
                al[i] = dot(oldStps[i], q).mul(ro[i]);
                q = q.sub(oldDirs[i].mul(al[i]));
              }
              let r = q.mul(h);
              for (let i = 0; i < oldDirs.length; i++) {
                const be = dot(oldDirs[i], r).mul(ro[i]);
                r = r.add(oldStps[i].mul(al[i].sub(be)));
              }
              return r;
            }),
          );
          d = replace(d, next);
        }
        const direction = d!;
        prevFlatGrad = replace(prevFlatGrad, noGrad(() => flatGrad.clone()));
        prevLoss = loss;

        // The step length.
        if (s.nIter === 1) {
          const sumAbs = await scalar(() => flatGrad.abs().sum());
          t = Math.min(1, 1 / sumAbs) * lr;
        } else {
          t = lr;
        }
        const gtd = await scalar(() => dot(flatGrad, direction));
        if (gtd > -toleranceChange) break;

        let lsFuncEvals = 0;
        if (lineSearchFn !== null) {
          const xInit = noGrad(() => this.params.map((p) => keep(p.clone())));
          try {
            const result = await this.strongWolfe(closure, xInit, t, direction, loss, flatGrad, gtd, toleranceChange);
            loss = result.loss;
            flatGrad.dispose();
            flatGrad = result.flatGrad;
            t = result.t;
            lsFuncEvals = result.evals;
          } finally {
            for (const x of xInit) x.dispose();
          }
          this.addGrad(t, direction);
          const g = flatGrad;
          optCond = (await scalar(() => g.abs().max())) <= toleranceGrad;
        } else {
          this.addGrad(t, direction);
          if (nIter !== maxIter) {
            loss = await this.evaluate(closure);
            flatGrad.dispose();
            flatGrad = this.gatherFlatGrad();
            const g = flatGrad;
            optCond = (await scalar(() => g.abs().max())) <= toleranceGrad;
            lsFuncEvals = 1;
          }
        }
        currentEvals += lsFuncEvals;
        s.funcEvals = (s.funcEvals as number) + lsFuncEvals;

        // Stopping conditions.
        if (nIter === maxIter) break;
        if (currentEvals >= maxEval) break;
        if (optCond) break;
        const stepSize = t;
        if ((await scalar(() => direction.mul(stepSize).abs().max())) <= toleranceChange) break;
        if (Math.abs(loss - prevLoss) < toleranceChange) break;
      }
    } finally {
      flatGrad.dispose();
      const entries: Record<string, StateValue | undefined> = { d, t, oldDirs, oldStps, ro, hDiag, prevFlatGrad, prevLoss };
      for (const [key, value] of Object.entries(entries)) if (value !== undefined) s[key] = value;
    }
    return origLoss;
  }

  /**
   * Load a state dict made by `LBFGS.stateDict()`: the flat vectors must have as many
   * elements as the parameters together. Tensors are copied; the dict stays the caller's.
   */
  override loadStateDict(stateDict: OptimizerStateDict): void {
    const saved = stateDict?.param_groups;
    if (!saved || typeof stateDict.state !== 'object') {
      throw new Error("LBFGS.loadStateDict: expected an object with 'state' and 'param_groups'");
    }
    if (saved.length !== 1) throw new Error(`LBFGS.loadStateDict: the state dict has ${saved.length} parameter groups; LBFGS has 1`);
    const params = this.params;
    if (!Array.isArray(saved[0].params) || saved[0].params.length !== params.length) {
      throw new Error(
        `LBFGS.loadStateDict: the state dict's group has ${saved[0].params?.length ?? 0} parameters, the optimiser ${params.length}`,
      );
    }
    const numel = this.numel;
    const entries = Object.entries(stateDict.state);
    const firstIndex = saved[0].params[0];
    const incoming = entries.find(([key]) => Number(key) === firstIndex)?.[1];
    const flatVector = (name: string, v: unknown): void => {
      if (!(v instanceof Tensor) || v.isDisposed || v.shape.length !== 1 || v.shape[0] !== numel) {
        const got = v instanceof Tensor ? (v.isDisposed ? 'a disposed tensor' : formatShape(v.shape)) : typeof v;
        throw new Error(`LBFGS.loadStateDict: state.${name} must be a tensor of shape [${numel}], got ${got}`);
      }
    };
    const scalarTensor = (name: string, v: unknown): void => {
      if (!(v instanceof Tensor) || v.isDisposed || v.size !== 1) {
        throw new Error(`LBFGS.loadStateDict: state.${name} must be a 1-element tensor`);
      }
    };
    if (incoming) {
      for (const [name, v] of Object.entries(incoming)) {
        if (name === 'd' || name === 'prevFlatGrad') flatVector(name, v);
        else if (name === 'oldDirs' || name === 'oldStps' || name === 'ro') {
          if (!Array.isArray(v)) throw new Error(`LBFGS.loadStateDict: state.${name} must be a list of tensors`);
          v.forEach((item, i) => (name === 'ro' ? scalarTensor(`${name}[${i}]`, item) : flatVector(`${name}[${i}]`, item)));
        } else if (name === 'hDiag') {
          if (typeof v !== 'number') scalarTensor(name, v);
        } else if (typeof v !== 'number') {
          throw new Error(`LBFGS.loadStateDict: state.${name} must be a number`);
        }
      }
      const lengths = ['oldDirs', 'oldStps', 'ro'].map((name) => (incoming[name] as unknown[] | undefined)?.length ?? 0);
      if (lengths.some((n) => n !== lengths[0])) {
        throw new Error(`LBFGS.loadStateDict: oldDirs, oldStps and ro must have the same length, got ${lengths.join(', ')}`);
      }
    }
    const merged: Record<string, unknown> = { ...this.paramGroups[0] };
    for (const [key, value] of Object.entries(saved[0])) if (key !== 'params') merged[key] = Array.isArray(value) ? [...value] : value;
    merged.params = params;
    this.validateGroup(merged as OptimizerGroup<LBFGSOptions>);

    this.disposeState();
    if (incoming) {
      const device = params[0].device;
      const copy = (v: Tensor): Tensor => keep(noGrad(() => (v.device === device ? v.clone() : v.to(device))));
      const state: ParamState = {};
      for (const [name, v] of Object.entries(incoming)) {
        state[name] = v instanceof Tensor ? copy(v) : Array.isArray(v) ? (v as Tensor[]).map(copy) : v;
      }
      this.state.set(params[0], state);
    }
    const target = this.paramGroups[0] as Record<string, unknown>;
    for (const key of Object.keys(target)) if (!(key in merged)) delete target[key];
    Object.assign(target, merged);
  }
}
