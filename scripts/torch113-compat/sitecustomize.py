# Only for recording PairLens fixtures with Debian's torch 1.13 (test-models/README.md): gives torch the
# torch 2 names transformers 4.57 uses at import or load time. Nothing here changes a model's arithmetic.
import torch
import torch.distributed

torch.distributed.is_available = lambda: False

import torch.utils._pytree as _pytree

if not hasattr(_pytree, "register_pytree_node"):
    def _register(typ, flatten_fn, unflatten_fn, *, serialized_type_name=None, **_):
        _pytree._register_pytree_node(typ, flatten_fn, unflatten_fn)
    _pytree.register_pytree_node = _register

import types as _types

if not hasattr(torch, "compiler"):
    def _disable(fn=None, recursive=True):
        return fn if fn is not None else (lambda f: f)
    torch.compiler = _types.SimpleNamespace(disable=_disable, is_compiling=lambda: False, is_dynamo_compiling=lambda: False)

class _AbsentDtype:
    """A dtype torch 1.13 lacks: only ever compared against, never used by these models."""
    def __init__(self, name):
        self.name = name
    def __repr__(self):
        return f"torch.{self.name} (absent in torch {torch.__version__})"

for _name in ("float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "uint16", "uint32", "uint64"):
    if not hasattr(torch, _name):
        setattr(torch, _name, _AbsentDtype(_name))

if not hasattr(torch, "_dynamo"):
    import sys as _sys
    _dynamo = _types.ModuleType("torch._dynamo")
    _dynamo.allow_in_graph = lambda fn: fn
    _dynamo.disable = _disable
    _dynamo.mark_static_address = lambda *a, **k: None
    _dynamo.is_compiling = lambda: False
    _sys.modules["torch._dynamo"] = _dynamo
    torch._dynamo = _dynamo

if not hasattr(torch, "compile"):
    def _compile(model=None, **kwargs):
        return model if model is not None else (lambda f: f)
    torch.compile = _compile

if not hasattr(torch, "vmap"):
    import functorch as _functorch
    torch.vmap = _functorch.vmap

import inspect as _inspect

if "bias" not in _inspect.signature(torch.nn.LayerNorm.__init__).parameters:
    _LayerNorm = torch.nn.LayerNorm

    class LayerNorm(_LayerNorm):
        """nn.LayerNorm with torch 2.1's `bias` argument: bias=False registers no bias (F.layer_norm takes None)."""
        def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
            super().__init__(normalized_shape, eps=eps, elementwise_affine=elementwise_affine, device=device, dtype=dtype)
            if elementwise_affine and not bias:
                self.register_parameter("bias", None)

    LayerNorm.__module__ = _LayerNorm.__module__
    torch.nn.LayerNorm = LayerNorm

import torch.optim.lr_scheduler as _lrs

if not hasattr(_lrs, "LRScheduler"):
    _lrs.LRScheduler = _lrs._LRScheduler

if "remove_duplicate" not in _inspect.signature(torch.nn.Module.named_parameters).parameters:
    def _with_duplicates(attr, original):
        def named(self, prefix="", recurse=True, remove_duplicate=True):
            if remove_duplicate:
                yield from original(self, prefix=prefix, recurse=recurse)
                return
            modules = self.named_modules(prefix=prefix, remove_duplicate=False) if recurse else [(prefix, self)]
            for module_prefix, module in modules:
                for key, value in getattr(module, attr).items():
                    if value is not None:
                        yield (module_prefix + "." if module_prefix else "") + key, value
        return named

    torch.nn.Module.named_parameters = _with_duplicates("_parameters", torch.nn.Module.named_parameters)
    torch.nn.Module.named_buffers = _with_duplicates("_buffers", torch.nn.Module.named_buffers)

if "assign" not in _inspect.signature(torch.nn.Module.load_state_dict).parameters:
    _load_state_dict = torch.nn.Module.load_state_dict

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """torch 2.1's assign=True: the module takes the given tensors themselves (transformers loads onto meta modules so)."""
        if not assign:
            return _load_state_dict(self, state_dict, strict=strict)
        from torch.nn.modules.module import _IncompatibleKeys
        unexpected = []
        for key, tensor in state_dict.items():
            *path, leaf = key.split(".")
            module = self.get_submodule(".".join(path)) if path else self
            if leaf in module._parameters:
                old = module._parameters[leaf]
                module._parameters[leaf] = torch.nn.Parameter(tensor, requires_grad=old.requires_grad if old is not None else True)
            elif leaf in module._buffers:
                module._buffers[leaf] = tensor
            else:
                unexpected.append(key)
        if strict and unexpected:
            raise RuntimeError(f"unexpected keys {unexpected}")
        return _IncompatibleKeys([], unexpected)

    torch.nn.Module.load_state_dict = load_state_dict
