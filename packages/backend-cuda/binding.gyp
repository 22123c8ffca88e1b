# The CUDA addon. scripts/install.mjs runs node-gyp with TENSILE_NVCC, TENSILE_CUDA_HOME and
# TENSILE_CUDA_LIB set; the .cu rule sends kernels to nvcc, and the static CUDA runtime is
# linked in, so loading the addon needs only the driver's libcuda.so.1 (opened on first use).
{
  'variables': {
    'nvcc%': '<!(node -p "process.env.TENSILE_NVCC || \'nvcc\'")',
    'cuda_home%': '<!(node -p "process.env.TENSILE_CUDA_HOME || \'/usr/local/cuda\'")',
    'cuda_lib%': '<!(node -p "process.env.TENSILE_CUDA_LIB || \'/usr/local/cuda/lib64\'")',
  },
  'targets': [
    {
      'target_name': 'tensile_cuda',
      'sources': [
        'native/addon.cc',
        'kernels/elementwise.cu',
        'kernels/reduce.cu',
        'kernels/matmul.cu',
        'kernels/conv.cu',
        'kernels/pool.cu',
        'kernels/indexing.cu',
        'kernels/random.cu',
        'kernels/sort.cu',
      ],
      'include_dirs': [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        '<(cuda_home)/include',
        'kernels',
      ],
      'defines': ['NAPI_VERSION=8', 'NODE_ADDON_API_DISABLE_DEPRECATED', 'NAPI_CPP_EXCEPTIONS'],
      'cflags!': ['-fno-exceptions'],
      'cflags_cc!': ['-fno-exceptions', '-std=gnu++17'],
      'cflags_cc': ['-std=c++17', '-fexceptions', '-O2'],
      'libraries': ['-L<(cuda_lib)', '-lcudart_static', '-ldl', '-lrt', '-lpthread'],
      'rules': [
        {
          'rule_name': 'nvcc',
          'extension': 'cu',
          'inputs': ['<(RULE_INPUT_PATH)', '<(module_root_dir)/kernels/common.cuh', '<(module_root_dir)/kernels/gemm.cuh', '<(module_root_dir)/kernels/generated/ops.h', '<(module_root_dir)/kernels/registry.h'],
          'outputs': ['<(INTERMEDIATE_DIR)/<(RULE_INPUT_ROOT).o'],
          'action': [
            '<(nvcc)', '-std=c++17', '-O3', '-Xcompiler', '-fPIC',
            '-gencode', 'arch=compute_80,code=sm_80',
            '-gencode', 'arch=compute_90,code=[sm_90,compute_90]',
            '-I<(module_root_dir)/kernels',
            '-c', '<(RULE_INPUT_PATH)', '-o', '<@(_outputs)',
          ],
          'message': 'nvcc <(RULE_INPUT_PATH)',
          'process_outputs_as_sources': 1,
        },
      ],
    },
  ],
}
