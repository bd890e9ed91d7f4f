#!/usr/bin/env python3
"""Ground truth for PairLens's Hugging Face models, from the reference implementations.

Loads the tiny Hub-layout folders that `npx tsx scripts/make-tiny-models.ts` writes
(test-models/<name>/) with sentence-transformers and transformers (PyTorch, CPU,
float32), and records for a few fixed texts:

  * the token ids the reference tokenizer produces (after its truncation),
  * the hidden states at the input of every layer and after the last one
    (transformers' output_hidden_states: index 0 is the embedding output),
  * the sentence embedding (pooling, any Dense modules, Normalize),
  * the same for the attribution reference of each text: the frame tokens kept
    ([CLS]/[SEP], <s>/</s>), every other token replaced by the padding token, run
    with an all-ones attention mask as the papers' code does. For RoBERTa and MPNet
    this checks the position ids of padding tokens (they sit at padding_idx).

Output: test-models/fixtures/<name>.json, read by src/model/hf/reference-fixtures.test.ts
(which is skipped while the files are absent).

Needs: python3 with torch, transformers and sentence-transformers; no network
(HF_HUB_OFFLINE is set, so nothing is fetched).

    python3 scripts/reference-fixtures.py [--models test-models] [--out test-models/fixtures]
"""
import argparse
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
import transformers  # noqa: E402
import sentence_transformers  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

NAMES = ["bert", "bert-fp16", "bert-sharded", "roberta", "mpnet"]

# Keep in step with src/model/hf/reference-fixtures.test.ts (it reads the texts from the
# fixture, so changing them here only needs the fixtures regenerated).
TEXTS = [
    "The cat sat on the mat.",
    "A man is playing the guitar outside today, unbelievable!",
    "zebra café ☕",
    "",
    " ".join(["the quick brown fox is playing in the park"] * 8),  # longer than every limit
]


def rounded(tensor):
    """Nested lists of Python floats (float32 values printed exactly enough to round-trip)."""
    return tensor.detach().to(torch.float32).cpu().numpy().tolist()


def run(model, features):
    """Hidden states of the Transformer module and the sentence embedding of the full stack."""
    transformer = model[0].auto_model
    with torch.no_grad():
        inputs = {k: v for k, v in features.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
        out = transformer(**inputs, output_hidden_states=True)
        pipeline = model.forward(dict(features))
    return [rounded(h[0]) for h in out.hidden_states], rounded(pipeline["sentence_embedding"][0])


def fixture_for(folder):
    model = SentenceTransformer(folder, device="cpu")
    model.eval()
    tokenizer = model.tokenizer
    pad = model[0].auto_model.config.pad_token_id
    frame = set(tokenizer("", add_special_tokens=True)["input_ids"])
    items = []
    for text in TEXTS:
        features = model.tokenize([text])
        ids = features["input_ids"][0].tolist()
        hidden, embedding = run(model, features)

        ref_ids = [i if i in frame else pad for i in ids]
        ref_features = {k: v.clone() for k, v in features.items()}
        ref_features["input_ids"] = torch.tensor([ref_ids], dtype=features["input_ids"].dtype)
        ref_features["attention_mask"] = torch.ones_like(features["attention_mask"])
        ref_hidden, ref_embedding = run(model, ref_features)

        items.append(
            {
                "text": text,
                "ids": ids,
                "tokens": tokenizer.convert_ids_to_tokens(ids),
                "hiddenStates": hidden,
                "embedding": embedding,
                "referenceIds": ref_ids,
                "referenceHiddenStates": ref_hidden,
                "referenceEmbedding": ref_embedding,
            }
        )
    return {
        "model": os.path.basename(os.path.normpath(folder)),
        "maxSeqLength": model.max_seq_length,
        "versions": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "sentence_transformers": sentence_transformers.__version__,
        },
        "items": items,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="test-models")
    parser.add_argument("--out", default=os.path.join("test-models", "fixtures"))
    parser.add_argument("names", nargs="*", default=NAMES)
    args = parser.parse_args()
    torch.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    for name in args.names:
        folder = os.path.join(args.models, name)
        if not os.path.isdir(folder):
            sys.exit(f"{folder} is missing: run `npx tsx scripts/make-tiny-models.ts` first")
        fixture = fixture_for(folder)
        path = os.path.join(args.out, f"{name}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(fixture, f, ensure_ascii=False)
        print(f"{path}: {len(fixture['items'])} texts")


if __name__ == "__main__":
    main()
