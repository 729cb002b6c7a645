{
  # LIBTORCH=/path/to/libtorch points the build at an official libtorch distribution
  # (CPU or CUDA); by default Debian's libtorch-dev and libxgboost-dev are used.
  "variables": {
    "libtorch%": "<!(node -p \"process.env.LIBTORCH || ''\")"
  },
  "targets": [
    {
      "target_name": "lepton_engine",
      "sources": ["native/engine.cc", "native/torch_mlp.cc", "native/torch_net.cc", "native/torch_bert.cc", "native/torch_ops.cc", "native/torch_augment.cc", "native/torch_kmeans.cc", "native/xgb.cc", "native/omp_thread.cc", "native/common.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter"],
      "libraries": ["-ltorch", "-ltorch_cpu", "-lc10", "-lxgboost", "-lgomp"],
      "conditions": [
        ["libtorch==''", {
          "include_dirs": ["/usr/include/torch/csrc/api/include"]
        }, {
          "include_dirs": ["<(libtorch)/include", "<(libtorch)/include/torch/csrc/api/include"],
          "libraries": ["-L<(libtorch)/lib", "-Wl,-rpath,<(libtorch)/lib"]
        }]
      ]
    }
  ]
}
