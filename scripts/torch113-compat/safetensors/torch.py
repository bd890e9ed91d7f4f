"""safetensors.torch for the pure-Python stand-in."""
import json
import struct

import torch

from . import _DTYPES, _NAMES, _read_header, _tensor


def storage_ptr(tensor):
    return tensor.storage().data_ptr()


def storage_size(tensor):
    return tensor.storage().size() * tensor.element_size()


def load(data):
    header, start = _read_header(data)
    header.pop("__metadata__", None)
    return {k: _tensor(data, start, v) for k, v in header.items()}


def load_file(filename, device="cpu"):
    with open(filename, "rb") as f:
        return load(f.read())


def save(tensors, metadata=None):
    header, chunks, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def save_file(tensors, filename, metadata=None):
    with open(filename, "wb") as f:
        f.write(save(tensors, metadata))


def save_model(model, filename, metadata=None, force_contiguous=False):
    save_file({k: v for k, v in model.state_dict().items()}, filename, metadata)


def load_model(model, filename, strict=True, device="cpu"):
    result = model.load_state_dict(load_file(filename), strict=strict)
    return result.missing_keys, result.unexpected_keys
