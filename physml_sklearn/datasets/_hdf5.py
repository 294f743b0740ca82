"""HDF5 tables written by pandas (``DataFrame.to_hdf``), read without pickle.

pandas reads HDF5 files through PyTables, which unpickles every attribute that
looks like a pickle and every column of Python objects: opening a hostile
file that way runs the code it names. This module reads the same layouts
(``format="fixed"`` and ``format="table"``) with h5py, which never unpickles:
numeric columns are read as arrays, text columns as bytes, columns of Python
objects (which pandas stores with pickle) are refused, and the few pandas
attributes that PyTables stores as pickles (lists of column names) are decoded
by :func:`_literal`, which reads only strings, numbers, ``None``, lists,
tuples and dicts and refuses every other pickle instruction.
"""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import pickletools
import zlib

import numpy as np

_HDF5_HINT = 'Reading HDF5 files needs h5py: pip install "physml-sklearn[hdf5]"'
#: an attribute larger than this is not a pandas attribute
_MAX_ATTRIBUTE_BYTES = 1 << 20
#: pickle instructions that build plain data; anything else is refused
_LITERAL_OPS = {
    "PROTO", "FRAME", "STOP", "MARK", "POP", "POP_MARK",
    "NONE", "NEWTRUE", "NEWFALSE",
    "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4",
    "FLOAT", "BINFLOAT",
    "STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "SHORT_BINUNICODE",
    "BINUNICODE", "BINUNICODE8", "SHORT_BINBYTES", "BINBYTES", "BINBYTES8",
    "EMPTY_LIST", "LIST", "APPEND", "APPENDS",
    "EMPTY_TUPLE", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3",
    "EMPTY_DICT", "DICT", "SETITEM", "SETITEMS",
    "PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE", "GET", "BINGET", "LONG_BINGET",
}
#: the dtypes pandas writes for the numeric columns of a ``format="table"`` file
_NUMERIC_KINDS = ("float", "int", "uint", "bool")
#: HDF5 filters whose output size is checked before h5py applies them: deflate
#: (pandas' complib="zlib"), shuffle and the Fletcher-32 checksum
_DEFLATE, _CHECKED_FILTERS = 1, {1: "deflate", 2: "shuffle", 3: "fletcher32"}


class _NotLiteral(ValueError):
    """Not a pickle of plain data; ``unsafe`` if it is one that would run code."""

    def __init__(self, message, unsafe=False):
        super().__init__(message)
        self.unsafe = unsafe


def _import_h5py():
    try:
        import h5py
    except ImportError as exc:
        raise ImportError(f"{_HDF5_HINT} ({exc}).") from exc
    return h5py


def _literal(data):
    """The plain value a protocol-0..5 pickle of strings, numbers and containers holds.

    Only walks the instructions (:func:`pickletools.genops` decodes them and
    never imports or calls anything); an instruction that would look up a
    global, call it or set attributes raises :class:`_NotLiteral`.
    """
    stack, memo, marks = [], {}, []
    try:
        for op, arg, _ in pickletools.genops(data):
            name = op.name
            if name not in _LITERAL_OPS:
                raise _NotLiteral(f"the pickle instruction {name}", unsafe=True)
            if name in ("PROTO", "FRAME"):
                continue
            if name == "STOP":
                if len(stack) != 1 or marks:
                    raise _NotLiteral("a malformed pickle")
                return stack[0]
            if name == "MARK":
                marks.append(len(stack))
            elif name == "POP":
                stack.pop()
            elif name == "POP_MARK":
                del stack[marks.pop():]
            elif name in ("NONE", "NEWTRUE", "NEWFALSE"):
                stack.append({"NONE": None, "NEWTRUE": True, "NEWFALSE": False}[name])
            elif name in ("EMPTY_LIST", "EMPTY_TUPLE", "EMPTY_DICT"):
                stack.append({"EMPTY_LIST": [], "EMPTY_TUPLE": (), "EMPTY_DICT": {}}[name])
            elif name in ("LIST", "TUPLE", "DICT"):
                start = marks.pop()
                items = stack[start:]
                del stack[start:]
                if name == "DICT":
                    items = dict(zip(items[::2], items[1::2]))
                stack.append(list(items) if name == "LIST" else
                             tuple(items) if name == "TUPLE" else items)
            elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
                n = int(name[-1])
                items = tuple(stack[len(stack) - n:])
                del stack[len(stack) - n:]
                stack.append(items)
            elif name == "APPEND":
                value = stack.pop()
                stack[-1].append(value)
            elif name == "APPENDS":
                start = marks.pop()
                values = stack[start:]
                del stack[start:]
                stack[-1].extend(values)
            elif name == "SETITEM":
                value, key = stack.pop(), stack.pop()
                stack[-1][key] = value
            elif name == "SETITEMS":
                start = marks.pop()
                values = stack[start:]
                del stack[start:]
                stack[-1].update(zip(values[::2], values[1::2]))
            elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[arg] = stack[-1]
            elif name == "MEMOIZE":
                memo[len(memo)] = stack[-1]
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                stack.append(memo[arg])
            else:  # a number, a string or bytes: genops decoded it
                stack.append(arg)
    except _NotLiteral:
        raise
    except Exception as exc:  # truncated or malformed: not plain data
        raise _NotLiteral(f"a malformed pickle ({exc})") from exc
    raise _NotLiteral("a pickle without its end")


def _attribute(node, name):
    """An attribute of an h5py node as bytes, a number or None; bounded in size."""
    h5py = _import_h5py()
    if name not in node.attrs:
        return None
    attr = h5py.h5a.open(node.id, name.encode())
    declared = attr.dtype.itemsize * int(np.prod(attr.shape or ()))
    if max(declared, attr.get_storage_size()) > _MAX_ATTRIBUTE_BYTES:
        raise ValueError(f"attribute {name!r} of {node.name} is {declared:,} bytes long")
    value = node.attrs[name]
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, np.generic):
        value = value.item()
    return value


def _text(node, name):
    """A plain-text attribute (as PyTables writes a Python str), or None."""
    value = _attribute(node, name)
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else None


def _pickled(node, name):
    """An attribute that PyTables stored as a pickle, decoded as plain data.

    Text that is no pickle comes back as bytes; a pickle that would import or
    call anything raises ValueError.
    """
    value = _attribute(node, name)
    if not isinstance(value, bytes):
        return value
    try:
        return _literal(value)
    except _NotLiteral as exc:
        if exc.unsafe:
            raise ValueError(
                f"its attribute {name!r} (of {node.name}) is a pickle that would run "
                f"code ({exc}); refused"
            ) from None
        return value


def _check_chunks(dataset):
    """Refuse a dataset whose compressed chunks inflate beyond a chunk's size.

    HDF5's deflate filter grows its output until the stream ends: a chunk of
    100 numbers stored as 300 kB of deflated zeros inflates to 300 MB before
    anything checks its size (a decompression bomb). Each deflated chunk is
    inflated here first, never beyond one byte more than a chunk holds.
    Filters whose output cannot be checked this way are refused.
    """
    plist = dataset.id.get_create_plist()
    filters = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
    unknown = [f for f in filters if f not in _CHECKED_FILTERS]
    if unknown:
        raise ValueError(
            f"{dataset.name} is compressed with the HDF5 filter(s) {unknown}, whose "
            "output cannot be bounded before decompressing; write the table "
            "uncompressed or with complib='zlib'"
        )
    if _DEFLATE not in filters or dataset.chunks is None:
        return
    chunk_bytes = int(np.prod(dataset.chunks)) * dataset.dtype.itemsize
    if 3 in filters[:filters.index(_DEFLATE)]:  # a checksum inside the deflated data
        chunk_bytes += 4
    skipped = 1 << filters.index(_DEFLATE)
    for i in range(dataset.id.get_num_chunks()):
        info = dataset.id.get_chunk_info(i)
        if info.filter_mask & skipped:  # stored without deflate
            continue
        _, data = dataset.id.read_direct_chunk(info.chunk_offset)
        try:
            inflated = zlib.decompressobj().decompress(data, chunk_bytes + 1)
        except zlib.error as exc:
            raise ValueError(f"{dataset.name}: a chunk does not inflate ({exc})") from None
        if len(inflated) > chunk_bytes:
            raise ValueError(
                f"{dataset.name}: a compressed chunk inflates to more than the "
                f"{chunk_bytes:,} bytes a chunk holds: the file is damaged or built to "
                "exhaust memory when decompressed (a decompression bomb)"
            )


def _add_once(found, name, column):
    """``found[name] = column``, refusing a name seen before: which column is it?"""
    if name in found:
        raise ValueError(f"the column {name!r} is named more than once; name each "
                         "column once")
    found[name] = column


def _names(dataset, what):
    """Column labels stored by pandas as an array of text or integers."""
    kind = _text(dataset, "kind")
    if dataset.ndim != 1 or kind not in ("string", "integer") or (
        dataset.dtype.kind not in "Siu"
    ) or dataset.size * dataset.dtype.itemsize > _MAX_ATTRIBUTE_BYTES:
        raise ValueError(
            f"the column names ({what}) are stored as {kind or dataset.dtype}, not as "
            "text: they would have to be unpickled"
        )
    _check_chunks(dataset)
    values = dataset[()]
    if kind == "string":
        return [v.decode("utf-8", "replace") for v in values]
    return [str(int(v)) for v in values]


class _Column:
    """Where one column lives in the file, and why it is not numeric (None if it is)."""

    def __init__(self, dataset, *, why, field=None, index=None, transposed=True):
        self.dataset, self.why = dataset, why
        self.field, self.index, self.transposed = field, index, transposed
        dtype = dataset.dtype if field is None else dataset.dtype[field]
        self.itemsize = dtype.base.itemsize
        self.n_rows = dataset.shape[0] if transposed or dataset.ndim == 1 else dataset.shape[1]
        # PyTables writes booleans as an HDF5 bit field, which h5py reads as uint8
        self.boolean = field is None and dataset.id.get_type().get_class() == 4  # H5T_BITFIELD
        self.text = dtype.base.kind == "S"

    def read(self, fields=None):
        """The column as a 1-D array.

        Only this column is read, or, in a ``format="table"`` file, its field
        (a block of columns), kept in ``fields`` for the block's other columns.
        """
        dataset = self.dataset
        fields = {} if fields is None else fields
        checked = ("checked", dataset.name)
        if checked not in fields:  # once per dataset, for all its columns
            _check_chunks(dataset)
            fields[checked] = True
        if self.field is not None:
            if self.field not in fields:  # a block: one column per row, contiguous
                fields[self.field] = np.ascontiguousarray(dataset.fields(self.field)[()].T)
            values = fields[self.field]
            if self.index is not None:
                values = values[self.index]
        elif self.index is None:
            values = dataset[()]
        elif self.transposed:
            values = dataset[:, self.index]
        else:
            values = dataset[self.index]
        values = np.ascontiguousarray(values)
        if self.text:  # pandas stores text as UTF-8 bytes
            return np.char.decode(values, "utf-8", "replace").astype(object)
        return values.astype(bool) if self.boolean else values


def _kind_of(dtype, why=None):
    """None for a numeric column, else why it is not one."""
    if why is not None or dtype.kind not in "biuf":
        return f"not numeric ({why or dtype})"
    return None


_PICKLED = "Python objects, which pandas stores with pickle"


def _member(group, name):
    """``group[name]``, refusing what would make h5py read another file.

    An external or soft link, a dataset stored in external files or a
    virtual dataset could point at any file on the machine, whose bytes
    would then come back as event data (and into ``apply``'s output).
    """
    h5py = _import_h5py()
    link = group.get(name, getlink=True)
    if link is None:
        raise ValueError(f"{group.name} has no member {name!r}: the file is damaged")
    if not isinstance(link, h5py.HardLink):
        raise ValueError(f"{group.name.rstrip('/')}/{name} is a link ({type(link).__name__}) "
                         "that may point into another file; refused")
    node = group[name]
    if isinstance(node, h5py.Dataset):
        plist = node.id.get_create_plist()
        if plist.get_layout() == h5py.h5d.VIRTUAL or plist.get_external_count():
            raise ValueError(f"{node.name} stores its values in other files; refused")
    return node


def _is_objects(dataset):
    return _text(dataset, "CLASS") == "VLARRAY" or dataset.dtype.kind == "O"


class PandasHDF5:
    """The pandas tables of one HDF5 file, read with h5py.

    Parameters
    ----------
    path : str
        The file.
    key : str or None
        The table; None when the file holds exactly one.
    """

    def __init__(self, path, key):
        h5py = _import_h5py()
        try:
            self.file = h5py.File(path, "r")
        except OSError as exc:
            raise ValueError(f"cannot open it as an HDF5 file ({exc})") from exc
        self.keys = self._tables()
        self.key = key

    def close(self):
        self.file.close()

    def _tables(self):
        """Every group pandas wrote a table into (it has a ``pandas_type``)."""
        found = []

        def visit(name, node):
            if "pandas_type" in node.attrs and not name.split("/")[-1].startswith("_i_"):
                found.append(name)

        self.file.visititems(visit)
        return found

    def columns(self):
        """Map each column name to a :class:`_Column`, in the frame's order."""
        group = self.file["/"]
        for part in self.key.strip("/").split("/"):
            group = _member(group, part)
        kind = _text(group, "pandas_type")
        if kind == "frame":
            return self._fixed_frame(group)
        if kind == "series":
            return self._fixed_series(group)
        if kind == "frame_table":
            return self._table_frame(group)
        raise ValueError(
            f"holds a pandas {kind!r} object; load_ntuples reads DataFrames written with "
            "DataFrame.to_hdf"
        )

    def _fixed_frame(self, group):
        order = _names(_member(group, "axis0"), "axis0")
        n_rows = len(_member(group, "axis1"))
        found = {}
        for i in range(int(_attribute(group, "nblocks") or 0)):
            names = _names(_member(group, f"block{i}_items"), f"block{i}_items")
            values = _member(group, f"block{i}_values")
            if _is_objects(values):
                for name in names:
                    _add_once(found, name, _Column(values, why=_PICKLED))
                continue
            transposed = bool(_attribute(values, "transposed"))
            why = _kind_of(values.dtype, _text(values, "value_type"))
            columns = [_Column(values, why=why, index=j, transposed=transposed)
                       for j in range(len(names))]
            width = values.shape[1 if transposed else 0] if values.ndim == 2 else -1
            if width != len(names) or columns[0].n_rows != n_rows:
                raise ValueError(
                    f"block {i} ({', '.join(names)}) has the shape {values.shape}, "
                    f"not ({n_rows}, {len(names)}): the file is damaged"
                )
            for name, column in zip(names, columns):
                _add_once(found, name, column)
        missing = [name for name in order if name not in found]
        if missing:
            raise ValueError(f"has no values for the columns {missing}: the file is damaged")
        return {name: found[name] for name in order}

    def _fixed_series(self, group):
        values = _member(group, "values")
        name = _pickled(group, "name")  # PyTables pickles a None name
        if isinstance(name, bytes):
            name = name.decode("utf-8", "replace")
        if not isinstance(name, str):
            name = self.key.split("/")[-1]
        if _is_objects(values):
            return {name: _Column(values, why=_PICKLED)}
        if values.ndim != 1:
            raise ValueError(f"its values have the shape {values.shape}: the file is damaged")
        return {name: _Column(values, why=_kind_of(values.dtype, _text(values, "value_type")))}

    def _table_frame(self, group):
        table = _member(group, "table")
        if table.dtype.names is None or table.ndim != 1:
            raise ValueError("its 'table' is not a table of records: the file is damaged")
        found = {}
        for field in table.dtype.names:
            kind = _pickled(table, f"{field}_kind")
            if not isinstance(kind, list):  # an index column
                continue
            names = [str(k) for k in kind]
            dtype = table.dtype[field]
            if dtype.shape not in ((), (len(names),)):
                raise ValueError(f"the field {field!r} has the shape {dtype.shape} but "
                                 f"names {len(names)} columns: the file is damaged")
            meta = _pickled(table, f"{field}_meta")
            if isinstance(meta, bytes):  # pandas writes "str" as plain text
                meta = meta.decode("utf-8", "replace")
            stored = _text(table, f"{field}_dtype") or str(dtype.base)
            why = None
            if meta is not None or not stored.startswith(_NUMERIC_KINDS):
                why = meta if isinstance(meta, str) else stored
            why = _kind_of(dtype.base, why)
            for j, name in enumerate(names):
                column = _Column(table, why=why, field=field,
                                 index=j if dtype.shape else None)
                column.boolean = stored == "bool"
                _add_once(found, name, column)
        order = []
        axes = _pickled(group, "non_index_axes")
        if isinstance(axes, list) and axes and isinstance(axes[0], tuple) and (
            len(axes[0]) == 2 and isinstance(axes[0][1], list)
        ):
            order = [str(name) for name in axes[0][1] if str(name) in found]
        return {name: found[name] for name in order + [n for n in found if n not in order]}
