/** Bad input: each op throws early, with a message naming the op (and the shapes). */
import * as tl from '@tensile/core';
import { describe, expect } from 'vitest';
import type { Suite } from './context.js';

export function errorTests(suite: Suite): void {
  const device = suite.device;
  /**
   * While the repeat test runs, operands are made once per shape and reused, so every tensor
   * a repeated call leaves behind was leaked by the op, not made by the case.
   */
  let operands: Map<string, tl.Tensor> | null = null;
  const operand = (key: string, make: () => tl.Tensor): tl.Tensor => {
    if (!operands) return make();
    let t = operands.get(key);
    if (!t) operands.set(key, (t = make()));
    return t;
  };
  const f = (shape: number[]) => operand(`f${shape}`, () => tl.zeros(shape, { device }));
  const indexThree = () => operand('three', () => tl.tensor(new Int32Array([3]), { device }));
  const i32 = (shape: number[]) => operand(`i${shape}`, () => tl.zeros(shape, { device, dtype: 'int32' }));
  const b = (shape: number[]) => operand(`b${shape}`, () => tl.zeros(shape, { device, dtype: 'bool' }));

  /** [case name, the call, what the message must match]. */
  const cases: [string, () => unknown, RegExp][] = [
    ['matmul shape mismatch names both shapes', () => tl.matmul(f([2, 3]), f([4, 5])), /matmul.*\[2,3\].*\[4,5\]/],
    ['matmul of a 0-d tensor', () => tl.matmul(f([]), f([3])), /matmul/],
    ['matmul of int32', () => tl.matmul(i32([2, 2]), f([2, 2])), /matmul.*int32/],
    ['matmul batch dims that do not broadcast', () => tl.matmul(f([2, 3, 4]), f([3, 4, 5])), /matmul/],
    ['mm of a 3-D tensor names both shapes', () => tl.mm(f([2, 3, 4]), f([4, 5])), /mm: expected two 2-D tensors.*\[2,3,4\].*\[4,5\]/],
    ['mm inner dims that differ', () => f([2, 3]).mm(f([4, 5])), /mm: cannot multiply \[2,3\] by \[4,5\]/],
    ['bmm batch sizes that differ', () => tl.bmm(f([2, 3, 4]), f([3, 4, 5])), /bmm: batch sizes differ.*\[2,3,4\].*\[3,4,5\]/],
    ['bmm of 2-D tensors', () => tl.bmm(f([3, 4]), f([4, 5])), /bmm: expected two 3-D tensors/],
    ['mv with a matrix for the vector', () => tl.mv(f([2, 3]), f([3, 1])), /mv: expected a 2-D matrix and a 1-D vector.*\[2,3\].*\[3,1\]/],
    ['mv with a vector of the wrong length', () => f([2, 3]).mv(f([4])), /mv: cannot multiply \[2,3\] by \[4\]/],
    ['dot of 2-D tensors', () => tl.dot(f([2, 2]), f([2, 2])), /dot: expected two 1-D tensors.*\[2,2\]/],
    ['dot of different lengths', () => f([3]).dot(f([4])), /dot: 1-D tensors of different lengths.*\[3\].*\[4\]/],
    ['dot of int32', () => tl.dot(i32([3]), i32([3])), /dot.*int32/],
    ['tensordot contracted dims of different sizes', () => tl.tensordot(f([2, 3]), f([4, 2]), 1), /tensordot.*\[2,3\].*\[4,2\]/],
    ['cross without a dim of size 3', () => tl.cross(f([2, 4]), f([2, 4])), /cross.*size 3/],
    ['einsum with the wrong number of operands', () => tl.einsum('ij,jk->ik', f([2, 3])), /einsum: 'ij,jk->ik' names 2 operands but 1 was given/],
    ['einsum subscripts that do not match a rank', () => tl.einsum('ijk->i', f([2, 3])), /einsum: 'ijk->i': operand 0 has 3 subscripts.*2 dims \[2,3\]/],
    ['einsum output subscript absent from the inputs', () => tl.einsum('ij->ik', f([2, 3])), /einsum: 'ij->ik': output subscript 'k' does not appear/],
    ['einsum repeated output subscript', () => tl.einsum('ij->ii', f([2, 3])), /einsum: 'ij->ii': output subscript 'i' appears more than once/],
    ['einsum invalid character', () => tl.einsum('i1,jk', f([2, 3]), f([3, 2])), /einsum: 'i1,jk': invalid character '1'/],
    ['einsum sizes that differ for one subscript', () => tl.einsum('ij,jk->ik', f([2, 3]), f([4, 5])), /einsum: 'ij,jk->ik': subscript 'j' has size 3 and 4.*\[2,3\].*\[4,5\]/],
    ['einsum diagonal of a non-square operand', () => tl.einsum('ii->i', f([2, 3])), /einsum: 'ii->i': subscript 'i' is repeated in operand 0.*2 and 3/],
    ['einsum of int32 operands', () => tl.einsum('i,i->', i32([2]), i32([2])), /einsum.*int32/],
    ['add shapes that do not broadcast', () => tl.add(f([2, 3]), f([4])), /add.*\[2,3\].*\[4\]|add/],
    ['mul shapes that do not broadcast', () => f([3]).mul(f([2])), /mul/],
    ['where shapes that do not broadcast', () => tl.where(b([2]), f([3]), f([3])), /where/],
    ['where with a float condition that does not broadcast', () => tl.where(f([2]), f([3]), f([3])), /where/],
    ['sum dim out of range', () => f([2, 3]).sum(2), /sum.*dim 2/],
    ['mean negative dim out of range', () => f([2, 3]).mean(-3), /mean.*-3/],
    ['max of an empty tensor', () => f([0]).max(), /max/],
    ['argmax dim out of range', () => f([2]).argmax(1), /argmax/],
    ['softmax dim out of range', () => f([2, 3]).softmax(2), /softmax/],
    ['scaledDotProductAttention with feature sizes that differ', () => tl.scaledDotProductAttention(f([2, 3, 4]), f([2, 5, 3]), f([2, 5, 4])), /scaledDotProductAttention: query \[2,3,4\] and key \[2,5,3\] must end in the same feature size/],
    ['scaledDotProductAttention with a PyTorch snake_case option', () => tl.scaledDotProductAttention(f([3, 4]), f([5, 4]), f([5, 2]), { is_causal: true } as object), /scaledDotProductAttention: unknown option 'is_causal'; options are camelCase: isCausal/],
    ['scaledDotProductAttention with an int32 mask', () => tl.scaledDotProductAttention(f([3, 4]), f([5, 4]), f([5, 2]), { attnMask: i32([3, 5]) }), /scaledDotProductAttention: attnMask must be bool or float32.*got int32/],
    ['scaledDotProductAttention with a mask that does not broadcast', () => tl.scaledDotProductAttention(f([3, 4]), f([5, 4]), f([5, 2]), { attnMask: b([3, 4]) }), /scaledDotProductAttention/],
    ['softmax of int32', () => i32([3]).softmax(0), /softmax.*int32/],
    ['logsumexp dim out of range', () => f([2]).logsumexp(3), /logsumexp/],
    ['cumsum dim out of range names the op and the rank', () => f([2, 3]).cumsum(2), /cumsum: dim 2 is out of range for a tensor of rank 2/],
    ['cumsum without a dim', () => tl.cumsum(f([3]), undefined as unknown as number), /cumsum: dim must be an integer/],
    ['cumsum with an unknown option', () => f([3]).cumsum(0, { out: f([3]) } as never), /cumsum: unknown option 'out'/],
    ['cumsum to bool', () => f([3]).cumsum(0, { dtype: 'bool' }), /cumsum: dtype must be 'float32' or 'int32'.*bool/],
    ['cumprod negative dim out of range', () => f([2, 3]).cumprod(-3), /cumprod: dim -3 is out of range/],
    ['cummax dim out of range', () => tl.cummax(f([4]), 1), /cummax: dim 1 is out of range/],
    ['cummin of a non-tensor', () => tl.cummin([1, 2] as unknown as tl.Tensor, 0), /cummin: expected a tensor/],
    ['logcumsumexp of int32 names the dtype and shape', () => i32([2, 3]).logcumsumexp(0), /logcumsumexp: expected a floating tensor, got int32 of shape \[2,3\]/],
    ['logcumsumexp of bool', () => tl.logcumsumexp(b([3]), 0), /logcumsumexp: expected a floating tensor, got bool/],
    ['transpose dim out of range', () => f([2, 3]).transpose(0, 2), /transpose/],
    ['permute with a repeated dim', () => f([2, 3]).permute([0, 0]), /permute/],
    ['permute with the wrong number of dims', () => f([2, 3]).permute([0]), /permute/],
    ['reshape to the wrong size', () => f([2, 3]).reshape([4, 2]), /reshape.*\[2,3\].*\[4,2\]/],
    ['view of a non-contiguous tensor', () => operand('transposed', () => f([2, 3]).transpose(0, 1)).view([6]), /view/],
    ['expand to an incompatible shape', () => f([2, 3]).expand([4, 3]), /expand/],
    ['unsqueeze dim out of range', () => f([2]).unsqueeze(3), /unsqueeze/],
    ['narrow past the end', () => f([4]).narrow(0, 2, 3), /narrow/],
    ['select index out of range', () => f([2, 3]).select(1, 3), /select/],
    ['cat of mismatched shapes', () => tl.cat([f([2, 3]), f([2, 4])], 0), /cat.*\[2,4\]/],
    ['cat of nothing', () => tl.cat([], 0), /cat/],
    ['stack of mismatched shapes', () => tl.stack([f([2]), f([3])]), /stack/],
    ['split sizes that do not add up', () => f([5]).split([2, 2]), /split/],
    ['gather with a float index', () => f([3]).gather(0, f([2])), /gather.*int32/],
    ['gather index out of bounds', () => f([3]).gather(0, indexThree()), /gather: index 3 is out of bounds for a dim of size 3/],
    ['gather with a negative index', () => f([3]).gather(0, operand('minus one', () => tl.tensor(new Int32Array([-1]), { device }))), /gather: index -1 is out of bounds for a dim of size 3/],
    ['indexSelect index out of bounds', () => f([3, 2]).indexSelect(0, operand('zero five', () => tl.tensor(new Int32Array([0, 5]), { device }))), /(indexSelect|gather): index 5 is out of bounds for a dim of size 3/],
    ['scatterAdd index out of bounds', () => f([3]).scatterAdd(0, indexThree(), f([1])), /scatterAdd: index 3 is out of bounds for a dim of size 3/],
    ['gather index of another rank', () => f([3, 2]).gather(0, i32([2])), /gather/],
    ['scatterAdd with a src of another dtype', () => f([3]).scatterAdd(0, i32([2]), i32([2])), /scatterAdd/],
    ['scatter index out of bounds', () => f([3]).scatter(0, indexThree(), f([1])), /scatter(Add)?: index 3 is out of bounds/],
    // The indexing ops built on gather and scatterAdd: a GPU names the kernel that found the index.
    ['take index out of bounds', () => tl.take(f([2, 3]), operand('seven', () => tl.tensor(new Int32Array([7]), { device }))), /(take|gather): index 7 is out of bounds for a dim of size 6/],
    ['takeAlongDim index out of bounds', () => tl.takeAlongDim(f([2, 3]), operand('five row', () => tl.tensor(new Int32Array([5, 0, 1]), { device }).reshape([1, 3])), 0), /gather: index 5 is out of bounds for a dim of size 2/],
    ['index with an int tensor out of bounds', () => f([2, 3]).index(operand('five', () => tl.tensor(new Int32Array([5]), { device }))), /(index|gather): index 5 is out of bounds for a dim of size 2/],
    ['indexAdd index out of bounds', () => f([2, 3]).indexAdd(0, operand('four', () => tl.tensor(new Int32Array([4]), { device })), f([1, 3])), /(indexAdd|scatterAdd): index 4 is out of bounds for a dim of size 2/],
    ['indexCopy index out of bounds', () => f([2, 3]).indexCopy(0, operand('four', () => tl.tensor(new Int32Array([4]), { device })), f([1, 3])), /(indexCopy|scatterAdd|gather): index 4 is out of bounds for a dim of size 2/],
    ['indexFill index out of bounds', () => f([2, 3]).indexFill(1, operand('nine', () => tl.tensor(new Int32Array([9]), { device })), 1), /(indexFill|scatterAdd): index 9 is out of bounds for a dim of size 3/],
    ['indexPut index out of bounds', () => f([2, 3]).indexPut([operand('five', () => tl.tensor(new Int32Array([5]), { device }))], f([3])), /(indexPut|scatterAdd): index 5 is out of bounds for a dim of size 2/],
    ['scatterReduce index out of bounds', () => tl.scatterReduce(f([2, 3]), 1, operand('seven grid', () => tl.tensor(new Int32Array([0, 7, 1, 0, 0, 0]), { device }).reshape([2, 3])), f([2, 3]), 'sum'), /(scatterReduce|scatterAdd): index 7 is out of bounds for a dim of size 3/],
    ['scatterReduce with an unknown reduction', () => f([3]).scatterReduce(0, i32([2]), f([2]), 'max' as 'amax'), /scatterReduce: reduce must be one of sum, prod, mean, amax, amin, got max/],
    ['scatterReduce with an unknown option', () => f([3]).scatterReduce(0, i32([2]), f([2]), 'sum', { include_self: false } as { includeSelf?: boolean }), /scatterReduce: unknown option 'include_self'/],
    ['scatterReduce with an index larger than src', () => f([3]).scatterReduce(0, i32([3]), f([2]), 'amax'), /scatterReduce: index \[3\] is larger than src \[2\] in dim 0/],
    ['scatter with a src of another dtype', () => f([3]).scatter(0, i32([2]), i32([2])), /scatter: src is int32 but the input is float32/],
    ['indexCopy with a source of the wrong shape', () => f([4, 2]).indexCopy(0, i32([2]), f([3, 2])), /indexCopy: source must be \[2,2\]/],
    ['sliceScatter with a src of the wrong shape', () => f([4, 2]).sliceScatter(f([3, 2]), 0, 1, 3), /sliceScatter: src must be \[2,2\] \(the slice 1:3:1 of dim 0 of the input \[4,2\]\), got \[3,2\]/],
    ['sliceScatter with a zero step', () => f([4]).sliceScatter(f([4]), 0, null, null, 0), /sliceScatter: step must be a positive integer, got 0/],
    ['sliceScatter with a src of another dtype', () => f([4]).sliceScatter(i32([2]), 0, 0, 2), /sliceScatter: src is int32 but the input is float32/],
    ['selectScatter with an index out of range', () => f([2, 3]).selectScatter(f([2]), 1, 3), /selectScatter: index 3 is out of range for dim 1 of size 3/],
    ['selectScatter with a src of the wrong shape', () => f([2, 3]).selectScatter(f([3]), 1, 0), /selectScatter: src must be \[2\]/],
    ['diagonalScatter on one dim', () => f([3]).diagonalScatter(f([3])), /diagonalScatter: the input needs at least 2 dims, got \[3\]/],
    ['diagonalScatter with one dim twice', () => f([3, 3]).diagonalScatter(f([3]), 0, 1, 1), /diagonalScatter: dim1 and dim2 must differ/],
    ['diagonalScatter with a src of the wrong length', () => f([3, 5]).diagonalScatter(f([4]), 1), /diagonalScatter: src must be \[3\] \(diagonal 1 of dims 0 and 1/],
    ['maskedScatter with a source too short', () => f([2, 3]).maskedScatter(operand('all true', () => tl.ones([2, 3], { dtype: 'bool', device })), f([5])), /(maskedScatter: the mask has 6 true elements but source has only 5|indexSelect|gather)/],
    ['maskedScatter with a float mask', () => f([2, 3]).maskedScatter(f([2, 3]), f([6])), /maskedScatter: the mask must be bool, got float32/],
    ['maskedScatter with a mask that does not broadcast to the input', () => f([3]).maskedScatter(operand('mask', () => tl.ones([2, 3], { dtype: 'bool', device })), f([6])), /maskedScatter: the mask \[2,3\] must broadcast to the input \[3\]/],
    ['linalg.inv of a non-square matrix', () => tl.linalg.inv(f([2, 3])), /linalg.inv: A must be a batch of square matrices \[..., n, n\], got \[2,3\]/],
    ['linalg.det of an int32 matrix', () => tl.linalg.det(i32([2, 2])), /linalg.det: A must be float32 or float16, got int32/],
    ['linalg.solve with B of the wrong size', () => tl.linalg.solve(f([3, 3]), f([2, 2])), /linalg.solve: B must be \[..., 3, k\] or \[..., 3\] for A \[3,3\], got \[2,2\]/],
    ['linalg.solve with batch dims that do not broadcast', () => tl.linalg.solve(f([2, 3, 3]), f([4, 3, 1])), /linalg.solve/],
    ['linalg.inv of a singular matrix', () => tl.linalg.inv(operand('singular', () => tl.tensor([[1, 2], [2, 4]], { device }))), /linalg.inv: the input matrix is singular/],
    ['linalg.solve with a batch holding a singular matrix', () => tl.linalg.solve(operand('batch', () => tl.tensor([[[1, 0], [0, 1]], [[1, 2], [2, 4]]], { device })), f([2, 2, 1])), /linalg.solve: the input matrix at batch index 1 is singular/],
    ['linalg.cholesky of a matrix that is not positive-definite', () => tl.linalg.cholesky(operand('indefinite', () => tl.tensor([[1, 2], [2, 1]], { device }))), /linalg.cholesky: the input is not positive-definite \(the leading minor of order 2 is not\)/],
    ['linalg.cholesky with an unknown option', () => tl.linalg.cholesky(f([2, 2]), { lower: true } as never), /linalg.cholesky: unknown option 'lower'/],
    ['linalg.solveTriangular without upper', () => tl.linalg.solveTriangular(f([2, 2]), f([2, 1]), {} as never), /linalg.solveTriangular: upper must be a boolean \(it is required\), got undefined/],
    ['linalg.solveTriangular with B of the wrong size', () => tl.linalg.solveTriangular(f([3, 3]), f([2, 3]), { upper: true }), /linalg.solveTriangular: B must be \[..., 3, k\] for A \[3,3\], got \[2,3\]/],
    ['conv3d of a 4-D weight', () => tl.conv3d(f([1, 2, 3, 3, 3]), f([2, 2, 3, 3])), /conv3d: weight must be \[O, C\/groups, kD, kH, kW\], got \[2,2,3,3\]/],
    ['conv3d with channels that do not match', () => tl.conv3d(f([1, 2, 3, 3, 3]), f([2, 3, 1, 1, 1])), /conv3d: weight \[2,3,1,1,1\] expects 3 input channels \(3 per group x 1 groups\), but the input \[1,2,3,3,3\] has 2/],
    ['conv3d with a kernel deeper than the input', () => tl.conv3d(f([1, 1, 2, 3, 3]), f([1, 1, 3, 1, 1])), /conv3d: kernel depth 3 \(dilation 1\) is larger than the padded input depth 2/],
    ['conv3d with a pair for stride', () => tl.conv3d(f([1, 1, 3, 3, 3]), f([1, 1, 1, 1, 1]), null, { stride: [1, 1] as never }), /conv3d: stride must be an integer or three integers, got \[1,1\]/],
    ['maxPool3d with a non-boolean returnIndices', () => tl.maxPool3d(f([1, 1, 2, 2, 2]), { kernelSize: 2, returnIndices: 1 } as never), /maxPool3d: returnIndices must be a boolean, got 1/],
    ['maxPool3d of a 3-D input', () => tl.maxPool3d(f([2, 2, 2]), { kernelSize: 2 }), /maxPool3d: input must be \[N, C, D, H, W\] or \[C, D, H, W\], got \[2,2,2\]/],
    ['avgPool3d with padding over half the kernel', () => tl.avgPool3d(f([1, 1, 4, 4, 4]), { kernelSize: 2, padding: 2 }), /avgPool3d: padding \[2,2,2\] must be at most half the kernel size \[2,2,2\]/],
    ['avgPool3d with a zero divisorOverride', () => tl.avgPool3d(f([1, 1, 2, 2, 2]), { kernelSize: 2, divisorOverride: 0 }), /avgPool3d: divisorOverride must be a non-zero number, got 0/],
    ['linalg.eigh of a non-square matrix', () => tl.linalg.eigh(f([2, 3])), /linalg.eigh: A must be a batch of square matrices \[..., n, n\], got \[2,3\]/],
    ['linalg.eigh of an int32 matrix', () => tl.linalg.eigh(i32([2, 2])), /linalg.eigh: A must be float32 or float16, got int32/],
    ['linalg.eigh with an unknown UPLO', () => tl.linalg.eigh(f([2, 2]), 'X' as 'L'), /linalg.eigh: UPLO must be 'L' or 'U', got X/],
    ['linalg.eigvalsh of a vector', () => tl.linalg.eigvalsh(f([3])), /linalg.eigh: A must be a batch of square matrices/],
    ['linalg.svd of a vector', () => tl.linalg.svd(f([3])), /linalg.svd: A must be a batch of matrices \[..., m, n\], got \[3\]/],
    ['linalg.svd of a bool matrix', () => tl.linalg.svd(b([2, 2])), /linalg.svd: A must be float32 or float16, got bool/],
    ['linalg.svd with a non-boolean fullMatrices', () => tl.linalg.svd(f([2, 2]), { fullMatrices: false } as never), /linalg.svd: fullMatrices must be a boolean, got object/],
    ['linalg.pinv with an unknown option', () => tl.linalg.pinv(f([2, 2]), { rcond: 1e-5 } as object), /linalg.pinv: unknown option 'rcond'; supported: atol, rtol, hermitian/],
    ['linalg.pinv with a negative atol', () => tl.linalg.pinv(f([2, 2]), { atol: -1 }), /linalg.pinv: atol must be a non-negative number, got -1/],
    ['linalg.pinv hermitian of a non-square matrix', () => tl.linalg.pinv(f([2, 3]), { hermitian: true }), /linalg.pinv: A must be a batch of square matrices/],
    ['linalg.matrixRank of an int32 matrix', () => tl.linalg.matrixRank(i32([2, 2])), /linalg.matrixRank: A must be float32 or float16, got int32/],
    ['linalg.lstsq with the gelsy driver', () => tl.linalg.lstsq(f([3, 2]), f([3, 1]), null, { driver: 'gelsy' as 'gelsd' }), /linalg.lstsq: driver 'gelsy' is not supported: Tensile solves with the SVD/],
    ['linalg.lstsq with B of other rows', () => tl.linalg.lstsq(f([3, 2]), f([4, 1])), /linalg.lstsq: B must have A's 3 rows \(\[..., 3, k\] or \[..., 3\]\), got \[4,1\] for A \[3,2\]/],
    ['linalg.lstsq with an int32 B', () => tl.linalg.lstsq(f([3, 2]), i32([3, 1])), /linalg.lstsq: A and B must be float32 or float16 of one dtype, got float32 and int32/],
    ['linalg.lstsq with a negative rcond', () => tl.linalg.lstsq(f([3, 2]), f([3, 1]), -1), /linalg.lstsq: rcond must be a non-negative number or null, got -1/],
    ['linalg.matrixNorm with an unknown ord', () => tl.linalg.matrixNorm(f([2, 2]), 3), /matrixNorm: ord must be 'fro', 'nuc', 1, -1, 2, -2, Infinity or -Infinity, got 3/],
    ['norm nuc of a 3-D tensor without dims', () => tl.norm(f([2, 2, 2]), 'nuc'), /norm: p 'nuc' needs a matrix: a 2-D input, or dim naming two dims/],
    ['linalg.qr with an unknown mode', () => tl.linalg.qr(f([3, 2]), 'full' as never), /linalg.qr: mode must be 'reduced', 'complete' or 'r', got full/],
    ['linalg.qr of a vector', () => tl.linalg.qr(f([3])), /linalg.qr: A must be a batch of matrices \[..., m, n\], got \[3\]/],
    ['linalg.qr backward of a wide matrix', () => tl.linalg.qr(operand('wide leaf', () => tl.ones([2, 3], { device, requiresGrad: true }))).R.sum().backward(), /linalg.qr: the gradient is defined for mode 'reduced' with m >= n/],
    ['linalg.matrixPower with a fractional power', () => tl.linalg.matrixPower(f([2, 2]), 0.5), /linalg.matrixPower: n must be an integer, got 0.5/],
    ['linalg.matrixExp of a non-square matrix', () => tl.linalg.matrixExp(f([2, 3])), /linalg.matrixExp: A must be a batch of square matrices/],
    ['indexPut with more indices than dims', () => f([3]).indexPut([i32([1]), i32([1])], 1), /indexPut: 2 index tensors for an input of rank 1/],
    ['indexPut with a mask of the wrong shape', () => f([3, 2]).indexPut([operand('mask', () => tl.ones([2], { dtype: 'bool', device }))], 1), /indexPut: the mask \[2\] must match the input \[3,2\]/],
    ['indexSelect with a 2-D index', () => f([3]).indexSelect(0, i32([1, 1])), /indexSelect/],
    ['pad with an odd number of amounts', () => f([3]).pad([1]), /pad/],
    ['pad cropping below zero', () => f([3]).pad([-2, -2]), /pad/],
    ['conv2d channel mismatch', () => tl.conv2d(f([1, 3, 5, 5]), f([2, 4, 3, 3])), /conv2d.*4.*3/],
    ['conv2d of a 2-D input', () => tl.conv2d(f([5, 5]), f([1, 1, 3, 3])), /conv2d/],
    ['conv2d groups that do not divide', () => tl.conv2d(f([1, 3, 5, 5]), f([2, 1, 3, 3]), null, { groups: 2 }), /conv2d.*groups/],
    ['conv2d kernel larger than the input', () => tl.conv2d(f([1, 1, 2, 2]), f([1, 1, 3, 3])), /conv2d/],
    ['conv2d bias of the wrong size', () => tl.conv2d(f([1, 1, 4, 4]), f([2, 1, 3, 3]), f([3])), /conv2d.*bias/],
    ["conv2d 'same' with stride 2", () => tl.conv2d(f([1, 1, 4, 4]), f([1, 1, 3, 3]), null, { stride: 2, padding: 'same' }), /conv2d.*same/],
    ['conv1d of a 4-D input', () => tl.conv1d(f([1, 1, 1, 4]), f([1, 1, 3])), /conv1d/],
    ['conv1d with an array for its weight', () => tl.conv1d(f([1, 1, 4]), [[[1, 2, 3]]] as never), /conv1d: expected a tensor for operand 1, got an array/],
    ['convTranspose1d with an array for its bias', () => tl.convTranspose1d(f([1, 1, 4]), f([1, 1, 3]), [1] as never), /convTranspose1d: expected a tensor for operand 2, got an array/],
    ['maxPool2d without kernelSize', () => tl.maxPool2d(f([1, 1, 4, 4]), {} as tl.MaxPool2dOptions), /maxPool2d/],
    ['maxPool2d padding over half the kernel', () => tl.maxPool2d(f([1, 1, 4, 4]), { kernelSize: 2, padding: 2 }), /maxPool2d/],
    ['avgPool2d window larger than the input', () => tl.avgPool2d(f([1, 1, 2, 2]), { kernelSize: 3 }), /avgPool2d/],
    ['avgPool2d of int32', () => tl.avgPool2d(i32([1, 1, 4, 4]), { kernelSize: 2 }), /avgPool2d.*int32/],
    ['pad with a mode string for its value', () => (tl.pad as (x: tl.Tensor, p: number[], v: unknown) => tl.Tensor)(f([3]), [1, 1], 'reflect'), /pad: value must be a number, got the string 'reflect'/],
    ['conv2d with an unknown option', () => tl.conv2d(f([1, 1, 4, 4]), f([1, 1, 3, 3]), null, { paddingMode: 'reflect' } as tl.Conv2dOptions), /conv2d: unknown option 'paddingMode'/],
    ['convTranspose2d channel mismatch', () => tl.convTranspose2d(f([1, 3, 4, 4]), f([2, 4, 3, 3])), /convTranspose2d.*2 input channels.*3/],
    ['convTranspose2d outputPadding not below stride or dilation', () => tl.convTranspose2d(f([1, 1, 4, 4]), f([1, 1, 3, 3]), null, { stride: 2, outputPadding: 2 }), /convTranspose2d: outputPadding/],
    ["convTranspose2d with padding 'same'", () => tl.convTranspose2d(f([1, 1, 4, 4]), f([1, 1, 3, 3]), null, { padding: 'same' as unknown as number }), /convTranspose2d.*same/],
    ['asStrided past the last element', () => tl.asStrided(f([2, 3]), [2, 3], [3, 1], 1), /asStrided: size \[2,3\] with stride \[3,1\] and storage offset 1 reaches element 6, but the input has 6 elements/],
    ['asStrided with a negative stride', () => tl.asStrided(f([4]), [2], [-1]), /asStrided: stride must be an array of non-negative integers/],
    ['asStrided with size and stride of different lengths', () => tl.asStrided(f([4]), [2, 2], [1]), /asStrided: size \[2,2\] and stride \[1\] must have the same length/],
    ['convTranspose3d of a 4-D weight', () => tl.convTranspose3d(f([1, 2, 3, 3, 3]), f([2, 2, 3, 3])), /convTranspose3d: weight must be \[Cin, Cout\/groups, kD, kH, kW\], got \[2,2,3,3\]/],
    ['convTranspose3d channel mismatch', () => tl.convTranspose3d(f([1, 3, 2, 4, 4]), f([2, 4, 1, 3, 3])), /convTranspose3d.*2 input channels.*3/],
    ['convTranspose3d outputPadding not below stride or dilation in depth', () => tl.convTranspose3d(f([1, 1, 2, 2, 2]), f([1, 1, 2, 2, 2]), null, { outputPadding: [1, 0, 0] }), /convTranspose3d: outputPadding \[1,0,0\] must be smaller/],
    ['convTranspose3d with padding that crops the whole depth', () => tl.convTranspose3d(f([1, 1, 1, 2, 2]), f([1, 1, 1, 1, 1]), null, { padding: [1, 0, 0] }), /convTranspose3d: the output would be -1x2x2: padding \[1,0,0\] crops away the whole 1x2x2 result/],
    ['convTranspose3d outputPadding not below stride or dilation in width', () => tl.convTranspose3d(f([1, 1, 2, 2, 2]), f([1, 1, 2, 2, 2]), null, { stride: [2, 2, 1], outputPadding: [1, 1, 1] }), /convTranspose3d: outputPadding \[1,1,1\] must be smaller/],
    ['convTranspose2d bias of the wrong size', () => tl.convTranspose2d(f([1, 2, 4, 4]), f([2, 3, 3, 3]), f([2]), { groups: 1 }), /convTranspose2d: bias must be \[3\]/],
    ['convTranspose1d of a 4-D input', () => tl.convTranspose1d(f([1, 1, 1, 4]), f([1, 1, 3])), /convTranspose1d/],
    ['maxPool2d with a snake_case option', () => tl.maxPool2d(f([1, 1, 4, 4]), { kernelSize: 2, ceil_mode: true } as tl.MaxPool2dOptions), /maxPool2d: unknown option 'ceil_mode'.*ceilMode/],
    ['avgPool2d with dilation', () => tl.avgPool2d(f([1, 1, 4, 4]), { kernelSize: 2, dilation: 2 } as tl.AvgPool2dOptions), /avgPool2d: unknown option 'dilation'/],
    ['avgPool2d with divisorOverride 0', () => tl.avgPool2d(f([1, 1, 4, 4]), { kernelSize: 2, divisorOverride: 0 }), /avgPool2d: divisorOverride/],
    ['flip with a repeated dim', () => f([2, 3]).flip([0, -2]), /flip: dims \[0,-2\] name a dim twice/],
    ['roll with shifts and dims of different lengths', () => f([2, 3]).roll([1, 2], [0]), /roll: shifts \[1,2\] and dims \[0\] must have the same length/],
    ['roll with several shifts and no dims', () => f([4]).roll([1, 2]), /roll: without dims/],
    ['rot90 in a plane of one dim', () => f([2, 3]).rot90(1, [1, -1]), /rot90: dims \[1,-1\] name a dim twice/],
    ['repeat with fewer sizes than dims', () => f([2, 3]).repeat([2]), /repeat: 1 repeats.*rank 2 \[2,3\]/],
    ['repeatInterleave repeats of the wrong length', () => f([3]).repeatInterleave(operand('repeats', () => tl.tensor(new Int32Array([1, 2]), { device })), 0, { outputSize: 3 }), /repeatInterleave: repeats \[2\] must be 0-d or 1-D with 1 or 3 entries/],
    ['tril of a 1-D tensor', () => f([3]).tril(), /tril: expected a tensor of rank >= 2, got \[3\]/],
    ['triu with a fractional diagonal', () => f([2, 2]).triu(0.5), /triu: diagonal must be an integer/],
    ['diagonal with dim1 equal to dim2', () => f([2, 3]).diagonal(0, 1, -1), /diagonal: dim1 and dim2 must differ/],
    ['diag of a 3-D tensor', () => f([2, 2, 2]).diag(), /diag: expected a 1-D or 2-D tensor, got \[2,2,2\]/],
    ['unfold size larger than the dim', () => f([2, 3]).unfold(1, 4, 1), /unfold: size 4 is larger than dim 1 of \[2,3\] \(3\)/],
    ['unfold with step 0', () => f([4]).unfold(0, 2, 0), /unfold: step must be an integer >= 1/],
    ['movedim with source and destination of different lengths', () => f([2, 3, 4]).movedim([0, 1], [2]), /movedim: source \[0,1\] and destination \[2\] must name as many dims/],
    ['movedim with a repeated destination', () => f([2, 3, 4]).movedim([0, 1], [2, 2]), /movedim: dims \[2,2\] name a dim twice/],
    ['unflatten sizes that do not multiply to the dim', () => f([2, 6]).unflatten(1, [4, 2]), /unflatten: sizes \[4,2\] do not multiply to 6/],
    ['tensorSplit into 0 sections', () => f([4]).tensorSplit(0), /tensorSplit: the number of sections must be an integer >= 1/],
    ['broadcastTo a shape of lower rank', () => f([2, 3]).broadcastTo([3]), /broadcastTo: target \[3\] has fewer dims than the tensor \[2,3\]/],
    ['broadcastTensors of shapes that do not broadcast', () => tl.broadcastTensors(f([2, 3]), f([4])), /broadcastTensors/],
    ['meshgrid of a 2-D tensor', () => tl.meshgrid([f([2]), f([2, 2])]), /meshgrid: tensor 1 must be 0-d or 1-D, got \[2,2\]/],
    ['t of a 3-D tensor', () => f([2, 3, 4]).t(), /t: expects a tensor of rank <= 2, got \[2,3,4\]/],
    ['topk with k larger than the dim', () => f([2, 3]).topk(4), /topk: k 4 is out of range for dim -1 of \[2,3\] float32 \(size 3; k must be 0\.\.3\)/],
    ['topk with a negative k', () => tl.topk(f([5]), -1), /topk: k -1 is out of range/],
    ['topk with a fractional k', () => tl.topk(f([5]), 1.5), /topk: k must be an integer, got number 1.5/],
    ['topk along a dim out of range', () => f([2, 3]).topk(1, 2), /topk: dim 2 is out of range for a tensor of rank 2/],
    ['kthvalue with k 0', () => f([2, 3]).kthvalue(0), /kthvalue: k 0 is out of range for dim -1 of \[2,3\] float32 \(size 3; k must be 1\.\.3\)/],
    ['kthvalue with k larger than the dim', () => tl.kthvalue(i32([4, 2]), 5, 0), /kthvalue: k 5 is out of range for dim 0 of \[4,2\] int32/],
    ['median of an empty dim', () => f([2, 0]).median(1), /median: cannot take the median of an empty dim \(input \[2,0\]\)/],
    ['median of a bool tensor', () => tl.median(b([3])), /median: bool tensors have no median/],
    ['nanmedian with a non-boolean keepdim', () => tl.nanmedian(f([3]), 0, 1 as unknown as boolean), /nanmedian: keepdim must be a boolean, got number 1/],
    ['quantile of an int32 tensor', () => tl.quantile(i32([4]), 0.5), /quantile: input must be float32 or float16, got int32 \(as PyTorch\); cast with \.float\(\)/],
    ['quantile with q above 1', () => f([4]).quantile(1.5), /quantile: q must be in \[0, 1\], got 1\.5/],
    ['quantile with a tensor q holding a negative value', () => tl.quantile(f([4]), operand('q with a negative', () => tl.tensor([0.5, -0.1], { device }))), /quantile: q must be in \[0, 1\], got -0\.1/],
    ['quantile with a 2-D q', () => tl.quantile(f([4]), f([2, 2])), /quantile: q must be a number, a 0-d or a 1-D tensor, got \[2,2\]/],
    ['quantile with an int32 q', () => tl.quantile(f([4]), i32([1])), /quantile: q must have the input's dtype float32, got int32/],
    ['quantile of an empty tensor', () => tl.quantile(f([0, 3]), 0.5, 1), /quantile: the input must be non-empty, got \[0,3\]/],
    ['quantile with an unknown interpolation', () => tl.quantile(f([4]), 0.5, 0, false, { interpolation: 'cubic' as 'linear' }), /quantile: interpolation must be one of linear, lower, higher, midpoint, nearest, got the string "cubic"/],
    ['nanquantile with an unknown option', () => tl.nanquantile(f([4]), 0.5, 0, false, { method: 'linear' } as object), /nanquantile: unknown option 'method'; supported: interpolation/],
    ['nanquantile with a dim out of range', () => f([2, 3]).nanquantile(0.5, 2), /nanquantile: dim 2 is out of range/],
    ['trace of a vector', () => tl.trace(f([3])), /trace: expected a matrix, got a tensor of shape \[3\]/],
    ['trace of a bool matrix', () => b([2, 2]).trace(), /trace: bool tensors have no trace/],
    ['mode of an empty dim', () => f([3, 0]).mode(), /mode: cannot take the mode of an empty dim \(input \[3,0\]\)/],
    ['mode with a non-number dim', () => tl.mode(f([3]), [0] as unknown as number), /mode: dim must be a number/],
    ['median with dim out of range', () => f([2, 3]).median(2), /median: .*dim 2/],
    ['sort with keyword arguments in an object', () => tl.sort(f([3]), { descending: true } as unknown as number), /sort: dim must be a number, got an object/],
    ['sort with a non-boolean descending', () => f([3]).sort(0, 1 as unknown as boolean), /sort: descending must be a boolean, got number 1/],
    ['sort with an unknown option', () => f([3]).sort(0, false, { stabel: true } as tl.SortOptions), /sort: unknown option 'stabel'; supported: stable/],
    ['argsort along a dim out of range', () => f([2]).argsort(1), /argsort: dim 1 is out of range/],
    ['msort of a tensor of the wrong type', () => tl.msort([1, 2] as unknown as tl.Tensor), /msort: expected a tensor for the input, got an array of length 2/],
    ['searchsorted with a sorter of the wrong shape', () => tl.searchsorted(f([4]), f([2]), { sorter: i32([3]) }), /searchsorted: sorter must be int32 of the sorted sequence's shape \[4\], got int32 \[3\]/],
    ['searchsorted with an unknown side', () => tl.searchsorted(f([4]), f([2]), { side: 'middle' as 'left' }), /searchsorted: side must be 'left' or 'right', got the string "middle"/],
    ['searchsorted with out_int32', () => tl.searchsorted(f([4]), f([2]), { out_int32: true } as tl.SearchsortedOptions), /searchsorted: unknown option 'out_int32'; indices are always int32/],
    ['searchsorted values whose leading dims differ', () => tl.searchsorted(f([2, 4]), f([3, 1])), /searchsorted: values \[3,1\] must match the sorted sequence \[2,4\] in every dim but the last/],
    ['bucketize with 2-D boundaries', () => tl.bucketize(f([3]), f([2, 2])), /bucketize: boundaries must be 1-D, got \[2,2\]/],
    ['uniqueSync with a dim out of range', () => tl.uniqueSync(f([2, 3]), { dim: 2 }), /unique: dim 2 is out of range for a tensor of rank 2/],
    ['uniqueSync with a snake_case option', () => tl.uniqueSync(f([3]), { return_counts: true } as tl.UniqueOptions), /unique: unknown option 'return_counts'; returnCounts/],
    ['uniqueConsecutiveSync with sorted', () => tl.uniqueConsecutiveSync(f([3]), { sorted: true } as tl.UniqueConsecutiveOptions), /uniqueConsecutive: unknown option 'sorted'/],
    ['uniqueSync along a dim with another empty dim', () => tl.uniqueSync(f([0, 3]), { dim: 1 }), /unique: \[0,3\] has a dim of size 0 other than dim 1/],
    ['arange with step 0', () => tl.arange(0, 5, 0, { device }), /arange/],
    ['zeros with a negative dim', () => tl.zeros([2, -1], { device }), /zeros/],
    ['tensor with an unknown dtype', () => tl.tensor([1], { device, dtype: 'float64' as tl.DType }), /tensor.*float64/],
    ['randint with low >= high', () => tl.randint(3, 3, [2], { device }), /randint/],
    ['clamp without bounds', () => f([2]).clamp(), /clamp/],
    ['item of a many-element tensor', () => f([2]).itemSync(), /item/],
    ['backward of a non-scalar without a gradient', () => f([2]).requiresGrad_().mul(2).backward(), /backward/],
    ['backward with a gradient of the wrong shape', () => f([2]).requiresGrad_().mul(2).backward(f([3])), /backward.*\[3\]/],
    ['assign of another shape', () => f([2]).assign(f([3])), /assign/],
    // Integer and remaining pointwise ops.
    ['remainder of int32 by a zero number', () => tl.remainder(i32([3]), 0), /remainder: ZeroDivisionError/],
    ['fmod of int32 by a zero number', () => i32([3]).fmod(0), /fmod: ZeroDivisionError/],
    ['floorDivide of int32 by a zero number', () => tl.floorDivide(i32([3]), 0), /floorDivide: ZeroDivisionError/],
    ['div trunc of int32 by a zero number', () => tl.div(i32([3]), 0, { roundingMode: 'trunc' }), /ZeroDivisionError/],
    ['remainder of int32 by a zero tensor', () => tl.remainder(operand('fives', () => i32([3]).add(5)), i32([3])), /remainder: ZeroDivisionError.*\[3\]/],
    ['int32 pow with a negative number exponent', () => tl.pow(operand('twos', () => i32([2]).add(2)), -1), /pow: Integers to negative integer powers are not allowed/],
    ['int32 pow with a negative tensor exponent', () => operand('twos', () => i32([2]).add(2)).pow(operand('minus ones', () => i32([2]).sub(1))), /pow: Integers to negative integer powers are not allowed/],
    ['div with an unknown roundingMode', () => tl.div(f([2]), 2, { roundingMode: 'round' as 'floor' }), /div: expected roundingMode.*"round"/],
    ['div with an unknown option', () => tl.div(f([2]), 2, { rounding: 'floor' } as object), /div: unknown option 'rounding'/],
    ['remainder of two bools', () => tl.remainder(b([2]), b([2])), /remainder: not supported for two bool tensors/],
    ['bitwiseAnd of float32', () => tl.bitwiseAnd(f([2]), f([2])), /bitwiseAnd: not supported for two float32 tensors; cast with t\.int\(\)/],
    ['bitwiseLeftShift of bool', () => tl.bitwiseLeftShift(b([2]), b([2])), /bitwiseLeftShift: not supported for two bool tensors/],
    ['bitwiseNot of float32', () => f([2]).bitwiseNot(), /bitwiseNot: not supported for float32/],
    ['bitwiseXor shapes that do not broadcast', () => tl.bitwiseXor(i32([2]), i32([3])), /bitwiseXor/],
    ['addcdiv of int32 operands', () => tl.addcdiv(f([2]), i32([2]), i32([2])), /addcdiv: integer division is not supported.*int32.*int32/],
    ['addcmul with an unknown option', () => tl.addcmul(f([2]), f([2]), f([2]), { alpha: 2 } as object), /addcmul: unknown option 'alpha'/],
    ['addcmul value not a number', () => tl.addcmul(f([2]), f([2]), f([2]), { value: '2' as unknown as number }), /addcmul: value must be a number/],
    ['matmul of int32 and bool', () => tl.matmul(i32([2, 2]), b([2, 2])), /matmul.*int32.*bool/],
    ['tensor int32 value out of range', () => tl.tensor([2 ** 40], { dtype: 'int32', device }), /tensor: value 1099511627776 cannot be converted to dtype int32/],
    ['tensor int32 NaN', () => tl.tensor([1, NaN], { dtype: 'int32', device }), /tensor: value NaN cannot be converted to dtype int32/],
    ['tensor int32 2^31', () => tl.tensor([[2 ** 31]], { dtype: 'int32', device }), /tensor: value 2147483648 cannot be converted to dtype int32/],
    ['randint range beyond int32', () => tl.randint(0, 2 ** 32, [2], { device }), /randint: low=0 and high=4294967296 must lie in/],
    ['zeros too large to allocate names the op, shape, dtype and bytes', () => tl.zeros([1e6, 1e6], { device }), new RegExp(`zeros: cannot allocate \\[1000000,1000000\\] float32 \\(4000000000000 bytes\\) on '${device}'`)],
    ['matmul too large to allocate names matmul', () => tl.matmul(f([100000, 1]), f([1, 100000])), /matmul: cannot allocate \[100000,100000\] float32 \(40000000000 bytes\)/],
    ['a broadcast add too large to allocate names add', () => f([100000, 1]).add(f([1, 100000])), /add: cannot allocate \[100000,100000\] float32 \(40000000000 bytes\)/],
    ['a broadcast where too large to allocate names where', () => tl.where(b([100000, 1]), f([1, 100000]), 0), /where: cannot allocate \[100000,100000\] float32/],
    ['a contiguous copy too large to allocate', () => operand('expanded', () => f([1, 100000]).expand([100000, 100000])).contiguous(), /cannot allocate \[100000,100000\] float32/],
    ['tile too large to allocate', () => tl.tile(f([1, 100000]), [100000, 1]), /(tile|contiguous): cannot allocate .*float32 \(40000000000 bytes\)/],
    ['outer too large to allocate', () => tl.outer(f([100000]), f([100000])), /cannot allocate \[100000,100000\] float32/],
    ['sub with alpha too large to allocate', () => tl.sub(f([100000, 1]), f([1, 100000]), 2), /sub: cannot allocate \[100000,100000\] float32/],
    ['pad too large to allocate', () => tl.pad(f([1, 100000]), [0, 0, 0, 99999]), /cannot allocate \[100000,100000\] float32/],
    ['flip of a broadcast view too large to allocate names indexSelect', () => operand('expanded', () => f([1, 100000]).expand([100000, 100000])).flip([0]), /indexSelect: cannot allocate \[100000,100000\] float32/],
    ['int32 matmul too large to allocate', () => tl.matmul(i32([100000, 1]), i32([1, 100000])), /(matmul|mul): cannot allocate .*int32 \(40000000000 bytes\)/],
    ['permute with the dims spread asks for an array', () => (f([2, 3]).permute as unknown as (...dims: number[]) => tl.Tensor)(1, 0), /permute: dims must be an array, e\.g\. x\.permute\(\[1, 0\]\), got number 1/],
    ['cat with the tensors spread asks for an array', () => (tl.cat as unknown as (...t: tl.Tensor[]) => tl.Tensor)(f([2]), f([2])), /cat: expected an array of tensors, e\.g\. tl\.cat\(\[a, b\], dim\), got a tensor/],
    ['stack with the tensors spread asks for an array', () => (tl.stack as unknown as (...t: tl.Tensor[]) => tl.Tensor)(f([2]), f([2])), /stack: expected an array of tensors.*got a tensor/],
    ['cat of a list holding a number', () => tl.cat([f([2]), 3 as never]), /cat: expected a tensor for tensor 1, got number 3/],
    ['matmul with a plain array operand', () => f([2, 3]).matmul([[1], [2], [3]] as never), /matmul: expected a tensor for operand 1, got an array of length 3/],
    ['gather with a plain array index', () => f([2, 3]).gather(1, [[0]] as never), /gather: expected a tensor for operand 1, got an array of length 1/],
    ['conv2d with options in the bias slot', () => tl.conv2d(f([1, 1, 3, 3]), f([1, 1, 2, 2]), { stride: 1 } as never), /conv2d: expected a tensor for operand 2, got an object \(Object\)/],
    ['grad of an input that is not a tensor', () => tl.grad(operand('sum', () => f([2]).sum()), [5 as never]), /grad: expected a tensor for input 0, got number 5/],
    ['to an unknown device', () => f([2]).to('tpu'), /no backend named 'tpu' \(registered: .*; Tensile's backends are cpu, wasm, webgpu, cuda\)/],
  ];
  /** Checks of int32 tensor operands: made where the values can be read synchronously. */
  // GPU backends cannot raise these without a read: the linalg solvers return NaN for a singular
  // matrix there, and quantile for a q outside [0, 1] (checked below).
  const syncOnly = new Set([
    'remainder of int32 by a zero tensor', 'int32 pow with a negative tensor exponent',
    'linalg.inv of a singular matrix', 'linalg.solve with a batch holding a singular matrix',
    'linalg.cholesky of a matrix that is not positive-definite', 'quantile with a tensor q holding a negative value',
  ]);

  const graphHeld = new Set(['backward of a non-scalar without a gradient', 'backward with a gradient of the wrong shape', 'linalg.qr backward of a wide matrix']);
  /**
   * Errors in index values. A backend that reads synchronously raises them in the call; a GPU
   * backend finds them in its kernel and raises them at the next read (as PyTorch's CUDA
   * device-side asserts), naming the kernel and the op that reach it.
   */
  const indexValueErrors = new Set([
    'gather index out of bounds', 'gather with a negative index', 'indexSelect index out of bounds', 'scatterAdd index out of bounds', 'scatter index out of bounds',
    'take index out of bounds', 'takeAlongDim index out of bounds', 'index with an int tensor out of bounds', 'indexAdd index out of bounds',
    'indexCopy index out of bounds', 'indexFill index out of bounds', 'indexPut index out of bounds', 'scatterReduce index out of bounds',
    'maskedScatter with a source too short',
  ]);
  const readsSync = tl.getBackend(device).readSync !== undefined;

  describe('errors on bad input', () => {
    for (const [name, call, message] of cases) {
      if (syncOnly.has(name) && !readsSync) continue;
      if (indexValueErrors.has(name) && !readsSync) {
        suite.test('error', name, async () => {
          // Counts are compared only between points with no await in between: across one, the
          // GC may release handles that earlier tests forgot.
          const before = tl.memory();
          const out = tl.tidy(call) as tl.Tensor;
          const made = tl.memory();
          expect([made.numTensors, made.numBuffers]).toEqual([before.numTensors + 1, before.numBuffers + 1]);
          await expect(out.data()).rejects.toThrow(message);
          // Raised once: the next read works (the bad entries read as zeros).
          await expect(out.data()).resolves.toBeDefined();
          const live = tl.memory();
          out.dispose();
          const after = tl.memory();
          expect([after.numTensors, after.numBuffers]).toEqual([live.numTensors - 1, live.numBuffers - 1]);
        });
        continue;
      }
      suite.test('error', name, () => {
        const before = tl.memory();
        // tidy frees the operands made inside `call`, so whatever is left was leaked by the op.
        expect(() => tl.tidy(call)).toThrow(message);
        const after = tl.memory();
        expect(after.numTensors).toBe(before.numTensors);
        // A graph whose backward failed keeps its saved tensors until it is collected.
        if (!graphHeld.has(name)) expect([after.numBuffers, after.numBytes]).toEqual([before.numBuffers, before.numBytes]);
      });
    }
    if (!readsSync) {
      suite.test('error', 'linalg.inv, solve and cholesky give NaN where they cannot read and cannot factor (and the rest of the batch is right)', async () => {
        const batch = tl.tensor([[[2, 0], [0, 4]], [[1, 2], [2, 4]]], { device });
        const inverse = tl.linalg.inv(batch);
        const values = Array.from(await inverse.data());
        expect(values.slice(0, 4)).toEqual([0.5, 0, 0, 0.25]);
        expect(values.slice(4).every(Number.isNaN)).toBe(true);
        // cholesky likewise: the entry whose square root is of a negative number is NaN.
        const factor = tl.linalg.cholesky(tl.tensor([[1, 2], [2, 1]], { device }));
        expect(Number.isNaN((await factor.data())[3])).toBe(true);
        for (const t of [batch, inverse, factor]) t.dispose();
      });
      suite.test('error', 'quantile gives NaN for a tensor q outside [0, 1] where it cannot read, and the right quantile for the rest', async () => {
        const x = tl.tensor([[1, 2, 3, 4], [5, 6, 7, 8]], { device });
        const q = tl.tensor([0.5, 1.5, -0.25, 1], { device });
        const out = tl.quantile(x, q, 1);
        const values = Array.from(await out.data());
        expect(values.filter((_, i) => i < 2 || i > 5)).toEqual([2.5, 6.5, 4, 8]);
        expect(values.slice(2, 6).every(Number.isNaN)).toBe(true);
        for (const t of [x, q, out]) t.dispose();
      });
    }
    suite.test('error', 'failed calls repeated 100 times leave tl.memory() unchanged, without tidy or a GC', () => {
      // Operands are made once, outside the measured calls; no tidy hides what an op leaks.
      const x = f([2, 3]);
      const ints = i32([2]);
      const floats = f([3]);
      const image = f([1, 3, 3]);
      const weight = f([1, 1, 2, 2]);
      const leaf = tl.ones([2], { device, requiresGrad: true });
      const consumed = leaf.mul(leaf).sum();
      consumed.backward();
      const badGrad = tl.customOp({ name: 'badGrad', forward: (a: tl.Tensor) => a.mul(2), backward: () => [tl.ones([5], { device })] });
      const badLoss = badGrad(leaf).sum();
      const batch = f([1, 1, 3, 3]);
      const bigKernel = f([1, 1, 4, 4]);
      const unused = tl.ones([2], { device, requiresGrad: true });
      const kept = leaf.mul(leaf).sum();
      const vector = leaf.mul(2);
      const twoChannels = f([1, 2, 2, 2]);
      const failing: [string, () => unknown][] = [
        ['an index with more indices than dims', () => x.index(0, 0, 0)],
        ['tl.grad with an input the outputs do not use', () => tl.grad(kept, [leaf, unused], { retainGraph: true })],
        ['backward of two outputs, the second not one element', () => tl.autograd.backward([kept, vector], undefined, { retainGraph: true })],
        ['an unbatched conv2d whose weight expects other channels', () => tl.conv2d(image, twoChannels)],
        ['an unbatched conv2d with a bias of the wrong size', () => tl.conv2d(image, weight, floats)],
        ['int32 + float32 that does not broadcast', () => ints.add(floats)],
        ['an index out of range', () => x.index(5)],
        ['an index out of range in the second dim', () => x.index(0, 5)],
        ['an int32 tensor that requires grad', () => tl.ones([2], { dtype: 'int32', requiresGrad: true, device })],
        ['a second backward', () => consumed.backward()],
        ['a custom op whose backward returns the wrong shape', () => badLoss.backward(undefined, { retainGraph: true })],
        ['conv2d with a kernel larger than the image', () => tl.conv2d(image, bigKernel)],
        ['conv2d with options in the bias slot', () => tl.conv2d(batch, weight, { stride: 1 } as never)],
        ['permute with the wrong number of dims', () => x.permute([0])],
        ['cat of mismatched shapes', () => tl.cat([x, floats])],
      ];
      for (const [what, call] of failing) {
        expect(call, what).toThrow();
        const before = tl.memory();
        for (let i = 0; i < 100; i++) expect(call, what).toThrow();
        const after = tl.memory();
        expect([what, after.numTensors, after.numBuffers, after.numBytes]).toEqual([what, before.numTensors, before.numBuffers, before.numBytes]);
      }
      leaf.grad = null;
      for (const t of [x, ints, floats, image, weight, leaf, consumed, badLoss, batch, bigKernel, unused, kept, vector, twoChannels]) t.dispose();
    });
    suite.test('error', 'every error case repeated 100 times leaves tl.memory() unchanged, without tidy or a GC', () => {
      operands = new Map();
      const leaks: string[] = [];
      try {
        for (const [name, call] of cases) {
          if (graphHeld.has(name) || ((indexValueErrors.has(name) || syncOnly.has(name)) && !readsSync)) continue;
          // The first call makes the case's operands; the next 100 must add nothing.
          expect(call, name).toThrow();
          const before = tl.memory();
          for (let i = 0; i < 100; i++) expect(call, name).toThrow();
          const after = tl.memory();
          if (after.numTensors !== before.numTensors || after.numBuffers !== before.numBuffers || after.numBytes !== before.numBytes) {
            leaks.push(`${name}: ${after.numTensors - before.numTensors} tensors, ${after.numBuffers - before.numBuffers} buffers`);
          }
        }
      } finally {
        operands.forEach((t) => t.dispose());
        operands = null;
      }
      expect(leaks).toEqual([]);
    });
    suite.test('error', 'a disposed tensor names itself and how to keep it', () => {
      const x = f([2, 3]);
      x.dispose();
      expect(() => x.add(1)).toThrow(/disposed/);
      expect(() => x.sum()).toThrow(/disposed/);
      expect(() => tl.matmul(x, f([3, 2]))).toThrow(/disposed/);
      x.dispose(); // twice is fine
      expect(x.isDisposed).toBe(true);
    });
    suite.test('error', 'mixing devices names both devices', () => {
      // A second backend: another registered one, or a mirror of this one under another name
      // (the same kernels, but tensors made through it count as living on another device).
      const real = tl.listBackends().find((name) => name !== device);
      const mirror = `${device}-mirror`;
      const base = tl.getBackend(device);
      if (!real) tl.registerBackend(Object.create(base, { name: { value: mirror } }) as tl.Backend, { priority: -1 });
      const other = real ?? mirror;
      try {
        tl.tidy(() => {
          const a = f([2]);
          const c = tl.zeros([2], { device: other });
          expect(c.device).toBe(other);
          expect(() => a.add(c)).toThrow(new RegExp(`add.*('${device}'.*'${other}'|'${other}'.*'${device}')`));
          expect(() => tl.matmul(a, c)).toThrow(/matmul.*different devices/);
          expect(() => tl.cat([a, c])).toThrow(/cat.*different devices/);
          expect(() => tl.where(a.gt(0), a, c)).toThrow(/where/);
          expect(() => a.assign(c)).toThrow(/assign/);
        });
      } finally {
        if (!real) tl.unregisterBackend(mirror);
      }
    });
  });
}
