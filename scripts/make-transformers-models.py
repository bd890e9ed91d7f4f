#!/usr/bin/env python3
"""Tiny random models of the architectures PairLens reads beyond BERT/RoBERTa/MPNet,
built with transformers itself from a config, saved as sentence-transformers saves them.

Writes, under test-models/ (see test-models/README.md):

  modernbert/   ModernBertModel, 3 layers (0 and 2 global, 1 local with a window of ±2),
                mean pooling, Normalize (as nomic-ai/modernbert-embed-base)
  gemma3/       Gemma3TextModel with use_bidirectional_attention (EmbeddingGemma): 3 layers
                (sliding, sliding, full; config.json's sliding_window 6, which transformers
                turns into |i − j| < 6 // 2 + 1 = 4), grouped-query attention (4 heads, 2 kv
                heads), mean pooling, Dense 32→48→32 without bias, Normalize
  t5/           T5EncoderModel, ReLU feed-forward (T5 v1.0): mean pooling, Dense 32→24
                without bias, Normalize (as sentence-t5)
  t5-gated/     T5EncoderModel, gated-GELU feed-forward (T5 v1.1): as gtr-t5, mean pooling,
                Dense 32→24 without bias, Normalize
  distilbert/   DistilBertModel, 2 layers: CLS pooling (as msmarco-distilbert-base-tas-b)
  nomic-bert/   NomicBertModel, nomic-ai's own code (not in transformers; read at run time,
                see scripts/nomic_bert_reference.py and PAIRLENS_NOMIC_BERT_CODE): 2 layers,
                rotary (base 1000) on every feature, SwiGLU, no biases, post-norm; mean
                pooling, Normalize, the nomic task prompts (as nomic-embed-text-v1.5).
                config.json is written as the published one (every key of
                nomic-embed-text-v1.5's, sizes scaled down), not as the save writes it.

Every folder reuses the tiny WordPiece tokenizer of test-models/bert (tokenizer.json
copied; tokenizer_config.json copied with model_input_names = input_ids, attention_mask,
as these models take no token types; vocab.txt written from tokenizer.json so that
transformers' Python BertTokenizer reads it where the Rust `tokenizers` package is
absent): the architectures are under test here, not their tokenizers. Pad id 0, frame
[CLS]=2 … [SEP]=3.

Weights: transformers' own initialisation (std 0.02, norms at 1 or 0) leaves attention
nearly uniform and every residual branch tiny, which would hide most mistakes; so after
building, each parameter is redrawn (seeded): matrices N(0, 1/fan_in), biases
N(0, 0.1), norm weights N(1, 0.3) (embedding tables, NomicBERT's too, as matrices) (N(0, 0.3) for Gemma's 1 + w norms; q_norm/k_norm
N(0.5, 0.3)), T5's relative attention bias N(0, 1).

Needs torch, transformers (with ModernBERT and Gemma 3's use_bidirectional_attention,
≥ 4.56) and sentence-transformers; no network. The folders are committed: re-running
this rewrites them (identical bytes for the same torch), and then the fixtures must be
re-recorded (scripts/reference-fixtures.py).

NomicBERT also needs PAIRLENS_NOMIC_BERT_CODE (scripts/nomic_bert_reference.py) and
einops (or scripts/torch113-compat's stand-in); the other folders do not.

    python3 scripts/make-transformers-models.py [--models test-models] [names...]
"""
import argparse
import json
import math
import os
import shutil
import sys
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from sentence_transformers import SentenceTransformer, models  # noqa: E402
from transformers import (  # noqa: E402
    DistilBertConfig,
    DistilBertModel,
    Gemma3TextConfig,
    Gemma3TextModel,
    ModernBertConfig,
    ModernBertModel,
    T5Config,
    T5EncoderModel,
)
from transformers.utils import is_tokenizers_available  # noqa: E402

MAX_SEQ_LENGTH = 48
# config.json's sliding_window for gemma3, as a published EmbeddingGemma writes it (512).
# Gemma3TextConfig turns it into the exclusive bound sliding_window // 2 + 1 when
# use_bidirectional_attention is set, and saves that bound back as sliding_window, so
# a save/load round trip shrinks it (6 → 4 → 3 → 2, a fixed point that could not tell a
# reader applying the rule from one ignoring it). The saved file is given 6 back.
GEMMA3_SLIDING_WINDOW = 6
CONFIG_AS_PUBLISHED = {"gemma3": {"sliding_window": GEMMA3_SLIDING_WINDOW}}
FRAME = {"pad_token_id": 0, "bos_token_id": 2, "eos_token_id": 3}

# nomic-embed-text-v1.5's config.json, every key as published, sizes scaled down
# (n_embd 768 → 32, n_head 12 → 4, n_inner 3072 → 128 = 4·32, which the gated MLP rounds
# up to its multiple of 256 as it does 3072, n_layer 12 → 2, vocab_size 30528 → 101, the
# tokenizer's, which pad_vocab_size_multiple 64 rounds up to 128 rows; n_positions 8192 →
# 128, max_trained_positions 2048 → 64). Written as config.json in place of what
# save_pretrained writes (a GPT2Config's keys and the padded vocab_size); the same keys
# as src/model/hf/nomic-bert.test-support.ts's nomicConfig().
NOMIC_BERT_CONFIG = {
    "_name_or_path": "nomic-ai/nomic-bert-2048",
    "activation_function": "swiglu",
    "architectures": ["NomicBertModel"],
    "attn_pdrop": 0.0,
    "auto_map": {
        "AutoConfig": "nomic-ai/nomic-bert-2048--configuration_hf_nomic_bert.NomicBertConfig",
        "AutoModel": "nomic-ai/nomic-bert-2048--modeling_hf_nomic_bert.NomicBertModel",
    },
    "bos_token_id": None,
    "causal": False,
    "dense_seq_output": True,
    "embd_pdrop": 0.0,
    "eos_token_id": None,
    "fused_bias_fc": True,
    "fused_dropout_add_ln": True,
    "initializer_range": 0.02,
    "layer_norm_epsilon": 1e-12,
    "max_trained_positions": 64,
    "mlp_fc1_bias": False,
    "mlp_fc2_bias": False,
    "model_type": "nomic_bert",
    "n_embd": 32,
    "n_head": 4,
    "n_inner": 128,
    "n_layer": 2,
    "n_positions": 128,
    "pad_vocab_size_multiple": 64,
    "parallel_block": False,
    "parallel_block_tied_norm": False,
    "prenorm": False,
    "qkv_proj_bias": False,
    "reorder_and_upcast_attn": False,
    "resid_pdrop": 0.0,
    "rotary_emb_base": 1000,
    "rotary_emb_fraction": 1.0,
    "rotary_emb_interleaved": False,
    "rotary_emb_scale_base": None,
    "rotary_scaling_factor": None,
    "scale_attn_by_inverse_layer_idx": False,
    "scale_attn_weights": True,
    "summary_activation": None,
    "summary_first_dropout": 0.0,
    "summary_proj_to_labels": True,
    "summary_type": "cls_index",
    "summary_use_proj": True,
    "torch_dtype": "float32",
    "transformers_version": "4.34.0",
    "type_vocab_size": 2,
    "use_cache": True,
    "use_flash_attn": True,
    "use_rms_norm": False,
    "use_xentropy": True,
    "vocab_size": 101,
}
# nomic's task prefixes (its model card), as sentence-transformers prompts.
NOMIC_BERT_PROMPTS = {
    "search_query": "search_query: ",
    "search_document": "search_document: ",
    "classification": "classification: ",
    "clustering": "clustering: ",
}


def modernbert():
    config = ModernBertConfig(
        vocab_size=101,
        hidden_size=32,
        intermediate_size=48,
        num_hidden_layers=3,
        num_attention_heads=4,
        hidden_activation="gelu",
        max_position_embeddings=64,
        norm_eps=1e-5,
        norm_bias=False,
        global_rope_theta=160000.0,
        local_rope_theta=10000.0,
        local_attention=4,
        global_attn_every_n_layers=2,
        attention_bias=False,
        mlp_bias=False,
        cls_token_id=2,
        sep_token_id=3,
        reference_compile=False,
        **FRAME,
    )
    return config, ModernBertModel, {"pooling": "mean", "dense": [], "normalize": True}


def gemma3():
    config = Gemma3TextConfig(
        vocab_size=101,
        hidden_size=32,
        intermediate_size=48,
        num_hidden_layers=3,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        hidden_activation="gelu_pytorch_tanh",
        max_position_embeddings=64,
        rms_norm_eps=1e-6,
        rope_theta=1000000.0,
        rope_local_base_freq=10000.0,
        query_pre_attn_scalar=24,
        sliding_window=GEMMA3_SLIDING_WINDOW,
        layer_types=["sliding_attention", "sliding_attention", "full_attention"],
        use_bidirectional_attention=True,
        attention_bias=False,
        **FRAME,
    )
    return config, Gemma3TextModel, {"pooling": "mean", "dense": [(32, 48), (48, 32)], "normalize": True}


def t5(feed_forward_proj):
    def build():
        config = T5Config(
            vocab_size=101,
            d_model=32,
            d_kv=12,
            d_ff=48,
            num_layers=3,
            num_heads=3,
            relative_attention_num_buckets=8,
            relative_attention_max_distance=16,
            feed_forward_proj=feed_forward_proj,
            layer_norm_epsilon=1e-6,
            is_encoder_decoder=False,
            use_cache=False,
            decoder_start_token_id=0,
            **FRAME,
        )
        return config, T5EncoderModel, {"pooling": "mean", "dense": [(32, 24)], "normalize": True}

    return build


def distilbert():
    config = DistilBertConfig(
        vocab_size=101,
        dim=32,
        hidden_dim=64,
        n_layers=2,
        n_heads=4,
        activation="gelu",
        max_position_embeddings=64,
        sinusoidal_pos_embds=False,
        pad_token_id=0,
    )
    return config, DistilBertModel, {"pooling": "cls", "dense": [], "normalize": False}


def nomic_bert():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import nomic_bert_reference

    modeling, _ = nomic_bert_reference.load()
    config = modeling.NomicBertConfig(**NOMIC_BERT_CONFIG)

    def model(config):
        # As AutoModel builds it for sentence-transformers (NomicBertModel.from_pretrained): no pooler.
        return modeling.NomicBertModel(config, add_pooling_layer=False)

    return config, model, {"pooling": "mean", "dense": [], "normalize": True, "prompts": NOMIC_BERT_PROMPTS}


BUILDERS = {
    "modernbert": modernbert,
    "gemma3": gemma3,
    "t5": t5("relu"),
    "t5-gated": t5("gated-gelu"),
    "distilbert": distilbert,
    "nomic-bert": nomic_bert,
}
SEEDS = {"modernbert": 11, "gemma3": 12, "t5": 13, "t5-gated": 14, "distilbert": 15, "nomic-bert": 16}
# config.json as published, in place of what the save writes.
CONFIG_REPLACED = {"nomic-bert": NOMIC_BERT_CONFIG}


def redraw(model, one_plus_norms):
    """Seeded weights with some life in them (module docstring); the caller seeds torch."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            leaf = name.rsplit(".", 1)[-1]
            if "relative_attention_bias" in name:
                p.normal_(0.0, 1.0)
            elif p.dim() >= 2:
                p.normal_(0.0, 1.0 / math.sqrt(p.shape[-1]))
            elif leaf == "bias":
                p.normal_(0.0, 0.1)
            elif one_plus_norms and ("q_norm" in name or "k_norm" in name):
                p.normal_(0.5, 0.3)
            elif one_plus_norms:
                p.normal_(0.0, 0.3)
            else:
                p.normal_(1.0, 0.3)


def write_vocab(tokenizer_json, path):
    with open(tokenizer_json, encoding="utf-8") as f:
        vocab = json.load(f)["model"]["vocab"]
    ordered = sorted(vocab.items(), key=lambda kv: kv[1])
    assert [i for _, i in ordered] == list(range(len(ordered))), "vocabulary ids are not 0..n-1"
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(token + "\n" for token, _ in ordered))


def copy_tokenizer(source, target):
    """tokenizer.json as it is; tokenizer_config.json naming the inputs these models take (no token types)."""
    shutil.copyfile(os.path.join(source, "tokenizer.json"), os.path.join(target, "tokenizer.json"))
    with open(os.path.join(source, "tokenizer_config.json"), encoding="utf-8") as f:
        config = json.load(f)
    config["model_input_names"] = ["input_ids", "attention_mask"]
    with open(os.path.join(target, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    write_vocab(os.path.join(source, "tokenizer.json"), os.path.join(target, "vocab.txt"))


def build(name, models_dir):
    torch.manual_seed(SEEDS[name])
    config, cls, head = BUILDERS[name]()
    config._attn_implementation = "eager"
    model = cls(config).eval()
    redraw(model, one_plus_norms=isinstance(config, Gemma3TextConfig))
    tokenizer_source = os.path.join(models_dir, "bert")
    target = os.path.join(models_dir, name)
    with tempfile.TemporaryDirectory() as raw:
        model.save_pretrained(raw, safe_serialization=True)
        copy_tokenizer(tokenizer_source, raw)
        transformer = models.Transformer(
            raw,
            max_seq_length=MAX_SEQ_LENGTH,
            model_args={"attn_implementation": "eager"},
            # Without the Rust tokenizers package, the Python BertTokenizer (vocab.txt).
            tokenizer_args={} if is_tokenizers_available() else {"use_fast": False},
        )
        modules = [transformer, models.Pooling(config.hidden_size if hasattr(config, "hidden_size") else config.dim, head["pooling"])]
        for inp, out in head["dense"]:
            modules.append(models.Dense(inp, out, bias=False, activation_function=torch.nn.Identity()))
        if head["normalize"]:
            modules.append(models.Normalize())
        st = SentenceTransformer(modules=modules, device="cpu", prompts=head.get("prompts"))
        loaded = transformer.auto_model.state_dict()
        for key, value in model.state_dict().items():  # NomicBertModel.from_pretrained loads with strict=False
            assert torch.equal(loaded[key], value), f"{key} did not load back"
        shutil.rmtree(target, ignore_errors=True)
        st.save(target, create_model_card=False)
    if name in CONFIG_REPLACED:
        with open(os.path.join(target, "config.json"), "w", encoding="utf-8") as f:
            json.dump(CONFIG_REPLACED[name], f, indent=2, sort_keys=True)
            f.write("\n")
    if name in CONFIG_AS_PUBLISHED:
        path = os.path.join(target, "config.json")
        with open(path, encoding="utf-8") as f:
            saved = json.load(f)
        saved.update(CONFIG_AS_PUBLISHED[name])
        with open(path, "w", encoding="utf-8") as f:
            json.dump(saved, f, indent=2, sort_keys=True)
            f.write("\n")
    # sentence-transformers saves what the Python tokenizer writes; PairLens reads tokenizer.json.
    copy_tokenizer(tokenizer_source, target)
    for extra in ("special_tokens_map.json", "README.md"):
        path = os.path.join(target, extra)
        if os.path.exists(path):
            os.remove(path)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(target) for f in fs)
    print(f"{target}: written ({size} bytes)", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="test-models")
    parser.add_argument("names", nargs="*", default=list(BUILDERS))
    args = parser.parse_args()
    for name in args.names:
        build(name, args.models)


if __name__ == "__main__":
    main()
