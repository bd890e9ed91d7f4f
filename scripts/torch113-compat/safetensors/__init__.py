"""Minimal pure-Python stand-in for the safetensors package (PyTorch only), for torch 1.13 without the Rust wheel."""
import json
import struct

import torch as _pt

__version__ = "0.4.5"

_DTYPES = {
    "F64": _pt.float64, "F32": _pt.float32, "F16": _pt.float16, "BF16": _pt.bfloat16,
    "I64": _pt.int64, "I32": _pt.int32, "I16": _pt.int16, "I8": _pt.int8, "U8": _pt.uint8, "BOOL": _pt.bool,
}
_NAMES = {v: k for k, v in _DTYPES.items()}


class SafetensorError(Exception):
    pass


def _read_header(data):
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    return header, 8 + n


def _tensor(data, start, info):
    a, b = info["data_offsets"]
    dtype = _DTYPES[info["dtype"]]
    raw = bytearray(data[start + a : start + b])
    if len(raw) == 0:
        return _pt.empty(info["shape"], dtype=dtype)
    return _pt.frombuffer(raw, dtype=dtype).reshape(info["shape"]).clone()


class _Slice:
    def __init__(self, tensor, dtype_name):
        self._t = tensor
        self._dtype = dtype_name

    def get_shape(self):
        return list(self._t.shape)

    def get_dtype(self):
        return self._dtype

    def __getitem__(self, index):
        return self._t[index]


class safe_open:
    def __init__(self, filename, framework="pt", device="cpu"):
        with open(filename, "rb") as f:
            self._data = f.read()
        self._header, self._start = _read_header(self._data)
        self._meta = self._header.pop("__metadata__", None)

    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False

    def keys(self):
        return list(self._header.keys())

    def offset_keys(self):
        return sorted(self._header, key=lambda k: self._header[k]["data_offsets"][0])

    def metadata(self):
        return self._meta

    def get_tensor(self, name):
        return _tensor(self._data, self._start, self._header[name])

    def get_slice(self, name):
        return _Slice(self.get_tensor(name), self._header[name]["dtype"])
