/** `nn.utils.parametersToVector` / `vectorToParameters`: PyTorch's flat-vector views of parameters. */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';

function list(fn: string, parameters: Iterable<Tensor>): Tensor[] {
  if (parameters === null || typeof (parameters as Iterable<Tensor>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`${fn}: expected an iterable of tensors (model.parameters()), got ${parameters === null ? 'null' : typeof parameters}`);
  }
  const out = [...parameters];
  out.forEach((p, i) => {
    if (!(p instanceof tl.Tensor)) throw new TypeError(`${fn}: entry ${i} is not a Tensor`);
  });
  if (out.length > 0) {
    const device = out[0].device;
    const other = out.find((p) => p.device !== device);
    if (other) throw new Error(`${fn}: all parameters must be on one device, found '${device}' and '${other.device}'`);
  }
  return out;
}

/**
 * Every parameter flattened and joined into one vector (PyTorch's
 * `parameters_to_vector`), differentiable with respect to the parameters.
 *
 * @example
 * ```ts
 * const flat = nn.utils.parametersToVector(model.parameters()); // [numParameters]
 * ```
 */
export function parametersToVector(parameters: Iterable<Tensor>): Tensor {
  const ps = list('parametersToVector', parameters);
  if (ps.length === 0) throw new Error('parametersToVector: got no parameters');
  return tl.tidy(() => tl.cat(ps.map((p) => p.reshape([-1])), 0));
}

/**
 * Copy the slices of a vector into the parameters, in order (PyTorch's
 * `vector_to_parameters`), outside any graph; the vector's length must be the parameters'
 * total size.
 *
 * @example
 * ```ts
 * nn.utils.vectorToParameters(flat.mul(0.5), model.parameters());
 * ```
 */
export function vectorToParameters(vector: Tensor, parameters: Iterable<Tensor>): void {
  const fn = 'vectorToParameters';
  if (!(vector instanceof tl.Tensor)) throw new TypeError(`${fn}: expected a Tensor, got ${vector === null ? 'null' : typeof vector}`);
  if (vector.rank !== 1) throw new Error(`${fn}: expected a 1-D vector, got shape ${tl.formatShape(vector.shape)}`);
  const ps = list(fn, parameters);
  const total = ps.reduce((n, p) => n + p.size, 0);
  if (total !== vector.size) throw new Error(`${fn}: the vector has ${vector.size} elements but the parameters have ${total}`);
  if (ps.length && vector.device !== ps[0].device) throw new Error(`${fn}: the vector is on '${vector.device}' but the parameters are on '${ps[0].device}'`);
  tl.noGrad(() =>
    tl.tidy(() => {
      let at = 0;
      for (const p of ps) {
        p.assign(vector.narrow(0, at, p.size).reshape(p.shape).cast(p.dtype));
        at += p.size;
      }
    }),
  );
}
