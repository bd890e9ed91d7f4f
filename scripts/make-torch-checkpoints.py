#!/usr/bin/env python3
"""PyTorch checkpoints of the tiny test models, for the .bin reader's tests.

Writes, next to the safetensors folders in test-models/ (which must exist):

  bert-bin/             bert/'s weights as pytorch_model.bin (float32)
  mpnet-exact-bin/      mpnet-exact/'s weights as pytorch_model.bin (float16)
  roberta-bin-sharded/  roberta/'s weights in two .bin shards + pytorch_model.bin.index.json
  torch/views.bin       views of one shared storage and every float dtype

with `torch.save(state_dict)`, the zip format PyTorch has written since 1.6 (what
sentence-transformers 2.x saved). The other files of each folder are copied unchanged.
Needs torch and transformers; no network.

    python3 scripts/make-torch-checkpoints.py [--models test-models]
"""
import argparse
import json
import os
import shutil

import torch
from transformers import AutoModel


def copy_folder(models, name, new):
    target = os.path.join(models, new)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(os.path.join(models, name), target, ignore=shutil.ignore_patterns("*.safetensors", "*.safetensors.index.json"))
    return target


def weights(models, name):
    return AutoModel.from_pretrained(os.path.join(models, name), dtype=torch.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="test-models")
    models = parser.parse_args().models

    torch.save(weights(models, "bert").state_dict(), os.path.join(copy_folder(models, "bert", "bert-bin"), "pytorch_model.bin"))
    half = weights(models, "mpnet-exact").half()
    torch.save(half.state_dict(), os.path.join(copy_folder(models, "mpnet-exact", "mpnet-exact-bin"), "pytorch_model.bin"))

    folder = copy_folder(models, "roberta", "roberta-bin-sharded")
    state = weights(models, "roberta").state_dict()
    names = list(state)
    shards = {
        "pytorch_model-00001-of-00002.bin": names[: len(names) // 2],
        "pytorch_model-00002-of-00002.bin": names[len(names) // 2 :],
    }
    weight_map, total = {}, 0
    for shard, members in shards.items():
        torch.save({n: state[n] for n in members}, os.path.join(folder, shard))
        for n in members:
            weight_map[n] = shard
            total += state[n].numel() * 4
    with open(os.path.join(folder, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)

    os.makedirs(os.path.join(models, "torch"), exist_ok=True)
    t = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    views = {"whole": t, "slice": t[1:3, 2:5], "transposed": t.t(), "bf16": t.to(torch.bfloat16), "f64": t.double()[0], "i64": torch.arange(5)}
    torch.save(views, os.path.join(models, "torch", "views.bin"))
    print(f"PyTorch {torch.__version__}: checkpoints written under {models}/")


if __name__ == "__main__":
    main()
