"""The model-file layer: reading ONNX, safetensors, PyTorch and pickle files under a budget, and
the reproduction run (``verify``). It depends only on :mod:`..spec`."""
