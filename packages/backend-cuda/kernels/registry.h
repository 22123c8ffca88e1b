// The kernel table: every .cu file lists its kernels so the addon can launch them by their
// codes. Plain C++ (no CUDA headers), included by native/addon.cc and by the .cu files.
#pragma once
#include <stddef.h>

struct KernelEntry {
  const char* name;        // the kernel symbol, `<op>_<dtype>`
  const char* family;      // what the host launches it as (src/kernels/launch.ts KernelRef)
  int op;                  // op code within the family: the op table's code (unary, binary, reduce,
                           // argReduce), the target dtype's code (cast), 0 elsewhere
  int dtype;               // dtype code of its input (TL_DTYPE_*)
  const void* fn;          // host stub, for cudaLaunchKernel
  size_t paramBytes;       // sizeof its argument struct
  const char* paramType;   // name of that struct (kernels/generated/ops.h)
};

struct KernelTable {
  const KernelEntry* entries;
  size_t count;
};

KernelTable tl_elementwise_kernels();
KernelTable tl_reduce_kernels();
KernelTable tl_matmul_kernels();
KernelTable tl_conv_kernels();
KernelTable tl_pool_kernels();
KernelTable tl_indexing_kernels();
KernelTable tl_random_kernels();
KernelTable tl_sort_kernels();
