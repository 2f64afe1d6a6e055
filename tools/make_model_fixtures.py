"""Write the small PyTorch files the tests inspect (tests/data/models/), with real PyTorch.

Run once with PyTorch installed (``pip install torch==2.13.0 numpy``); the files are committed so the
tests never need PyTorch. Each file's expected facts are in tests/data/models/expected.json, written
from PyTorch's own counts, not from the inspector under test.
"""

import json
import sys
from pathlib import Path

import torch
from torch import nn

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "models"


class TinyCNN(nn.Module):
    """A 2-D CNN of the kind used as an X-ray classification backbone, scaled down."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1, bias=False)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.conv2(x)).mean(dim=(2, 3))
        return self.head(x)


def main() -> None:
    torch.manual_seed(0)
    OUT.mkdir(parents=True, exist_ok=True)
    model = TinyCNN().eval()
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for n, b in model.named_buffers())
    expected = {}

    sd = model.state_dict()
    torch.save(sd, OUT / "tiny_cnn_state_dict.pt")
    expected["tiny_cnn_state_dict.pt"] = {"container": "pytorch-zip", "total_parameters": params,
                                          "tensors": len(sd), "findings": []}

    torch.save(sd, OUT / "tiny_cnn_legacy.pth", _use_new_zipfile_serialization=False)
    expected["tiny_cnn_legacy.pth"] = {"container": "pytorch-legacy", "total_parameters": params,
                                       "tensors": len(sd), "findings": []}

    half = {k: (v.half() if v.is_floating_point() else v) for k, v in sd.items()}
    torch.save(half, OUT / "tiny_cnn_fp16.pt")
    expected["tiny_cnn_fp16.pt"] = {"container": "pytorch-zip", "total_parameters": params,
                                    "precision": "fp16", "tensors": len(sd), "findings": []}

    # A whole pickled module: loading it imports the model's class, which is not allow-listed.
    sys.modules["__main__"].TinyCNN = TinyCNN
    torch.save(model, OUT / "tiny_cnn_full_module.pt")
    expected["tiny_cnn_full_module.pt"] = {"container": "pytorch-zip", "findings_include": ["__main__.TinyCNN"]}

    # A Lightning-style checkpoint: a dict with the state dict and training state.
    ckpt = {"epoch": 3, "global_step": 120, "state_dict": sd,
            "optimizer_states": [{"state": {}, "param_groups": [{"lr": 0.001}]}]}
    torch.save(ckpt, OUT / "tiny_cnn_checkpoint.ckpt")
    expected["tiny_cnn_checkpoint.ckpt"] = {"container": "pytorch-zip", "total_parameters": params,
                                            "tensors": len(sd), "findings": []}

    expected["_model"] = {"parameters": params, "buffer_elements": buffers,
                          "torch_version": torch.__version__}
    (OUT / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")
    print(f"wrote {len(expected) - 1} files to {OUT}: {params} parameters, {buffers} buffer elements")


if __name__ == "__main__":
    main()
