"""``physml-sklearn example-files``: the event files the README's own-files command reads.

``wz.root`` (tree ``events``, the signal), ``zz.parquet`` (the background) and
``data.root`` (tree ``events``, events to score): :func:`make_diboson` events
with an ``event_number`` column (unique integers across the three files) and
a ``weight`` column (the expected events at 139 fb^-1 each simulated event
stands for; 1 for the data). The units travel with the files: in the Parquet
file as the ``unit`` metadata of each column, in the ROOT files in the tree
title (``"... units: lep1_pt [GeV], ..., n_jets []"``), since uproot writes
each branch's title itself; :func:`load_ntuples` reads both.
"""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import os
import shlex
import tempfile
from pathlib import Path

from . import CommandError
from ._io import check_can_make

#: the files, in the order they are written
FILES = ("wz.root", "zz.parquet", "data.root")
#: offsets of the event numbers, so that they are unique across the files
_FIRST_EVENT = {"wz.root": 1_000_000, "zz.parquet": 2_000_000, "data.root": 3_000_000}


def _events(n, process, seed):
    """``n`` selected events of one process as a DataFrame with their weights."""
    from ..datasets import make_diboson

    events = make_diboson(n, processes=(process,), random_state=seed, as_frame=True)
    return events.data, events.sample_weight, events.feature_units


def _data_sample(n, yields, seed):
    """``n`` events of WZ and ZZ in the proportion of their expected yields, weight 1."""
    import numpy as np
    import pandas as pd

    n_wz = round(n * yields["WZ"] / (yields["WZ"] + yields["ZZ"]))
    wz, _, _ = _events(max(n_wz, 1), "WZ", seed)
    zz, _, _ = _events(max(n - n_wz, 1), "ZZ", seed + 1)
    frame = pd.concat([wz, zz], ignore_index=True)
    order = np.random.default_rng(seed).permutation(len(frame))
    return frame.iloc[order].reset_index(drop=True), np.ones(len(frame))


def _with_columns(frame, weight, name):
    import numpy as np

    frame = frame.copy()
    frame.insert(0, "event_number", _FIRST_EVENT[name] + np.arange(len(frame), dtype=np.int64))
    frame["weight"] = np.asarray(weight, dtype=np.float64)
    return frame


def _tree_title(what, units):
    listed = ", ".join(f"{name} [{unit}]" for name, unit in units.items())
    return f"{what} (physml-sklearn example-files); units: {listed}"


def _write_root(frame, path, title):
    import uproot

    with uproot.recreate(path) as file:
        file.mktree("events", {c: frame[c].dtype for c in frame.columns}, title=title)
        file["events"].extend({c: frame[c].to_numpy() for c in frame.columns})


def _write_parquet(frame, path, units):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = [
        field.with_metadata({"unit": units[field.name]}) if field.name in units else field
        for field in table.schema
    ]
    pq.write_table(table.cast(pa.schema(fields, metadata=table.schema.metadata)), path)


def _write_atomically(path, write):
    """``write(temporary)`` in ``path``'s folder, synced, then renamed onto ``path``."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".tmp")
    os.close(handle)
    try:
        write(temporary)
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # as an ordinary new file, not mkstemp's 0600
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def run(args):
    """Run ``physml-sklearn example-files``."""
    folder = Path(args.folder)
    if args.n_events < 100:
        raise CommandError(
            f"--n-events {args.n_events}: too few to train on; give at least 100"
        )
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"DIR {folder}: exists and is not a folder")
    check_can_make(folder, "DIR")
    existing = [name for name in FILES if (folder / name).exists()]
    if existing and not args.overwrite:
        raise CommandError(
            f"{folder}: {', '.join(existing)} already exist; pass --overwrite to "
            "replace them, or give another folder"
        )
    try:
        import uproot  # noqa: F401
    except ImportError as exc:
        raise CommandError(
            f'writing ROOT files needs uproot: pip install "physml-sklearn[root]" ({exc})'
        ) from None
    seed, n = args.random_state, args.n_events
    try:
        wz, wz_weight, units = _events(n, "WZ", seed)
        zz, zz_weight, _ = _events(n, "ZZ", seed + 1)
        data, data_weight = _data_sample(n, {"WZ": wz_weight.sum(), "ZZ": zz_weight.sum()},
                                         seed + 2)
    except MemoryError as exc:
        raise CommandError(f"--n-events {n:,}: {exc}") from None
    folder.mkdir(parents=True, exist_ok=True)
    units = {"event_number": "", **units}
    written = [
        ("wz.root", _with_columns(wz, wz_weight, "wz.root"),
         "signal: WZ -> 3 leptons + neutrino", "WZ events"),
        ("zz.parquet", _with_columns(zz, zz_weight, "zz.parquet"),
         "background: ZZ -> 4 leptons, one lost", None),
        ("data.root", _with_columns(data, data_weight, "data.root"),
         "to score: WZ and ZZ mixed as in the expected yields, weight 1",
         "Pseudo-data: WZ and ZZ events"),
    ]
    for name, frame, what, title in written:
        path = folder / name
        if name.endswith(".root"):
            _write_atomically(path, lambda tmp, f=frame, t=title: _write_root(
                f, tmp, _tree_title(t, units)))
        else:
            _write_atomically(path, lambda tmp, f=frame: _write_parquet(f, tmp, units))
        where = f"{path}:events" if name.endswith(".root") else str(path)
        print(f"wrote {where}: {len(frame):,} events ({what})")

    def at(name):
        return shlex.quote(str(folder / name)) if str(folder) != "." else name

    print("next, train a classifier on them and score the data:")
    print(f"  physml-sklearn train --signal {at('wz.root')}:events --background "
          f"{at('zz.parquet')} --weight weight --fold-column event_number --out wz_vs_zz")
    print(f"  physml-sklearn apply wz_vs_zz/model.physml {at('data.root')}:events "
          "--out data_scored.parquet")
    return 0
