"""Placeholder for the Rust `tokenizers` package so that modules importing it at top level load.
Nothing here works: the fixtures use no fast tokenizer (no dist-info, so transformers
reports tokenizers as unavailable)."""
import sys
import types

__version__ = "0.0.0 (placeholder)"


class _Missing:
    def __init__(self, *args, **kwargs):
        raise ImportError("tokenizers is a placeholder here")


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return type(name, (_Missing,), {})


for _sub in ("decoders", "normalizers", "pre_tokenizers", "processors", "models", "trainers"):
    _m = types.ModuleType(f"tokenizers.{_sub}")
    _m.__getattr__ = __getattr__
    sys.modules[_m.__name__] = _m
    globals()[_sub] = _m
