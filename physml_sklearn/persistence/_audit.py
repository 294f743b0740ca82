"""Bounded reading and auditing of a model file, before anything is built.

Every check here runs on sizes and headers only: a member of the zip file
is read only after its size in the central directory passed the bounds,
and a read stops at that size; a ``.npy`` header's shape times its item
size, and a safetensors header's offsets, must account for the member's
bytes exactly; the names of classes and functions a member uses are
collected from its JSON, never imported.
"""

import io
import json
import re
import zipfile
import zlib

import numpy as np

from .._memory import not_a_file
from ._registry import is_trusted

#: what reading a damaged zip file (or a zip inside one) raises
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
               NotImplementedError, RuntimeError, zlib.error)


class ModelFileError(ValueError):
    """Raised when a model file is not one :func:`~physml_sklearn.save` wrote,
    or is damaged.

    Every malformed, truncated or inconsistent file raises it (or
    :class:`UntrustedTypeError` when it names a type that is not trusted).

    Examples
    --------
    >>> import os, tempfile
    >>> from physml_sklearn import load
    >>> from physml_sklearn.persistence import ModelFileError
    >>> path = os.path.join(tempfile.mkdtemp(), "bad.physml")
    >>> with open(path, "w") as f:
    ...     _ = f.write("not a model")
    >>> try:
    ...     load(path)
    ... except ModelFileError as exc:
    ...     print("refused")
    refused
    """


class UntrustedTypeError(TypeError):
    """Raised when a model file, or a model to save, names a type or function
    that is not trusted.

    The message names it; list it in the ``trusted`` argument of
    :func:`~physml_sklearn.load` (after checking where the file comes from)
    to load the file anyway.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from physml_sklearn import save
    >>> from physml_sklearn.persistence import UntrustedTypeError
    >>> model = FunctionTransformer(np.clip, kw_args={"a_min": 0, "a_max": 1})
    >>> model = model.fit(np.zeros((2, 2)))
    >>> try:
    ...     save(model, os.path.join(tempfile.mkdtemp(), "m.physml"))
    ... except UntrustedTypeError as exc:
    ...     print("numpy:clip" in str(exc))
    True
    """


#: the manifest is read whole: it may not inflate beyond this
MAX_MANIFEST_BYTES = 64 * 2**20
#: deepest nesting of the JSON of a manifest or of a skops member
MAX_DEPTH = 100
#: most members of a zip file (the model's, and a skops member's)
MAX_MEMBERS = 100_000
#: a skops member may inflate to this many bytes plus ``SKOPS_RATIO`` times its size
SKOPS_SLACK = 32 * 2**20
SKOPS_RATIO = 20
#: the largest safetensors header
MAX_SAFETENSORS_HEADER = 100 * 2**20
#: members other than the manifest: stored (never compressed) by ``save``
MEMBER_PATTERN = re.compile(r"(arrays/[0-9]+\.npy|weights/[0-9]+\.safetensors|"
                            r"tensors/[0-9]+\.safetensors|skops/[0-9]+\.skops)")
#: the kinds of arrays a file may hold: no objects, no structured or void types
ARRAY_KINDS = frozenset("biufcSUMm")
#: the dtypes of the safetensors format and their sizes in bytes
SAFETENSORS_DTYPES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2,
    "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
}


#: the libraries whose versions a model file records and that are compared on
#: load, by import name, with their distribution names
LIBRARIES = {"physml_sklearn": "physml-sklearn", "sklearn": "scikit-learn",
             "numpy": "numpy", "scipy": "scipy", "torch": "torch", "skorch": "skorch",
             "skops": "skops", "safetensors": "safetensors"}


def major_version(version):
    """The part of a version string that changes on incompatible releases."""
    parts = version.split("+")[0].split(".")
    if parts[0] == "0" and len(parts) > 1:  # 0.x: the minor version is the major one
        return ".".join(parts[:2])
    return parts[0]


def _damaged(where, why):
    return ModelFileError(f"{where}: the model file is truncated or damaged ({why}).")


def check_depth(node, where, limit=MAX_DEPTH):
    """Raise ModelFileError when the JSON ``node`` nests deeper than ``limit``.

    Iterative, so that it cannot overflow the stack itself.
    """
    stack = [(node, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            raise ModelFileError(
                f"{where} of the model file nests deeper than {limit} levels; "
                "save never writes such a file."
            )
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def parse_json(data, where):
    """``data`` (bytes) parsed as JSON, ModelFileError on anything wrong."""
    try:
        value = json.loads(data)
    except (ValueError, RecursionError, MemoryError) as exc:  # JSONDecodeError, UnicodeError
        raise _damaged(where, f"its JSON does not parse ({type(exc).__name__})") from exc
    check_depth(value, where)
    return value


def _check_infos(infos, where, *, total_limit=None):
    if len(infos) > MAX_MEMBERS:
        raise _damaged(where, f"it has {len(infos)} members")
    seen = set()
    total = 0
    for info in infos:
        name = info.filename
        if name in seen:
            raise _damaged(where, f"the member {name!r} is there twice")
        seen.add(name)
        if name.startswith(("/", "\\")) or "\\" in name or ".." in name.split("/") or ":" in name:
            raise _damaged(where, f"the member name {name!r} is not a plain relative path")
        if info.flag_bits & 0x1:
            raise _damaged(where, f"the member {name!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _damaged(where, f"the member {name!r} uses compression method "
                                  f"{info.compress_type}")
        if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
            raise _damaged(where, f"the stored member {name!r} declares {info.file_size} "
                                  f"bytes but occupies {info.compress_size}")
        total += info.file_size
    if total_limit is not None and total > total_limit:
        raise _damaged(where, f"its members inflate to {total} bytes, more than the "
                              f"{total_limit} its size allows (a zip bomb)")


class Archive:
    """A model file opened for bounded reads."""

    def __init__(self, path):
        self.path = path
        where = repr(str(path))
        why = not_a_file(path)  # /dev/zero would be read without end, a pipe waited on
        if why is not None and why != "no such file":
            raise ModelFileError(f"{where} is {why}.")
        try:
            self.size = path.stat().st_size
            self.zip = zipfile.ZipFile(path)
        except _ZIP_ERRORS as exc:
            raise ModelFileError(
                f"{where} is not a model file written by physml_sklearn.save, or it is "
                f"truncated or damaged ({type(exc).__name__}: {exc})."
            ) from exc
        try:
            infos = self.zip.infolist()
            _check_infos(infos, f"The zip directory of {where}")
            self.infos = {info.filename: info for info in infos}
            for name, info in self.infos.items():
                if name == "model.json":
                    if info.file_size > MAX_MANIFEST_BYTES:
                        raise _damaged("model.json", f"it inflates to {info.file_size} bytes")
                elif not MEMBER_PATTERN.fullmatch(name):
                    raise _damaged(f"The zip directory of {where}",
                                   f"save never writes a member {name!r}")
                elif info.compress_type != zipfile.ZIP_STORED:
                    raise _damaged(f"The member {name!r}",
                                   "it is compressed, and save stores arrays and weights "
                                   "uncompressed")
                if info.compress_size > self.size:
                    raise _damaged(f"The member {name!r}", "it is larger than the file")
        except BaseException:
            self.zip.close()
            raise

    def close(self):
        self.zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def read(self, name):
        """The bytes of the member ``name``: at most its declared size."""
        info = self.infos.get(name) if isinstance(name, str) else None
        if info is None:
            raise ModelFileError(
                f"The model file lacks its member {name!r}: it is truncated or damaged."
            )
        return read_bounded(self.zip, info, f"The member {name!r}")


def read_bounded(archive, info, where):
    """Read the member ``info`` of ``archive``, never more than its declared size."""
    chunks, left = [], info.file_size
    try:
        with archive.open(info) as stream:
            while left > 0:
                chunk = stream.read(min(left, 2**24))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            extra = stream.read(1)
    except _ZIP_ERRORS as exc:
        raise ModelFileError(
            f"{where} of the model file is truncated or damaged ({type(exc).__name__}: "
            f"{exc})."
        ) from exc
    if left or extra:
        raise _damaged(where, "its size differs from the size the zip directory declares")
    return b"".join(chunks)


# -- numpy arrays ----------------------------------------------------------------
def check_dtype(dtype, where):
    """Refuse object, structured and sub-array dtypes."""
    if dtype.hasobject:
        raise UntrustedTypeError(
            f"{where} has the dtype {dtype.str!r}: a model file holds only numeric, "
            "string and datetime arrays (objects would need pickle)."
        )
    if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise _damaged(where, f"it has the dtype {dtype.str!r}")


def npy_header(stream, size, where):
    """``(shape, fortran_order, dtype)`` of the ``.npy`` data of ``size`` bytes in
    ``stream``, checked against ``size``: the data is exactly the array."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(stream, max_header_size=10000)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(stream, max_header_size=10000)
        else:
            raise ValueError(f"version {version}")
    except (ValueError, SyntaxError, TypeError, EOFError, OSError) as exc:
        raise _damaged(where, f"its .npy header does not parse ({exc})") from exc
    check_dtype(dtype, where)
    if not all(type(n) is int and n >= 0 for n in shape):
        raise _damaged(where, f"its .npy header has the shape {shape!r}")
    nbytes = dtype.itemsize
    for n in shape:
        nbytes *= n
    data_size = size - stream.tell()
    if nbytes != data_size:
        raise _damaged(where, f"its .npy header declares the shape {shape} of "
                              f"{dtype.str} ({nbytes} bytes), its data has {data_size}")
    return shape, fortran, dtype


def read_npy(data, where):
    """The array of the ``.npy`` bytes ``data``, after checking its header."""
    npy_header(io.BytesIO(data), len(data), where)
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, EOFError, OSError) as exc:
        raise _damaged(where, str(exc)) from exc


# -- safetensors -------------------------------------------------------------------
def safetensors_header(data, where):
    """``{name: (shape, dtype)}`` of the safetensors bytes ``data``, after
    checking that the header's offsets tile the data exactly."""
    if len(data) < 8:
        raise _damaged(where, "it is shorter than a safetensors header")
    n = int.from_bytes(data[:8], "little")
    if n > MAX_SAFETENSORS_HEADER or 8 + n > len(data):
        raise _damaged(where, f"its safetensors header claims {n} bytes")
    header = parse_json(data[8:8 + n], where)
    if not isinstance(header, dict):
        raise _damaged(where, "its safetensors header is not a JSON object")
    header.pop("__metadata__", None)
    spans, tensors = [], {}
    for name, entry in header.items():
        try:
            dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
            itemsize = SAFETENSORS_DTYPES[dtype]
        except (KeyError, TypeError, ValueError) as exc:
            raise _damaged(where, f"its entry {name!r} is not a safetensors entry") from exc
        if not (isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)):
            raise _damaged(where, f"its entry {name!r} has the shape {shape!r}")
        if not (type(begin) is int and type(end) is int and 0 <= begin <= end):
            raise _damaged(where, f"its entry {name!r} has the offsets {[begin, end]!r}")
        nbytes = itemsize
        for d in shape:
            nbytes *= d
        if end - begin != nbytes:
            raise _damaged(where, f"its entry {name!r} declares {nbytes} bytes and spans "
                                  f"{end - begin}")
        spans.append((begin, end))
        tensors[name] = (tuple(shape), dtype)
    position = 0
    for begin, end in sorted(spans):
        if begin != position:
            raise _damaged(where, "its safetensors offsets overlap or leave holes")
        position = end
    if position != len(data) - 8 - n:
        raise _damaged(where, f"its safetensors header accounts for {position} bytes of "
                              f"data, the member has {len(data) - 8 - n}")
    return tensors


# -- skops members ---------------------------------------------------------------------
def _skops_names(schema):
    """Every ``"module:qualname"`` a skops schema names, iteratively."""
    names = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        if "__loader__" in node:
            module, cls = node.get("__module__"), node.get("__class__")
            if not (isinstance(module, str) and isinstance(cls, str) and module and cls):
                raise ModelFileError(
                    "A scikit-learn object of the model file names an invalid type "
                    f"({module!r}, {cls!r})."
                )
            name = f"{module}:{cls}"
            if node["__loader__"] == "MethodNode":
                content = node.get("content")
                func = content.get("func") if isinstance(content, dict) else None
                name = f"{name}.{func}"
            names.add(name)
        stack.extend(node.values())
    return names


def skops_names(data, where):
    """The names of the skops member ``data``, after checking its zip directory,
    its ``.npy`` headers and its schema; reads nothing unbounded."""
    try:
        inner = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as exc:
        raise _damaged(where, f"it is not a zip file ({exc})") from exc
    with inner:
        infos = inner.infolist()
        _check_infos(infos, where, total_limit=SKOPS_SLACK + SKOPS_RATIO * len(data))
        by_name = {info.filename: info for info in infos}
        if "schema.json" not in by_name:
            raise _damaged(where, "it has no schema.json")
        for info in infos:
            if info.filename.endswith(".npy"):
                try:
                    with inner.open(info) as stream:
                        npy_header(stream, info.file_size, f"{where} ({info.filename})")
                except ModelFileError:
                    raise
                except _ZIP_ERRORS as exc:
                    raise _damaged(where, f"{info.filename}: {exc}") from exc
        schema = parse_json(read_bounded(inner, by_name["schema.json"], where), where)
    if not isinstance(schema, dict):
        raise _damaged(where, "its schema is not a JSON object")
    return _skops_names(schema)


def manifest_names(node):
    """Every class name the manifest tree ``node`` holds, iteratively."""
    names = set()
    stack = [node]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            kind = value.get("__kind__")
            key = "name" if kind == "type" else "class" if kind in ("object", "neural") else None
            if key is not None:
                name = value.get(key)
                if not isinstance(name, str) or name.count(":") != 1:
                    raise ModelFileError(f"The model file names an invalid type {name!r}.")
                names.add(name)
            stack.extend(value.values())
    return names


def untrusted(names, trusted):
    """The names among ``names`` that neither the registry nor ``trusted`` hold."""
    return sorted(n for n in names if not is_trusted(n, trusted))
