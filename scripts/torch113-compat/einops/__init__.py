"""A stand-in for the `einops` package, absent where the NomicBERT fixtures were recorded
(Debian's torch 1.13, nothing pip-installed: test-models/README.md). NomicBERT's reference
code (modeling_hf_nomic_bert.py, nomic-ai's Hub remote code) imports `rearrange` and
`repeat` from it. This implements exactly the patterns that code uses on the path a
post-norm, rotary (half-split, not interleaved), text-only NomicBertModel takes, each as
the reshape or concatenation einops performs for it, and refuses every other pattern.
Where einops is installed (the GPU machine), leave this folder off the path.
"""
import torch

__version__ = "0.0.0 (PairLens stand-in: three patterns only)"


def _normal(pattern):
    return " ".join(pattern.split())


def rearrange(tensor, pattern, **axes):
    p = _normal(pattern)
    if p == "... (three h d) -> ... three h d":
        # Wqkv's output [..., 3·h·d] as [..., 3, h, d]: q, k, v outermost, then heads.
        three, d = axes["three"], axes["d"]
        width = tensor.shape[-1]
        if width % (three * d) != 0:
            raise ValueError(f"rearrange {pattern!r}: last axis {width} is not a multiple of {three}·{d}")
        return tensor.reshape(*tensor.shape[:-1], three, width // (three * d), d)
    if p == "... h d -> ... (h d)":
        # Heads joined back, head-major.
        return tensor.reshape(*tensor.shape[:-2], tensor.shape[-2] * tensor.shape[-1])
    raise NotImplementedError(f"einops stand-in: rearrange pattern {pattern!r} is not implemented")


def repeat(tensor, pattern, **axes):
    p = _normal(pattern)
    if p == "... d -> ... 1 (2 d)":
        # Rotary tables [S, r/2] → [S, 1, r]: the table twice (the new axis of 2 is the outer
        # factor of the merged axis), for the half-split (GPT-NeoX) rotation.
        return torch.cat([tensor, tensor], dim=-1).unsqueeze(-2)
    raise NotImplementedError(f"einops stand-in: repeat pattern {pattern!r} is not implemented")
