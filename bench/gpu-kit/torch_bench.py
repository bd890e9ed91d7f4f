#!/usr/bin/env python3
"""PairLens GPU kit, the PyTorch side (bench/gpu-kit.md).

Two commands:

  make-minilm --out DIR [--seed 11]
      Writes the random BERT of all-MiniLM-L6-v2's size (hidden 384, 6 layers, 12 heads,
      FFN 1536, the tiny WordPiece vocabulary) as a Hugging Face sentence-transformers
      folder. It is the model `npx tsx scripts/make-tiny-models.ts --shape minilm-l6 DIR`
      writes: the same seeded generator (mulberry32 and Box-Muller, reproduced here with
      numpy), the same tensors in the same order, the same files. `--compare DIR` checks
      a folder written by the TypeScript script against it.

  bench --pairs PAIRS.json --out TORCH.json [--matrices PAIRLENS.json] [--device cuda]
      Times, for every model, pair and layer in PAIRS.json (written by the kit's Node
      side, with the exact token ids and reference ids PairLens used), the papers'
      algorithm (one backward pass per output dimension over the batch of alpha points)
      and the forward-mode route (Jacobian-vector products, one per token direction,
      the algorithm PairLens runs) at the same N on the midpoint rule; measures the
      device's float32 matmul peak; checks that the two routes agree, and, given
      PairLens's matrices, that PyTorch's matrix agrees with PairLens's.

Plain PyTorch and numpy: no transformers, safetensors or tokenizers needed (transformers
is used, when present, only to cross-check the BERT forward pass). Runs on CPU too
(`--device cpu`, or `--device auto`), for testing the kit without a GPU.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import struct
import sys
import time
from datetime import datetime, timezone

import numpy as np

SCHEMA = 'pairlens-gpu-kit-torch/1'

# ---------------------------------------------------------------------------------------
# The MiniLM-sized random model (scripts/make-tiny-models.ts, `--shape minilm-l6`)

MINILM_SHAPE = {'hidden': 384, 'layers': 6, 'heads': 12, 'intermediate': 1536, 'maxSeqLength': 256}
MINILM_POSITIONS = 512
MINILM_SEED = 11
TINY_HIDDEN = 32  # the tiny models' width; wider models scale the weights' spread by sqrt(32 / fan-in)

WORDS = [
    'the', 'a', 'an', 'is', 'are', 'was', 'be', 'to', 'of', 'and', 'in', 'on', 'at', 'for', 'with', 'that', 'this',
    'it', 'he', 'she', 'they', 'we', 'you', 'i', 'not', 'no', 'cat', 'dog', 'sat', 'sit', 'mat', 'man', 'woman',
    'child', 'play', 'run', 'quick', 'brown', 'fox', 'jump', 'over', 'lazy', 'house', 'home', 'car', 'road', 'city',
    'music', 'song', 'book', 'read', 'good', 'bad', 'happy', 'sad', 'big', 'small', 'old', 'new', 'day', 'night',
    'people', 'food', 'water', 'coffee', 'tea', 'drink', 'eat', 'like', 'love', 'very', 'much', 'street', 'park',
    'weather', 'today', 'outside', 'guitar', 'un', 'believ', 'able',
]
SUFFIXES = ['##believ', '##s', '##ing', '##ed', '##er', '##ly', '##able', '##y', '##e']
PUNCTUATION = ['.', ',', '!', '?', "'", '-']
SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']


class Mulberry32:
    """The repository's seeded generator (src/shared/random.ts), vectorised: draw j is a hash of seed + (j+1)·0x6D2B79F5."""

    def __init__(self, seed: int):
        self.seed = seed & 0xFFFFFFFF
        self.drawn = 0

    def take(self, count: int) -> np.ndarray:
        j = np.arange(self.drawn + 1, self.drawn + count + 1, dtype=np.uint64)
        self.drawn += count
        t = ((np.uint64(self.seed) + j * np.uint64(0x6D2B79F5)) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        # uint32 arithmetic wraps modulo 2^32, as Math.imul and ToInt32 do in JavaScript.
        t = (t ^ (t >> np.uint32(15))) * (t | np.uint32(1))
        t = t ^ (t + (t ^ (t >> np.uint32(7))) * (t | np.uint32(61)))
        return (t ^ (t >> np.uint32(14))).astype(np.float64) / 4294967296.0


def normals(gen: Mulberry32, n: int, std: float, mean: float = 0.0) -> np.ndarray:
    """Box-Muller as the TypeScript script writes it: u = max(draw, 1e-12), then the angle's draw, per value."""
    draws = gen.take(2 * n).reshape(n, 2)
    u = np.maximum(draws[:, 0], 1e-12)
    return (mean + std * np.sqrt(-2.0 * np.log(u)) * np.cos(2.0 * math.pi * draws[:, 1])).astype(np.float32)


def minilm_vocab() -> dict:
    vocab: dict = {}
    for token in SPECIALS + PUNCTUATION + WORDS + SUFFIXES:
        vocab.setdefault(token, len(vocab))
    return vocab


def minilm_tensors(vocab_size: int, seed: int = MINILM_SEED) -> list:
    """(name, shape, float32 data) in the order the TypeScript script draws them."""
    s = MINILM_SHAPE
    hidden, inter = s['hidden'], s['intermediate']
    gen = Mulberry32(seed)
    out = []

    def add(name, shape, std, mean=0.0):
        out.append((name, list(shape), normals(gen, int(np.prod(shape)), std, mean)))

    def lin(name, n_out, n_in):
        add(f'{name}.weight', [n_out, n_in], 0.25 * math.sqrt(TINY_HIDDEN / n_in))
        add(f'{name}.bias', [n_out], 0.1)

    def norm(name):
        add(f'{name}.weight', [hidden], 0.1, 1.0)
        add(f'{name}.bias', [hidden], 0.1)

    add('embeddings.word_embeddings.weight', [vocab_size, hidden], 1.0)
    add('embeddings.position_embeddings.weight', [MINILM_POSITIONS, hidden], 0.5)
    add('embeddings.token_type_embeddings.weight', [2, hidden], 0.5)
    norm('embeddings.LayerNorm')
    for layer in range(s['layers']):
        p = f'encoder.layer.{layer}.'
        for x in ('query', 'key', 'value'):
            lin(f'{p}attention.self.{x}', hidden, hidden)
        lin(f'{p}attention.output.dense', hidden, hidden)
        norm(f'{p}attention.output.LayerNorm')
        lin(f'{p}intermediate.dense', inter, hidden)
        lin(f'{p}output.dense', hidden, inter)
        norm(f'{p}output.LayerNorm')
    lin('pooler.dense', hidden, hidden)
    return out


def encode_safetensors(tensors: list) -> bytes:
    """The safetensors layout, written as the repository's encoder writes it (compact JSON header, space padding)."""
    header: dict = {'__metadata__': {'format': 'pt'}}
    offset = 0
    blobs = []
    for name, shape, data in tensors:
        blob = np.ascontiguousarray(data, dtype='<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': shape, 'data_offsets': [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
    text += b' ' * ((8 - (8 + len(text)) % 8) % 8)
    return struct.pack('<Q', len(text)) + text + b''.join(blobs)


def read_safetensors(path: str) -> dict:
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    base = 8 + n
    out = {}
    for name, spec in header.items():
        if name == '__metadata__':
            continue
        b, e = spec['data_offsets']
        dtype = spec['dtype']
        buf = raw[base + b: base + e]
        if dtype == 'F32':
            arr = np.frombuffer(buf, dtype='<f4')
        elif dtype == 'F16':
            arr = np.frombuffer(buf, dtype='<f2').astype(np.float32)
        elif dtype == 'BF16':
            arr = (np.frombuffer(buf, dtype='<u2').astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(f'{path}: tensor {name} has dtype {dtype}, not F32/F16/BF16')
        out[name] = arr.reshape(spec['shape'])
    return out


def minilm_files(seed: int = MINILM_SEED) -> dict:
    """Every file of the folder: JSON objects (written with 2-space indent) and bytes."""
    s = MINILM_SHAPE
    vocab = minilm_vocab()
    added = sorted(
        ({'id': vocab[c], 'content': c, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True}
         for c in SPECIALS),
        key=lambda t: t['id'],
    )

    def special(name):
        return {'SpecialToken': {'id': name, 'type_id': 0}}

    tokenizer = {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': added,
        'normalizer': {'type': 'BertNormalizer', 'clean_text': True, 'handle_chinese_chars': True, 'strip_accents': None, 'lowercase': True},
        'pre_tokenizer': {'type': 'BertPreTokenizer'},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [special('[CLS]'), {'Sequence': {'id': 'A', 'type_id': 0}}, special('[SEP]')],
            'pair': [
                special('[CLS]'),
                {'Sequence': {'id': 'A', 'type_id': 0}},
                special('[SEP]'),
                {'Sequence': {'id': 'B', 'type_id': 1}},
                special('[SEP]'),
            ],
            'special_tokens': {t: {'id': t, 'ids': [vocab[t]], 'tokens': [t]} for t in ('[CLS]', '[SEP]')},
        },
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': '##', 'max_input_chars_per_word': 100, 'vocab': vocab},
    }
    config = {
        'architectures': ['BertModel'],
        'model_type': 'bert',
        'vocab_size': len(vocab),
        'hidden_size': s['hidden'],
        'num_hidden_layers': s['layers'],
        'num_attention_heads': s['heads'],
        'intermediate_size': s['intermediate'],
        'hidden_act': 'gelu',
        'hidden_dropout_prob': 0.1,
        'attention_probs_dropout_prob': 0.1,
        'max_position_embeddings': MINILM_POSITIONS,
        'type_vocab_size': 2,
        'initializer_range': 0.02,
        'layer_norm_eps': 1e-12,
        'pad_token_id': 0,
        'position_embedding_type': 'absolute',
    }
    return {
        'config.json': config,
        'tokenizer.json': tokenizer,
        'tokenizer_config.json': {
            'tokenizer_class': 'BertTokenizer', 'do_lower_case': True, 'model_max_length': s['maxSeqLength'], 'cls_token': '[CLS]',
            'sep_token': '[SEP]', 'pad_token': '[PAD]', 'unk_token': '[UNK]', 'mask_token': '[MASK]',
        },
        'sentence_bert_config.json': {'max_seq_length': s['maxSeqLength'], 'do_lower_case': False},
        'modules.json': [
            {'idx': 0, 'name': '0', 'path': '', 'type': 'sentence_transformers.models.Transformer'},
            {'idx': 1, 'name': '1', 'path': '1_Pooling', 'type': 'sentence_transformers.models.Pooling'},
            {'idx': 2, 'name': '2', 'path': '2_Normalize', 'type': 'sentence_transformers.models.Normalize'},
        ],
        '1_Pooling/config.json': {
            'word_embedding_dimension': s['hidden'],
            'pooling_mode_cls_token': False,
            'pooling_mode_mean_tokens': True,
            'pooling_mode_max_tokens': False,
            'pooling_mode_mean_sqrt_len_tokens': False,
            'pooling_mode_weightedmean_tokens': False,
            'pooling_mode_lasttoken': False,
            'include_prompt': True,
        },
        'model.safetensors': encode_safetensors(minilm_tensors(len(vocab), seed)),
    }


def write_folder(folder: str, files: dict) -> None:
    for name, content in files.items():
        path = os.path.join(folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = content if isinstance(content, bytes) else (json.dumps(content, indent=2, ensure_ascii=False) + '\n').encode('utf-8')
        with open(path, 'wb') as f:
            f.write(data)


def compare_folders(ours: str, theirs: str) -> dict:
    """Files byte for byte, and the weights value by value (the largest difference, in float32 units of last place)."""
    report: dict = {'identicalFiles': [], 'differentFiles': []}
    for root, _, names in os.walk(ours):
        for name in sorted(names):
            rel = os.path.relpath(os.path.join(root, name), ours)
            other = os.path.join(theirs, rel)
            same = os.path.exists(other) and open(os.path.join(ours, rel), 'rb').read() == open(other, 'rb').read()
            (report['identicalFiles'] if same else report['differentFiles']).append(rel)
    a = read_safetensors(os.path.join(ours, 'model.safetensors'))
    b = read_safetensors(os.path.join(theirs, 'model.safetensors'))
    report['sameTensorNames'] = list(a) == list(b)
    worst = 0.0
    ulps = 0
    differing = 0
    for name, x in a.items():
        y = b.get(name)
        if y is None or y.shape != x.shape:
            report['sameTensorNames'] = False
            continue
        diff = np.abs(x.astype(np.float64) - y.astype(np.float64))
        worst = max(worst, float(diff.max(initial=0.0)))
        xi = x.view(np.int32).astype(np.int64)
        yi = y.view(np.int32).astype(np.int64)
        ulps = max(ulps, int(np.abs(xi - yi).max(initial=0)))
        differing += int((xi != yi).sum())
    report.update({'maxAbsDifference': worst, 'maxUlps': ulps, 'differingValues': differing})
    return report


def cmd_make_minilm(args) -> int:
    t0 = time.perf_counter()
    files = minilm_files(args.seed)
    write_folder(args.out, files)
    digest = hashlib.sha256(files['model.safetensors']).hexdigest()
    print(f'[torch_bench] a random BERT of all-MiniLM-L6-v2\'s size (seed {args.seed}) written to {args.out}/ in '
          f'{time.perf_counter() - t0:.1f} s; model.safetensors sha256 {digest}', flush=True)
    if args.expect_sha256 and digest != args.expect_sha256:
        print(f'[torch_bench] model.safetensors differs from the one scripts/make-tiny-models.ts writes (sha256 {args.expect_sha256})',
              file=sys.stderr)
        return 1
    if args.compare:
        report = compare_folders(args.out, args.compare)
        print(json.dumps(report, indent=2), flush=True)
        if report['differentFiles'] and (report['maxUlps'] > 1 or not report['sameTensorNames']):
            print('[torch_bench] the folders differ by more than float32 rounding', file=sys.stderr)
            return 1
    return 0


# ---------------------------------------------------------------------------------------
# Models in plain PyTorch

def _torch():
    import torch  # imported late so make-minilm runs without PyTorch
    return torch


class TorchEncoder:
    """The forward pass as stages, like PairLens's SentenceEncoder: embed, layer(l), finish (pool, head, normalise)."""

    num_layers: int
    output_size: int

    def hidden(self, ids, upto):
        h = self.embed(ids)
        for layer in range(upto):
            h = self.layer(layer, h)
        return h

    def encode_from(self, start, x):
        for layer in range(start, self.num_layers):
            x = self.layer(layer, x)
        return self.finish(x)


class UseLiteTorch(TorchEncoder):
    """use-lite (docs/use-lite.md, "Equations"), from its TF.js weight files, operations in the graph's order."""

    ENCODE = 'module_apply_default/Encoder_en/KonaTransformer/Encode/'
    VARS = 'module/Encoder_en/KonaTransformer/Encode/'
    HEADS = 4

    def __init__(self, folder, device):
        torch = _torch()
        with open(os.path.join(folder, 'model.json'), encoding='utf-8') as f:
            manifest = json.load(f)['weightsManifest']
        raw = b''.join(open(os.path.join(folder, p), 'rb').read() for g in manifest for p in g['paths'])
        named = {}
        offset = 0
        for spec in (w for g in manifest for w in g['weights']):
            if 'quantization' in spec:
                raise ValueError(f'use-lite weight {spec["name"]} is quantized; not supported')
            count = int(np.prod(spec['shape'])) if spec['shape'] else 1
            dtype = {'float32': '<f4', 'int32': '<i4'}.get(spec['dtype'])
            if dtype is None:
                raise ValueError(f'use-lite weight {spec["name"]} has dtype {spec["dtype"]}')
            named[spec['name']] = np.frombuffer(raw, dtype=dtype, count=count, offset=offset).reshape(spec['shape'])
            offset += 4 * count

        def t(name, shape=None):
            value = named[name]
            if shape is not None:
                value = value.reshape(shape)
            return torch.tensor(np.array(value, dtype=np.float32), device=device)

        def scalar(name):
            return float(named[name].reshape(()))

        enc, var = self.ENCODE, self.VARS
        self.embeddings = t('module/Embeddings_en')
        omega = t(f'{enc}TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1')
        positions = torch.arange(128, dtype=torch.float32, device=device)[:, None]
        angles = positions * omega
        self.timing = torch.cat([torch.sin(angles), torch.cos(angles)], 1)
        self.eps = scalar(f'{enc}TransformerStack/Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x')
        self.l2eps = scalar('module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y')
        self.head_kernel = t('module/Encoder_en/hidden_layers/tanh_layer_0/weights')
        self.head_bias = t('module/Encoder_en/hidden_layers/tanh_layer_0/bias')
        self.layers = []
        for layer in range(2):
            d = 256 if layer == 0 else 512
            v = f'{enc}Layer_{layer}/TransformerLayer/'
            stack = f'{enc}TransformerStack/Layer_{layer}/TransformerLayer/'
            kernels = f'{var}Layer_{layer}/TransformerLayer/MultiheadAttention/'
            w = {
                'ln_a': (t(f'{v}layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat'),
                         t(f'{v}layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat')),
                'qkv': (t(f'{kernels}qkv_transform_single/kernel/part_0', [d, 3 * d]),
                        t(f'{v}MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat')),
                'q_scale': scalar(f'{stack}MultiheadAttention/mul/y'),
                'out': (t(f'{kernels}output_transform_single/kernel/part_0', [d, 512]),
                        t(f'{v}MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat')),
                'ln_f': (t(f'{v}FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat'),
                         t(f'{v}FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat')),
                'ffn_in': (t(f'{stack}FFN/conv1/Tensordot/Reshape_1'), t(f'{v}FFN/conv1/bias/ConcatPartitions/concat')),
                'ffn_out': (t(f'{stack}FFN/conv2/Tensordot/Reshape_1'), t(f'{v}FFN/conv2/bias/ConcatPartitions/concat')),
            }
            if layer == 0:
                w['residual'] = (t(f'{v}dense/kernel/ConcatPartitions/concat'), t(f'{v}dense/bias/ConcatPartitions/concat'))
            self.layers.append(w)
        self.num_layers = 2
        self.output_size = 512
        self.device = device

    def layer_norm(self, x, scale, bias):
        torch = _torch()
        centered = x - x.mean(-1, keepdim=True)
        variance = (centered * centered).mean(-1, keepdim=True)
        return scale * torch.rsqrt(variance + self.eps) * centered + bias

    def embed(self, ids):
        torch = _torch()
        e = self.embeddings[torch.tensor(ids, device=self.device)]
        return (e + (e + self.timing[: len(ids)]))[None]

    def layer(self, layer, x):
        torch = _torch()
        w = self.layers[layer]
        residual = x @ w['residual'][0] + w['residual'][1] if 'residual' in w else x
        h = self.layer_norm(x, *w['ln_a'])
        b, s, _ = h.shape
        q, k, v = (h @ w['qkv'][0] + w['qkv'][1]).chunk(3, -1)

        def heads(z):
            return z.reshape(b, s, self.HEADS, -1).transpose(1, 2)

        scores = (heads(q) * w['q_scale']) @ heads(k).transpose(-1, -2)
        context = (torch.softmax(scores, -1) @ heads(v)).transpose(1, 2).reshape(b, s, -1)
        y = residual + (context @ w['out'][0] + w['out'][1])
        f = self.layer_norm(y, *w['ln_f'])
        return torch.relu(f @ w['ffn_in'][0] + w['ffn_in'][1]) @ w['ffn_out'][0] + w['ffn_out'][1] + y

    def finish(self, x):
        torch = _torch()
        e = torch.tanh(x.sum(1) / x.shape[1] @ self.head_kernel + self.head_bias)
        return e * torch.rsqrt(torch.clamp((e * e).sum(-1, keepdim=True), min=self.l2eps))


class BertTorch(TorchEncoder):
    """A BERT sentence-transformers folder (mean pooling, optional Normalize), as transformers computes it."""

    def __init__(self, folder, device):
        torch = _torch()
        with open(os.path.join(folder, 'config.json'), encoding='utf-8') as f:
            config = json.load(f)
        if config.get('model_type') != 'bert':
            raise ValueError(f'{folder}: model_type {config.get("model_type")!r}; this script runs BERT only')
        if config.get('hidden_act', 'gelu') != 'gelu':
            raise ValueError(f'{folder}: hidden_act {config.get("hidden_act")!r}; this script runs the erf GELU only')
        modules = []
        if os.path.exists(os.path.join(folder, 'modules.json')):
            with open(os.path.join(folder, 'modules.json'), encoding='utf-8') as f:
                modules = [m['type'].rsplit('.', 1)[-1] for m in json.load(f)]
        pooling_path = os.path.join(folder, '1_Pooling', 'config.json')
        if os.path.exists(pooling_path):
            with open(pooling_path, encoding='utf-8') as f:
                pooling = json.load(f)
            if not pooling.get('pooling_mode_mean_tokens') or any(
                pooling.get(k) for k in ('pooling_mode_cls_token', 'pooling_mode_max_tokens', 'pooling_mode_mean_sqrt_len_tokens')
            ):
                raise ValueError(f'{folder}: only mean pooling is supported here')
        if any(m not in ('Transformer', 'Pooling', 'Normalize') for m in modules):
            raise ValueError(f'{folder}: modules {modules}; only Transformer, Pooling and Normalize are supported here')
        weights = read_safetensors(os.path.join(folder, 'model.safetensors'))
        weights = {k[5:] if k.startswith('bert.') else k: v for k, v in weights.items()}

        def t(name):
            return torch.tensor(np.array(weights[name], dtype=np.float32), device=device)

        self.heads = config['num_attention_heads']
        self.eps = float(config.get('layer_norm_eps', 1e-12))
        self.word = t('embeddings.word_embeddings.weight')
        self.position = t('embeddings.position_embeddings.weight')
        self.token_type = t('embeddings.token_type_embeddings.weight')[0]
        self.embedding_norm = (t('embeddings.LayerNorm.weight'), t('embeddings.LayerNorm.bias'))
        self.layers = []
        for layer in range(config['num_hidden_layers']):
            p = f'encoder.layer.{layer}.'

            def lin(name, p=p):
                return (t(f'{p}{name}.weight').T.contiguous(), t(f'{p}{name}.bias'))

            self.layers.append({
                'q': lin('attention.self.query'), 'k': lin('attention.self.key'), 'v': lin('attention.self.value'),
                'o': lin('attention.output.dense'),
                'ln1': (t(f'{p}attention.output.LayerNorm.weight'), t(f'{p}attention.output.LayerNorm.bias')),
                'i': lin('intermediate.dense'), 'out': lin('output.dense'),
                'ln2': (t(f'{p}output.LayerNorm.weight'), t(f'{p}output.LayerNorm.bias')),
            })
        self.normalize = 'Normalize' in modules
        self.num_layers = len(self.layers)
        self.output_size = config['hidden_size']
        self.device = device
        self.folder = folder

    def layer_norm(self, x, weight, bias):
        torch = _torch()
        return torch.nn.functional.layer_norm(x, (x.shape[-1],), weight, bias, self.eps)

    def embed(self, ids):
        torch = _torch()
        e = self.word[torch.tensor(ids, device=self.device)] + self.token_type + self.position[: len(ids)]
        return self.layer_norm(e, *self.embedding_norm)[None]

    def layer(self, layer, x):
        torch = _torch()
        w = self.layers[layer]
        b, s, h = x.shape

        def heads(z):
            return z.reshape(b, s, self.heads, -1).transpose(1, 2)

        q, k, v = (heads(x @ w[n][0] + w[n][1]) for n in ('q', 'k', 'v'))
        scores = q @ k.transpose(-1, -2) / math.sqrt(h / self.heads)
        context = (torch.softmax(scores, -1) @ v).transpose(1, 2).reshape(b, s, h)
        a = self.layer_norm(context @ w['o'][0] + w['o'][1] + x, *w['ln1'])
        inner = a @ w['i'][0] + w['i'][1]
        inner = 0.5 * inner * (1.0 + torch.erf(inner * (1.0 / math.sqrt(2.0))))
        return self.layer_norm(inner @ w['out'][0] + w['out'][1] + a, *w['ln2'])

    def finish(self, x):
        torch = _torch()
        e = x.mean(1)
        if self.normalize:
            e = e / torch.clamp(torch.linalg.vector_norm(e, dim=-1, keepdim=True), min=1e-12)
        return e


def transformers_check(model: BertTorch, ids: list) -> dict | None:
    """The BERT forward pass against transformers' BertModel on the same folder, where transformers is installed."""
    try:
        from transformers import BertModel  # optional
    except Exception as error:  # noqa: BLE001 - any import failure means "not available"
        return {'available': False, 'why': str(error).splitlines()[0][:200]}
    torch = _torch()
    try:
        hf = BertModel.from_pretrained(model.folder).to(model.device).eval()
        with torch.no_grad():
            ours = model.hidden(ids, model.num_layers)
            theirs = hf(torch.tensor([ids], device=model.device)).last_hidden_state
        return {'available': True, 'maxAbsDifference': float((ours - theirs).abs().max()), 'tokens': len(ids)}
    except Exception as error:  # noqa: BLE001 - report, do not fail the benchmark
        return {'available': True, 'error': str(error).splitlines()[0][:300]}


# ---------------------------------------------------------------------------------------
# FLOP counts (bench/flops.ts, from the dims PairLens reports in pairs.json)

def _dense_macs(d: dict) -> int:
    kv = d.get('kv') or d['attn']
    return ((d['hIn'] * d['hOut'] if d.get('denseResidual') else 0) + d['hIn'] * (d['attn'] + 2 * kv) + d['attn'] * d['hOut']
            + d['hOut'] * d['ffn'] * (2 if d.get('gated') else 1) + d['ffn'] * d['hOut'])


def _head_macs(dims: dict) -> int:
    return sum(i * o for i, o in dims['head'])


def layer_forward_flops(dims, layer, b, s):
    d = dims['layers'][layer]
    return 2 * b * (s * _dense_macs(d) + 2 * s * s * d['attn'])


def layer_tangent_flops(dims, layer, r, s):
    """A tangent pass, and equally a backward pass to the inputs only: every dense product once, four attention products."""
    d = dims['layers'][layer]
    return 2 * r * (s * _dense_macs(d) + 4 * s * s * d['attn'])


def encode_from_flops(dims, start, b, s):
    return 2 * b * _head_macs(dims) + sum(layer_forward_flops(dims, l, b, s) for l in range(start, len(dims['layers'])))


def backward_flops(dims, start, b, s):
    return 2 * b * _head_macs(dims) + sum(layer_tangent_flops(dims, l, b, s) for l in range(start, len(dims['layers'])))


def side_flops(dims, start, s):
    """The path (x and r up to the layer) and f(x), f(r)."""
    return sum(2 * layer_forward_flops(dims, l, 1, s) for l in range(start)) + encode_from_flops(dims, start, 2, s)


# ---------------------------------------------------------------------------------------
# The two routes

def batches(n, size):
    return [(i, min(n, i + size)) for i in range(0, n, size)]


def midpoint(steps):
    return [(k + 0.5) / steps for k in range(steps)]


class Side:
    """One text at one layer: x, r, delta at the layer's input ([1, S, H]) and its embedding."""

    def __init__(self, model, ids, reference_ids, layer):
        torch = _torch()
        with torch.no_grad():
            self.x = model.hidden(ids, layer)
            self.r = model.hidden(reference_ids, layer)
            self.delta = self.x - self.r
            both = model.encode_from(layer, torch.cat([self.x, self.r], 0))
        self.e, self.er = both[0], both[1]
        self.s = len(ids)


def reverse_p(model, layer, side, alphas, dims, alpha_batch):
    """The papers' algorithm: per batch of alpha points, a forward pass, then one backward pass per output dimension. [len(dims), S]."""
    torch = _torch()
    p = torch.zeros(len(dims), side.s, dtype=torch.float32, device=side.x.device)
    for a0, a1 in batches(len(alphas), alpha_batch):
        a = torch.tensor(alphas[a0:a1], dtype=torch.float32, device=side.x.device)[:, None, None]
        points = (side.r + a * side.delta).detach().requires_grad_(True)
        e = model.encode_from(layer, points)
        for j, d in enumerate(dims):
            (grad,) = torch.autograd.grad(e[:, d].sum(), points, retain_graph=True)
            p[j] += (grad * side.delta).sum(dim=(0, 2))
        del e, points
    return p


def forward_impl():
    """torch.func (PyTorch 2), functorch (1.13), else forward_ad with the primal replicated per direction."""
    try:
        from torch.func import jvp, vmap
        return 'torch.func.jvp+vmap', jvp, vmap
    except ImportError:
        pass
    try:
        from functorch import jvp, vmap
        return 'functorch.jvp+vmap', jvp, vmap
    except ImportError:
        return 'forward_ad (primal replicated per direction)', None, None


def forward_p(model, layer, side, alphas, row_budget, impl):
    """The tangent route (PairLens's): for every token i, the JVP of g_L along Δ restricted to row i, at every alpha. [D, S]."""
    torch = _torch()
    name, jvp, vmap = impl
    s, h = side.s, side.delta.shape[2]
    alpha_batch = max(1, min(len(alphas), row_budget // (s * s)))
    direction_batch = max(1, min(s, row_budget // (alpha_batch * s)))
    eye = torch.eye(s, dtype=torch.float32, device=side.x.device)
    pt = torch.zeros(s, model.output_size, dtype=torch.float32, device=side.x.device)
    flops_batches = []
    for a0, a1 in batches(len(alphas), alpha_batch):
        n = a1 - a0
        a = torch.tensor(alphas[a0:a1], dtype=torch.float32, device=side.x.device)[:, None, None]
        with torch.no_grad():
            points = side.r + a * side.delta
        for t0, t1 in batches(s, direction_batch):
            t = t1 - t0
            # Direction i: Δ with every row but i zeroed, the same at every alpha: [t, n, S, H].
            tangents = (eye[t0:t1, :, None] * side.delta[0][None]).unsqueeze(1).expand(t, n, s, h)
            if jvp is not None:
                out = vmap(lambda v: jvp(lambda z: model.encode_from(layer, z), (points,), (v,))[1])(tangents)
            else:
                import torch.autograd.forward_ad as fwad
                with fwad.dual_level():
                    dual = fwad.make_dual(points.unsqueeze(0).expand(t, n, s, h).reshape(t * n, s, h), tangents.reshape(t * n, s, h))
                    out = fwad.unpack_dual(model.encode_from(layer, dual)).tangent.reshape(t, n, -1)
            pt[t0:t1] += out.detach().sum(1)
            flops_batches.append((n, t))
    return pt.T, flops_batches


def pair_matrix(pa, pb, ea, eb):
    """A = P_aᵀ P_b / (‖e_a‖ ‖e_b‖), in float64 (docs/method.md; Approximate mode, cosine)."""
    c = float(ea.double().norm() * eb.double().norm())
    return (pa.double().T @ pb.double()) / c, c


def sum_rule(a_matrix, sa, sb, c):
    prediction = float(sa.e.double() @ sb.e.double()) / c
    terms = {
        'aRb': float(sa.e.double() @ sb.er.double()) / c,
        'rAb': float(sa.er.double() @ sb.e.double()) / c,
        'rArB': float(sa.er.double() @ sb.er.double()) / c,
    }
    target = prediction - terms['aRb'] - terms['rAb'] + terms['rArB']
    total = float(a_matrix.sum())
    return {'prediction': prediction, 'referenceTerms': terms, 'target': target, 'sum': total, 'integrationError': total - target}


def relative_difference(a, b):
    """max|a − b| / max|b| and ‖a − b‖ / ‖b‖."""
    torch = _torch()
    a = torch.as_tensor(a, dtype=torch.float64).cpu()
    b = torch.as_tensor(b, dtype=torch.float64).cpu()
    scale = float(b.abs().max())
    norm = float(b.norm())
    return {
        'maxAbsOverMaxAbs': float((a - b).abs().max()) / scale if scale > 0 else float('nan'),
        'relativeFrobenius': float((a - b).norm()) / norm if norm > 0 else float('nan'),
    }


def sync(device):
    torch = _torch()
    if device.type == 'cuda':
        torch.cuda.synchronize()


def matmul_peak(device, sizes, reps):
    torch = _torch()
    rows = []
    for m, k, n in sizes:
        a = torch.randn(m, k, device=device)
        b = torch.randn(k, n, device=device)
        (a @ b).sum().item()
        times = []
        for _ in range(reps):
            sync(device)
            t0 = time.perf_counter()
            c = a @ b
            sync(device)
            times.append(time.perf_counter() - t0)
            del c
        best = min(times)
        rows.append({'m': m, 'k': k, 'n': n, 'msBest': best * 1e3, 'gflopsBest': 2 * m * k * n / best / 1e9})
        del a, b
    top = max(rows, key=lambda r: r['gflopsBest'])
    return {'gflops': top['gflopsBest'], 'best': top, 'all': rows, 'dtype': 'float32', 'tf32': False}


# ---------------------------------------------------------------------------------------
# The benchmark

def load_matrices(path):
    """PairLens's matrices from the Node side's output: {(model, pair, layer): (rows, cols, values)}."""
    if not path or not os.path.exists(path):
        return {}
    with open(path, encoding='utf-8') as f:
        data = json.load(f)
    out = {}
    for m in data.get('matrices', []):
        out[(m['model'], m['pair'], m['layer'])] = m
    return out


def run_case(model, spec, pair, layer, steps, args, impl, peak, device, log):
    torch = _torch()
    alphas = midpoint(steps)
    dims = spec['dims']
    text_a, text_b = pair['a'], pair['b']
    sides = [Side(model, t['ids'], t['referenceIds'], layer) for t in (text_a, text_b)]
    d_out = model.output_size
    reverse_dims = list(range(d_out)) if args.reverse_dims <= 0 else list(range(min(d_out, args.reverse_dims)))
    alpha_batch = args.alpha_batch if args.alpha_batch > 0 else steps

    # Warm-up on the timed shapes (cuBLAS picks kernels per shape, the allocator grows): both texts,
    # all alpha points, two output dimensions of the papers' route, the whole forward route (on CUDA).
    if not args.no_warmup:
        for side in sides:
            reverse_p(model, layer, side, alphas, reverse_dims[:2], alpha_batch)
            forward_p(model, layer, side, alphas if device.type == 'cuda' else alphas[: min(4, steps)], args.row_budget, impl)
        sync(device)

    # Forward route: best of the repeats; P for both texts, then A.
    forward_times = []
    fwd = None
    fwd_batches = []
    for _ in range(max(1, args.repeats)):
        sync(device)
        t0 = time.perf_counter()
        ps = []
        fwd_batches = []
        for side in sides:
            pt, fb = forward_p(model, layer, side, alphas, args.row_budget, impl)
            ps.append(pt / steps)
            fwd_batches.append(fb)
        a_fwd, c = pair_matrix(ps[0], ps[1], sides[0].e, sides[1].e)
        sync(device)
        forward_times.append(time.perf_counter() - t0)
        fwd = ps
    forward_ms = min(forward_times) * 1e3
    forward_flops = 0
    for side, fb in zip(sides, fwd_batches):
        forward_flops += side_flops(dims, layer, side.s)
        for n, t in fb:
            primal = encode_from_flops(dims, layer, n, side.s) if not impl[0].startswith('forward_ad') else encode_from_flops(dims, layer, n * t, side.s)
            forward_flops += primal + backward_flops(dims, layer, n * t, side.s)

    # The papers' algorithm: one backward pass per output dimension over the batch of alpha points.
    sync(device)
    t0 = time.perf_counter()
    rev = [reverse_p(model, layer, side, alphas, reverse_dims, alpha_batch) / steps for side in sides]
    sync(device)
    reverse_measured_ms = (time.perf_counter() - t0) * 1e3
    factor = d_out / len(reverse_dims)
    reverse_ms = reverse_measured_ms * factor
    reverse_flops = 0
    for side in sides:
        per_batch = sum(encode_from_flops(dims, layer, a1 - a0, side.s) + d_out * backward_flops(dims, layer, a1 - a0, side.s)
                        for a0, a1 in batches(steps, alpha_batch))
        reverse_flops += side_flops(dims, layer, side.s) + per_batch

    agreement = {}
    if len(reverse_dims) == d_out:
        a_rev, _ = pair_matrix(rev[0], rev[1], sides[0].e, sides[1].e)
        agreement['reverseVsForward'] = relative_difference(a_rev, a_fwd)
    else:
        agreement['reverseVsForwardP'] = relative_difference(
            torch.cat([r for r in rev], 1), torch.cat([p[: len(reverse_dims)] for p in fwd], 1))
        agreement['reverseVsForwardP']['dims'] = len(reverse_dims)
    return {
        'model': spec['key'],
        'pair': pair['length'],
        'tokensA': sides[0].s,
        'tokensB': sides[1].s,
        'layer': layer,
        'steps': steps,
        'rule': 'midpoint',
        'forward': {
            'ms': forward_ms,
            'allMs': [x * 1e3 for x in forward_times],
            'impl': impl[0],
            'rowBudget': args.row_budget,
            'flops': forward_flops,
            'gflops': forward_flops / forward_ms / 1e6,
            'fractionOfPeak': forward_flops / forward_ms / 1e6 / peak if peak > 0 else None,
        },
        'reverse': {
            'ms': reverse_ms,
            'measuredMs': reverse_measured_ms,
            'measuredDims': len(reverse_dims),
            'outputSize': d_out,
            'extrapolated': factor != 1,
            'extrapolationFactor': factor,
            'alphaBatch': alpha_batch,
            'flops': reverse_flops,
            'gflops': reverse_flops / reverse_ms / 1e6,
            'fractionOfPeak': reverse_flops / reverse_ms / 1e6 / peak if peak > 0 else None,
            'how': f'torch.autograd.grad once per output dimension ({len(reverse_dims)} of {d_out} measured'
                   + (f', scaled x{factor:g})' if factor != 1 else ')') + f' over batches of {alpha_batch} alpha points',
        },
        'reverseOverForward': reverse_ms / forward_ms,
        'sumRule': sum_rule(a_fwd, sides[0], sides[1], c),
        'agreement': agreement,
        'matrix': a_fwd,
    }


def cmd_bench(args) -> int:
    torch = _torch()
    started = time.perf_counter()

    def log(line):
        print(f'[torch {time.perf_counter() - started:6.1f} s] {line}', flush=True)

    want = args.device
    if want == 'auto':
        want = 'cuda' if torch.cuda.is_available() else 'cpu'
    if want == 'cuda' and not torch.cuda.is_available():
        print('[torch_bench] no CUDA device (torch.cuda.is_available() is False); use --device cpu to run on the CPU', file=sys.stderr)
        return 3
    device = torch.device(want)
    torch.backends.cuda.matmul.allow_tf32 = False  # float32 as PairLens computes it on WebGPU
    torch.backends.cudnn.allow_tf32 = False
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.row_budget <= 0:
        args.row_budget = 65536 if device.type == 'cuda' else 8192
    with open(args.pairs, encoding='utf-8') as f:
        pairs = json.load(f)
    steps = args.steps or pairs['steps']
    impl = forward_impl()
    info = {
        'type': device.type,
        'name': torch.cuda.get_device_name(device) if device.type == 'cuda' else platform.processor() or platform.machine(),
        'torch': torch.__version__,
        'cuda': torch.version.cuda,
        'threads': torch.get_num_threads(),
        'python': platform.python_version(),
        'numpy': np.__version__,
    }
    log(f'device {info["name"]} ({device.type}), torch {torch.__version__}, forward route by {impl[0]}')
    sizes = [(4096, 4096, 4096), (8192, 8192, 8192)] if device.type == 'cuda' else [(512, 512, 512), (1024, 1024, 1024)]
    peak = matmul_peak(device, sizes, 5 if device.type == 'cuda' else 2)
    log(f'matmul peak {peak["gflops"]:.0f} GFLOP/s float32 ({peak["best"]["m"]}³)')
    matrices = load_matrices(args.matrices)
    result = {
        'schema': SCHEMA,
        'generatedAt': datetime.now(timezone.utc).isoformat(),
        'command': ' '.join(sys.argv),
        'device': info,
        'steps': steps,
        'rule': 'midpoint',
        'matmulPeak': peak,
        'forwardImpl': impl[0],
        'rowBudget': args.row_budget,
        'cases': [],
        'transformersCheck': None,
        'errors': [],
    }
    only_models = set(args.models.split(',')) if args.models else None
    only_pairs = set(args.pair_lengths.split(',')) if args.pair_lengths else None

    def save():
        result['totalMs'] = (time.perf_counter() - started) * 1e3
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(result, f, indent=1)
            f.write('\n')

    for spec in pairs['models']:
        key = spec['key']
        if only_models and key not in only_models:
            continue
        folder = args.use_lite if spec['kind'] == 'use-lite' else (args.minilm if key == 'minilm' else spec.get('folder'))
        if not folder or not os.path.isdir(folder):
            result['errors'].append(f'{key}: no model folder ({folder})')
            log(f'{key}: skipped, no model folder ({folder})')
            continue
        t0 = time.perf_counter()
        model = UseLiteTorch(folder, device) if spec['kind'] == 'use-lite' else BertTorch(folder, device)
        log(f'{key}: loaded from {folder} in {time.perf_counter() - t0:.1f} s ({model.num_layers} layers, D = {model.output_size})')
        if isinstance(model, BertTorch) and result['transformersCheck'] is None:
            result['transformersCheck'] = transformers_check(model, spec['pairs'][0]['a']['ids'])
            log(f'  transformers check: {result["transformersCheck"]}')
        for pair in spec['pairs']:
            if only_pairs and pair['length'] not in only_pairs:
                continue
            for layer in spec['layers']:
                try:
                    case = run_case(model, spec, pair, layer, steps, args, impl, peak['gflops'], device, log)
                except Exception as error:  # noqa: BLE001 - one failing case must not lose the others
                    if device.type == 'cuda':
                        torch.cuda.empty_cache()
                    result['errors'].append(f'{key} {pair["length"]} layer {layer}: {type(error).__name__}: {error}')
                    log(f'  {pair["length"]} layer {layer}: FAILED {type(error).__name__}: {error}')
                    continue
                a_fwd = case.pop('matrix')
                other = matrices.get((key, pair['length'], layer))
                if other is not None:
                    pl = torch.tensor(other['values'], dtype=torch.float64).reshape(other['rows'], other['cols'])
                    if tuple(pl.shape) == tuple(a_fwd.shape):
                        case['agreement']['forwardVsPairLens'] = relative_difference(a_fwd, pl)
                        if other.get('steps') != steps:
                            case['agreement']['forwardVsPairLens']['note'] = f'PairLens ran N = {other.get("steps")}, PyTorch N = {steps}'
                    else:
                        case['agreement']['forwardVsPairLens'] = {'error': f'shapes differ: {tuple(a_fwd.shape)} vs {tuple(pl.shape)}'}
                result['cases'].append(case)
                agree = case['agreement']
                pl_text = f', vs PairLens {agree["forwardVsPairLens"].get("maxAbsOverMaxAbs", float("nan")):.1e}' if 'forwardVsPairLens' in agree else ''
                rv = agree.get('reverseVsForward') or agree.get('reverseVsForwardP')
                log(f'  {pair["length"]} ({case["tokensA"]}+{case["tokensB"]}) layer {layer}: forward {case["forward"]["ms"]:.1f} ms '
                    f'({case["forward"]["gflops"]:.0f} GFLOP/s), papers\' {case["reverse"]["ms"]:.1f} ms'
                    f'{" (extrapolated)" if case["reverse"]["extrapolated"] else ""}, reverse/forward {case["reverseOverForward"]:.1f}x; '
                    f'routes agree to {rv["maxAbsOverMaxAbs"]:.1e}{pl_text}')
                save()
        del model
        if device.type == 'cuda':
            torch.cuda.empty_cache()
    save()
    log(f'wrote {args.out}')
    return 0 if result['cases'] else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='command', required=True)
    make = sub.add_parser('make-minilm', help='write the random MiniLM-sized BERT folder')
    make.add_argument('--out', required=True)
    make.add_argument('--seed', type=int, default=MINILM_SEED)
    make.add_argument('--expect-sha256', help="model.safetensors' expected SHA-256 (the kit's manifest has it)")
    make.add_argument('--compare', help='a folder written by scripts/make-tiny-models.ts --shape minilm-l6, to compare with')
    bench = sub.add_parser('bench', help='time the papers\' algorithm and the forward route')
    bench.add_argument('--pairs', required=True, help="pairs.json from the kit's Node side")
    bench.add_argument('--out', required=True)
    bench.add_argument('--matrices', help="the Node side's pairlens.json (its PairLens matrices are compared)")
    bench.add_argument('--device', default='cuda', choices=['cuda', 'cpu', 'auto'])
    bench.add_argument('--use-lite', help="use-lite's folder (model.json, shards)")
    bench.add_argument('--minilm', help='the MiniLM-sized folder (make-minilm)')
    bench.add_argument('--models', help='comma-separated model keys (default: all in pairs.json)')
    bench.add_argument('--pair-lengths', help='comma-separated: short,medium,long (default: all)')
    bench.add_argument('--steps', type=int, default=0, help="alpha points (default: pairs.json's, PairLens's N)")
    bench.add_argument('--reverse-dims', type=int, default=0, help='time this many output dimensions and scale (default: all)')
    bench.add_argument('--alpha-batch', type=int, default=0, help='alpha points per forward pass of the papers\' route (default: all N)')
    bench.add_argument('--row-budget', type=int, default=0, help='tangent rows per batched pass (default 65536 on CUDA, 8192 on CPU)')
    bench.add_argument('--repeats', type=int, default=2, help='forward-route repetitions, the best kept')
    bench.add_argument('--threads', type=int, default=0)
    bench.add_argument('--no-warmup', action='store_true')
    args = parser.parse_args(argv)
    if args.command == 'make-minilm':
        return cmd_make_minilm(args)
    return cmd_bench(args)


if __name__ == '__main__':
    sys.exit(main())
