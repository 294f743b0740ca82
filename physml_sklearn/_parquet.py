"""The sizes a Parquet file declares, checked before Arrow reads it.

Arrow reads the rows of every row group, whatever the footer's total says,
and inflates each page of a column chunk to the size the page's header
declares before it decodes a value: a page of a few kilobytes of compressed
zeros can declare two gigabytes (a decompression bomb), and the footer's
sizes do not bound it. So the rows, the column chunks and the headers of the
pages themselves are checked first. Kept free of pandas: ``apply`` scores
Parquet files without it. A page header is a Thrift struct in the compact
protocol (https://github.com/apache/parquet-format, ``PageHeader``):
``uncompressed_page_size`` is its field 2 and ``compressed_page_size`` its
field 3; the next page starts after the header and the compressed bytes.
"""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

from ._memory import refuse_beyond_memory, refuse_columns_beyond_memory, refuse_inflation

#: bytes per value of the Parquet physical types of numbers
WIDTHS = {"BOOLEAN": 1, "INT32": 4, "INT64": 8, "FLOAT": 4, "DOUBLE": 8}

#: the largest page header read; Arrow's own limit (kDefaultMaxPageHeaderSize)
MAX_HEADER_BYTES = 16 * 1024 * 1024
#: Thrift compact types: bool true/false, i8, i16, i32, i64, double, binary,
#: list, set, map, struct
_BOOL_TRUE, _BOOL_FALSE, _I8, _I16, _I32, _I64, _DOUBLE = 1, 2, 3, 4, 5, 6, 7
_BINARY, _LIST, _SET, _MAP, _STRUCT = 8, 9, 10, 11, 12
#: how deep values may nest (a page header nests three levels)
_MAX_DEPTH = 16


class _Truncated(Exception):
    """The buffer ended inside the header: read more of the file."""


class _Reader:
    """Thrift compact protocol values from a bytes buffer."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def byte(self):
        if self.pos >= len(self.data):
            raise _Truncated
        self.pos += 1
        return self.data[self.pos - 1]

    def varint(self):
        value = shift = 0
        while True:
            byte = self.byte()
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7
            if shift > 70:
                raise ValueError("a varint longer than ten bytes")

    def zigzag(self):
        value = self.varint()
        return (value >> 1) ^ -(value & 1)

    def skip_bytes(self, n):
        if self.pos + n > len(self.data):
            raise _Truncated
        self.pos += n

    def skip(self, kind, depth, element=False):
        """Skip a value; a bool is one byte as an element of a list, set or map,
        none as a field (its value is in the field's type)."""
        if depth > _MAX_DEPTH:
            raise ValueError("values nested too deep")
        if kind in (_BOOL_TRUE, _BOOL_FALSE, _I8):
            if kind == _I8 or element:
                self.byte()
        elif kind in (_I16, _I32, _I64):
            self.varint()
        elif kind == _DOUBLE:
            self.skip_bytes(8)
        elif kind == _BINARY:
            self.skip_bytes(self.varint())
        elif kind in (_LIST, _SET):
            header = self.byte()
            size, kind_of_elements = header >> 4, header & 0x0F
            if size == 15:
                size = self.varint()
            for _ in range(size):
                self.skip(kind_of_elements, depth + 1, element=True)
        elif kind == _MAP:
            size = self.varint()
            if size:
                types = self.byte()
                for _ in range(size):
                    self.skip(types >> 4, depth + 1, element=True)
                    self.skip(types & 0x0F, depth + 1, element=True)
        elif kind == _STRUCT:
            self.struct(depth + 1)
        else:
            raise ValueError(f"unknown Thrift type {kind}")

    def struct(self, depth=0, wanted=()):
        """Read a struct; return the values of the ``wanted`` i32 fields by id."""
        if depth > _MAX_DEPTH:
            raise ValueError("values nested too deep")
        found, field = {}, 0
        while True:
            header = self.byte()
            if header == 0:  # stop
                return found
            delta, kind = header >> 4, header & 0x0F
            field = field + delta if delta else self.zigzag()
            if field in wanted and kind == _I32:
                found[field] = self.zigzag()
            else:
                self.skip(kind, depth)


def page_sizes(handle, start, length):
    """The (uncompressed, compressed) sizes of the pages of a column chunk.

    Parameters
    ----------
    handle : binary file
        The Parquet file, open for reading.
    start : int
        Where the chunk's first page starts (its dictionary page, if any).
    length : int
        The chunk's compressed size (headers included), from the footer.

    Raises
    ------
    ValueError
        A header that cannot be read, a size that is negative, or pages
        that do not end where the chunk ends.
    """
    sizes = []
    position, end = start, start + length
    while position < end:
        header, size = None, 256
        while header is None:
            handle.seek(position)
            reader = _Reader(handle.read(min(size, end - position)))
            try:
                header = reader.struct(wanted=(2, 3))
            except _Truncated:
                if size >= MAX_HEADER_BYTES or len(reader.data) < size:
                    raise ValueError(f"the page header at byte {position:,} is cut off or "
                                     "longer than 16 MB") from None
                size = min(16 * size, MAX_HEADER_BYTES)
        if 2 not in header or 3 not in header:
            raise ValueError(f"the page header at byte {position:,} gives no page size")
        uncompressed, compressed = header[2], header[3]
        if uncompressed < 0 or compressed < 0:
            raise ValueError(f"the page header at byte {position:,} declares a negative size")
        sizes.append((uncompressed, compressed))
        position += reader.pos + compressed
    if position != end:
        raise ValueError(f"its pages end at byte {position:,}, not at byte {end:,} where the "
                         "footer says the column chunk ends")
    return sizes


def _declared_bytes(handle, chunk, where):
    """The bytes a column chunk declares: the footer's size, or its pages' if larger."""
    start = chunk.data_page_offset
    if chunk.has_dictionary_page and 0 < chunk.dictionary_page_offset < start:
        start = chunk.dictionary_page_offset  # where Arrow starts, too
    try:
        pages = page_sizes(handle, start, chunk.total_compressed_size)
    except ValueError as exc:
        raise ValueError(f"{where}: the column {chunk.path_in_schema!r}: {exc}; the file "
                         "is damaged, and is not read.") from None
    return max(chunk.total_uncompressed_size, sum(size for size, _ in pages))


def check_parquet_sizes(path, meta, columns, where):
    """Check the rows, column chunks and pages a Parquet file declares.

    Parameters
    ----------
    path : str or path-like
        The file.
    meta : pyarrow.parquet.FileMetaData
        Its footer.
    columns : list of str
        The columns that will be read.
    where : str
        How the messages name the file.

    Raises
    ------
    ValueError
        Rows that do not add up, a page header that cannot be read, or a
        column of numbers declaring more than twice its values' bytes (a
        decompression bomb).
    MemoryError
        Columns declaring more than the free memory.
    """
    groups = [meta.row_group(i) for i in range(meta.num_row_groups)]
    n_rows = sum(group.num_rows for group in groups)
    if n_rows != meta.num_rows:
        raise ValueError(
            f"{where}: the file declares {meta.num_rows:,} rows but its row groups hold "
            f"{n_rows:,}: it is damaged or was edited, and is not read."
        )
    refuse_columns_beyond_memory(where, n_rows, len(columns), 8 * len(columns))
    wanted = set(columns)
    text = 0  # the bytes of the columns that are not numbers
    with open(path, "rb", buffering=0) as handle:  # a few hundred bytes per page
        for group in groups:
            for j in range(group.num_columns):
                chunk = group.column(j)
                if chunk.path_in_schema not in wanted:
                    continue
                declared = _declared_bytes(handle, chunk, where)
                width = WIDTHS.get(chunk.physical_type)
                if width is None:
                    text += declared
                    continue
                refuse_inflation(
                    where, f"the column {chunk.path_in_schema!r}", declared, group.num_rows,
                    width, f"{group.num_rows:,} values of {width} byte(s) in a row group",
                )
    refuse_beyond_memory(
        text, f"{where}: its columns of text declare",
        ": the file is damaged or built to exhaust memory, and is not read.",
    )
