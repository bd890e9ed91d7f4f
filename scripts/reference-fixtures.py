#!/usr/bin/env python3
"""Ground truth for PairLens's Hugging Face models, from the reference implementations.

Loads the tiny Hub-layout folders that `npx tsx scripts/make-tiny-models.ts` writes
(test-models/<name>/: BERT, RoBERTa, MPNet) and those that
`python3 scripts/make-transformers-models.py` builds with transformers itself (ModernBERT,
Gemma 3 bidirectional, T5 encoder ×2, DistilBERT; NomicBERT, not in transformers, with
nomic-ai's own code: scripts/nomic_bert_reference.py) with sentence-transformers and
transformers (PyTorch, CPU, eager attention: the plain softmax(QKᵀ)V; NomicBERT's code
takes its own eager path where torch has no scaled_dot_product_attention, torch 2's
SDPA otherwise), and records two kinds of fixture.

Model fixtures, test-models/fixtures/<name>.json (float32; float16 weights upcast):

  * the token ids the reference tokenizer produces (after its truncation),
  * the hidden states at the input of every layer (transformers' output_hidden_states,
    index 0 the embedding output) and last_hidden_state, what pooling sees: after the
    final norm where the architecture has one (ModernBERT's final_norm, which its
    output_hidden_states leaves out; T5's final_layer_norm and Gemma's norm, which it
    includes), PairLens's last layer stage applying it too (NomicBertModel has no
    output_hidden_states: there each layer's input is taken by a forward pre-hook),
  * the sentence embedding (pooling, any Dense modules, Normalize),
  * float32Error: how far these float32 values are from the same model run in float64
    (max |difference| per hidden state and for the embedding): the reference's own
    rounding, which a float32 comparison cannot get below,
  * the same for the attribution reference of each text: the frame tokens kept
    ([CLS]/[SEP], <s>/</s>), every other token replaced by the padding token, run
    with an all-ones attention mask as the papers' code does. For RoBERTa and MPNet
    this checks the position ids of padding tokens (they sit at padding_idx).

Attribution fixtures, test-models/fixtures/<name>.attribution.json (float64): for a
few sentence pairs and every layer L, the per-text factor P (docs/method.md) computed
the papers' way, independently of PairLens's engine: the sentence-transformers
pipeline run on the interpolated hidden states r + α(x − r) (fed to layer L by a
forward pre-hook), one autograd backward pass per output dimension, right Riemann
sum α = k/N, k = 1..N. Also f(x) and f(r) of each text.

The papers' exact checkpoints (modules.json names xsbert's ShiftingReferenceTransformer)
cannot be loaded without the xsbert package; for them the script applies the shift by
its definition: token states of the text minus those of the reference ids
[0] + [1]·(S−2) + [2], then the Pooling module.

Needs: python3 with torch, transformers (≥ 4.56: ModernBERT, Gemma 3's
use_bidirectional_attention) and sentence-transformers; no network (HF_HUB_OFFLINE is
set, so nothing is fetched). Where the Rust `tokenizers` package is absent the folders'
Python tokenizer (vocab.txt) is used. PAIRLENS_REFERENCE_NOTE, if set, is stored with the
versions (how the reference was run, e.g. a patched checkout: test-models/README.md).
nomic-bert needs PAIRLENS_NOMIC_BERT_CODE (scripts/nomic_bert_reference.py) and einops (or
the stand-in in scripts/torch113-compat); the code's origin is stored with the versions.

    python3 scripts/reference-fixtures.py [--models test-models] [--out test-models/fixtures] [names...]
"""
import argparse
import copy
import inspect
import json
import os
import sys
import traceback

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
import transformers  # noqa: E402
import sentence_transformers  # noqa: E402
from sentence_transformers import SentenceTransformer, models  # noqa: E402
from transformers.utils import is_tokenizers_available  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nomic_bert_reference  # noqa: E402

# Built by transformers from a config (scripts/make-transformers-models.py).
TRANSFORMERS_BUILT = ["modernbert", "gemma3", "t5", "t5-gated", "distilbert", "nomic-bert"]
NAMES = ["bert", "bert-fp16", "bert-sharded", "bert-maxmean", "roberta", "mpnet", "mpnet-exact"] + TRANSFORMERS_BUILT
ATTRIBUTION_NAMES = ["bert", "bert-maxmean", "roberta", "mpnet", "mpnet-exact"] + TRANSFORMERS_BUILT
# Eager attention everywhere: SDPA does not exist before torch 2 and is not the reference math.
MODEL_KWARGS = {"attn_implementation": "eager"}
# Without the Rust tokenizers package: the Python tokenizer the folder's vocab.txt feeds.
TOKENIZER_KWARGS = {} if is_tokenizers_available() else {"use_fast": False}

# src/model/hf/reference-fixtures.test.ts reads the texts from the fixtures, so
# changing them here only needs the fixtures regenerated.
TEXTS = [
    "The cat sat on the mat.",
    "A man is playing the guitar outside today, unbelievable!",
    "zebra café ☕",
    "",
    " ".join(["the quick brown fox is playing in the park"] * 8),  # longer than every limit
]
PAIRS = [
    ("The cat sat on the mat.", "A dog is playing in the park today."),
    ("zebra café is not bad", "Unbelievable, the quick brown fox!"),
]
ATTRIBUTION_STEPS = 16


def as_lists(tensor):
    return tensor.detach().cpu().numpy().tolist()


def is_exact_folder(folder):
    path = os.path.join(folder, "modules.json")
    if not os.path.exists(path):
        return False
    with open(path, encoding="utf-8") as f:
        return any(str(m.get("type", "")).endswith("ShiftingReferenceTransformer") for m in json.load(f))


def load(folder):
    """
    The folder as sentence-transformers runs it, computing in float32 (transformers 5
    would keep float16 weights in float16; PairLens upcasts them, so the fixture
    does too). Exact folders are rebuilt from plain modules. A nomic_bert folder first has
    NomicBERT's reference classes registered (its config.json names them in auto_map, as
    the published one does; the registered classes are used, nothing is fetched), and is
    checked to have loaded every weight (NomicBertModel.from_pretrained loads with
    strict=False).
    """
    if model_type_of(folder) == "nomic_bert":
        return load_nomic_bert(folder)
    if not is_exact_folder(folder):
        return SentenceTransformer(folder, device="cpu", model_kwargs=MODEL_KWARGS, tokenizer_kwargs=TOKENIZER_KWARGS).to(torch.float32)
    with open(os.path.join(folder, "sentence_bert_config.json"), encoding="utf-8") as f:
        max_seq_length = json.load(f)["max_seq_length"]
    transformer = models.Transformer(folder, max_seq_length=max_seq_length, model_args=MODEL_KWARGS, tokenizer_args=TOKENIZER_KWARGS)
    with open(os.path.join(folder, "1_Pooling", "config.json"), encoding="utf-8") as f:
        pooling_config = json.load(f)
    pooling = models.Pooling(**pooling_config)
    return SentenceTransformer(modules=[transformer, pooling], device="cpu").to(torch.float32)


def model_type_of(folder):
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        return json.load(f).get("model_type")


def load_nomic_bert(folder):
    nomic_bert_reference.load()
    model = SentenceTransformer(folder, device="cpu", model_kwargs=MODEL_KWARGS, tokenizer_kwargs=TOKENIZER_KWARGS).to(torch.float32)
    from safetensors.torch import load_file

    state = model[0].auto_model.state_dict()
    saved = load_file(os.path.join(folder, "model.safetensors"))
    assert sorted(saved) == sorted(state), f"weights {sorted(set(saved) ^ set(state))} differ between file and model"
    for key, value in saved.items():
        assert torch.equal(state[key], value.to(torch.float32)), f"{key} did not load"
    return model


def shift_ids(length):
    """The reference ids the papers' ShiftingReferenceTransformer subtracts."""
    return [0] + [1] * (length - 2) + [2]


def transformer_inputs(model, features):
    """The features the transformer's forward takes (DistilBERT, T5, ModernBERT and Gemma take no token types)."""
    params = inspect.signature(model[0].auto_model.forward).parameters
    keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in params]
    return {k: v for k, v in features.items() if k in keys}


def layers_of(model):
    """The transformer's list of layers, whatever the architecture calls it."""
    auto = model[0].auto_model
    for path in ("encoder.layer", "layers", "encoder.block", "transformer.layer", "encoder.layers"):
        try:
            return auto.get_submodule(path)
        except AttributeError:
            continue
    raise ValueError(f"no layer list found in {type(auto).__name__}")


def layer_states(model, features):
    """
    Inputs of every layer, then last_hidden_state (after the final norm, if any). Where the
    forward has no output_hidden_states (NomicBertModel), each layer's input is its first
    positional argument, taken by a forward pre-hook.
    """
    auto = model[0].auto_model
    inputs = transformer_inputs(model, features)
    if "output_hidden_states" in inspect.signature(auto.forward).parameters:
        out = auto(**inputs, output_hidden_states=True)
        return list(out.hidden_states[:-1]) + [out.last_hidden_state]
    captured = []
    hooks = [layer.register_forward_pre_hook(lambda module, args: captured.append(args[0])) for layer in layers_of(model)]
    try:
        out = auto(**inputs)
    finally:
        for hook in hooks:
            hook.remove()
    assert len(captured) == len(hooks), "a layer was not called with its hidden states as first positional argument"
    return captured + [out.last_hidden_state]


def with_ids(features, ids_rows):
    """Features for these id rows (same length), all attended."""
    ids = torch.tensor(ids_rows, dtype=features["input_ids"].dtype)
    out = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    if "token_type_ids" in features:
        out["token_type_ids"] = torch.zeros_like(ids)
    return out


def shift_states(model, features):
    """Token states of the reference ids an exact folder subtracts (a constant of the length)."""
    s = features["input_ids"].shape[1]
    return model[0].forward(with_ids(features, [shift_ids(s)]))["token_embeddings"]


def sentence_embedding(model, features, exact, reference=None):
    """
    The full pipeline's embedding; for exact folders the token states are shifted
    first, by `reference` when given (computed beforehand, outside any hook).
    """
    if not exact:
        return model.forward(dict(features))["sentence_embedding"]
    s = features["input_ids"].shape[1]
    rows = features["input_ids"].shape[0]
    token_states = model[0].forward(dict(features))["token_embeddings"]
    if reference is None:
        reference = shift_states(model, features)
    shifted = {"token_embeddings": token_states - reference, "attention_mask": torch.ones((rows, s), dtype=torch.long)}
    return model[1].forward(shifted)["sentence_embedding"]


def run(model, features, exact):
    """Hidden states of the Transformer module and the sentence embedding."""
    with torch.no_grad():
        states = layer_states(model, features)
        embedding = sentence_embedding(model, features, exact)
    return [as_lists(h[0]) for h in states], as_lists(embedding[0])


def frame_ids(tokenizer):
    return set(tokenizer("", add_special_tokens=True)["input_ids"])


def reference_ids(model, ids, exact):
    if exact:
        return shift_ids(len(ids))
    pad = model[0].auto_model.config.pad_token_id
    if pad is None:  # NomicBERT's config leaves pad_token_id out: the tokenizer's [PAD]
        pad = model.tokenizer.pad_token_id
    frame = frame_ids(model.tokenizer)
    return [i if i in frame else pad for i in ids]


def max_abs_diff(a, b):
    return float(torch.max(torch.abs(torch.tensor(a, dtype=torch.float64) - torch.tensor(b, dtype=torch.float64))))


def rounding(model64, features, exact, hidden, embedding):
    """Max |float32 − float64| per hidden state and for the embedding."""
    hidden64, embedding64 = run(model64, features, exact)
    return [max_abs_diff(h, h64) for h, h64 in zip(hidden, hidden64)], max_abs_diff(embedding, embedding64)


def fixture_for(folder):
    model = load(folder)
    model.eval()
    model64 = copy.deepcopy(model).to(torch.float64)
    exact = is_exact_folder(folder)
    tokenizer = model.tokenizer
    items = []
    for text in TEXTS:
        features = model.tokenize([text])
        ids = features["input_ids"][0].tolist()
        hidden, embedding = run(model, features, exact)
        ref_ids = reference_ids(model, ids, exact)
        ref_features = with_ids(features, [ref_ids])
        ref_hidden, ref_embedding = run(model, ref_features, exact)
        hidden_error, embedding_error = rounding(model64, features, exact, hidden, embedding)
        ref_hidden_error, ref_embedding_error = rounding(model64, ref_features, exact, ref_hidden, ref_embedding)
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
                "float32Error": {
                    "hiddenStates": hidden_error,
                    "embedding": embedding_error,
                    "referenceHiddenStates": ref_hidden_error,
                    "referenceEmbedding": ref_embedding_error,
                },
            }
        )
    return {
        "model": os.path.basename(os.path.normpath(folder)),
        "exact": exact,
        "maxSeqLength": model.max_seq_length,
        "versions": versions(),
        "items": items,
    }


def layer_input(model, features, layer):
    return layer_states(model, features)[layer]


def integrated_p(model, features, ref_ids, layer, steps, exact):
    """P[d, i] = (1/N) Σ_k Σ_h ∂e_d/∂x[i, h] (r + α_k Δ) · Δ[i, h], α_k = k/N, by autograd."""
    ids = features["input_ids"][0].tolist()
    s = len(ids)
    with torch.no_grad():
        x = layer_input(model, with_ids(features, [ids]), layer)
        r = layer_input(model, with_ids(features, [ref_ids]), layer)
        e_x = sentence_embedding(model, with_ids(features, [ids]), exact)[0]
        e_r = sentence_embedding(model, with_ids(features, [ref_ids]), exact)[0]
    delta = x - r
    alphas = torch.arange(1, steps + 1, dtype=x.dtype) / steps
    points = (r + alphas.view(-1, 1, 1) * delta).detach().requires_grad_(True)

    # Layer L's forward sees the points as its hidden states (its first argument, whatever
    # its name: hidden_states, x, …); the instance attribute shadows the class's forward.
    # (A forward pre-hook with kwargs would do, but needs torch ≥ 2.0.)
    module = layers_of(model)[layer]
    forward = module.forward
    first = next(iter(inspect.signature(forward).parameters))

    def feed_points(*args, **kwargs):
        if args:
            args = (points,) + tuple(args[1:])
        else:
            kwargs[first] = points
        return forward(*args, **kwargs)

    with torch.no_grad():
        shift = shift_states(model, features) if exact else None
    module.forward = feed_points
    try:
        embeddings = sentence_embedding(model, with_ids(features, [ids] * steps), exact, shift)
    finally:
        del module.forward
    d_out = embeddings.shape[1]
    rows = []
    for d in range(d_out):
        (grad,) = torch.autograd.grad(embeddings[:, d].sum(), points, retain_graph=d < d_out - 1)
        rows.append((grad * delta).sum(dim=-1).sum(dim=0) / steps)
    p = torch.stack(rows)  # [D, S]
    assert p.shape == (d_out, s)
    return p, e_x, e_r


def attribution_fixture_for(folder):
    model = load(folder)
    model.eval()
    model.to(torch.float64)
    exact = is_exact_folder(folder)
    cases = []
    for a, b in PAIRS:
        for layer in range(len(layers_of(model))):
            sides = []
            for text in (a, b):
                features = model.tokenize([text])
                ids = features["input_ids"][0].tolist()
                ref = reference_ids(model, ids, exact)
                p, e_x, e_r = integrated_p(model, features, ref, layer, ATTRIBUTION_STEPS, exact)
                sides.append(
                    {
                        "text": text,
                        "ids": ids,
                        "referenceIds": ref,
                        "P": as_lists(p),
                        "embedding": as_lists(e_x),
                        "referenceEmbedding": as_lists(e_r),
                    }
                )
            cases.append({"layer": layer, "a": sides[0], "b": sides[1]})
    return {
        "model": os.path.basename(os.path.normpath(folder)),
        "exact": exact,
        "steps": ATTRIBUTION_STEPS,
        "rule": "right",
        "dtype": "float64",
        "versions": versions(),
        "cases": cases,
    }


def versions():
    out = {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "sentence_transformers": sentence_transformers.__version__,
    }
    if nomic_bert_reference._loaded is not None:
        out["nomic_bert_code"] = nomic_bert_reference._loaded[1]
    note = os.environ.get("PAIRLENS_REFERENCE_NOTE")
    if note:
        out["note"] = note
    return out


def write(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="test-models")
    parser.add_argument("--out", default=os.path.join("test-models", "fixtures"))
    parser.add_argument("names", nargs="*", default=NAMES)
    args = parser.parse_args()
    torch.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    failures = 0
    for name in args.names:
        folder = os.path.join(args.models, name)
        if not os.path.isdir(folder):
            maker = "python3 scripts/make-transformers-models.py" if name in TRANSFORMERS_BUILT else "npx tsx scripts/make-tiny-models.ts"
            sys.exit(f"{folder} is missing: run `{maker}` first")
        jobs = [(f"{name}.json", fixture_for)]
        if name in ATTRIBUTION_NAMES:
            jobs.append((f"{name}.attribution.json", attribution_fixture_for))
        for file_name, make in jobs:
            try:
                path = os.path.join(args.out, file_name)
                write(path, make(folder))
                print(f"{path}: written", flush=True)
            except Exception:  # keep going: one broken model should not hide the others' results
                failures += 1
                print(f"{file_name}: FAILED", flush=True)
                traceback.print_exc()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
