"""A corpus of hostile model files, generated here: none may run code, write
a file, import a module it names, or exhaust memory.

Each file is a small fitted model's file, edited the way an attacker would.
Every case asserts the exception type; the cases that carry a payload assert
that its canary file does not exist; :func:`_watch` records, through a
Python audit hook, every file opened for writing, every process started and
every module imported while ``load`` runs, and the bombs are loaded in a
child process that reports its peak memory growth (``VmHWM``) and time.
"""

import contextlib
import io
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from physml_sklearn import DropoutMLPClassifier, SoftmaxMLPClassifier, load, save
from physml_sklearn.persistence import ModelFileError, UntrustedTypeError, get_untrusted_types

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

# -- recording what load does ---------------------------------------------------------
_WATCH = {"on": False, "events": []}
_PROCESS_EVENTS = ("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                   "subprocess.Popen", "ctypes.dlopen", "os.putenv", "os.unsetenv")


def _hook(event, args):
    if not _WATCH["on"]:
        return
    if event == "open":
        path, mode, flags = (tuple(args) + (None, None))[:3]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
        )
        if writes:
            _WATCH["events"].append(("write", str(path)))
    elif event in _PROCESS_EVENTS:
        _WATCH["events"].append((event, repr(args)[:200]))
    elif event == "import":
        _WATCH["events"].append(("import", str(args[0])))


sys.addaudithook(_hook)  # audit hooks cannot be removed: this one records only in _watch


@contextlib.contextmanager
def _watch(folder):
    """Record what the block does; fail if it writes outside ``folder`` or
    starts a process."""
    _WATCH["events"] = []
    _WATCH["on"] = True
    try:
        yield _WATCH["events"]
    finally:
        _WATCH["on"] = False
    folder = os.path.realpath(folder)
    for kind, detail in _WATCH["events"]:
        if kind == "write":
            assert os.path.realpath(detail).startswith(folder + os.sep), detail
        assert kind in ("write", "import"), (kind, detail)


def _refused(path, exception, folder, *, trusted=None, match=None, canary=None):
    """Load ``path``: it must raise ``exception``, write nothing outside
    ``folder``, start no process and leave no ``canary``."""
    with _watch(folder) as events, pytest.raises(exception, match=match) as info:
        model = load(path, trusted=trusted)
        # a file that loads anyway gets its chance to run its payload
        model.predict_proba(np.zeros((2, 3)))
    assert type(info.value) is exception
    if canary is not None:
        assert not canary.exists()
    return events


# -- the model file the attacks start from ---------------------------------------------
X = np.random.RandomState(0).normal(size=(60, 3))
Y = X[:, 0] > 0


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The members of a small pipeline's model file."""
    model = make_pipeline(StandardScaler(),
                          DropoutMLPClassifier((4,), max_epochs=1, random_state=0)).fit(X, Y)
    path = save(model, tmp_path_factory.mktemp("base") / "m.physml")
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def _write(path, members, compressed=("model.json",)):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            method = zipfile.ZIP_DEFLATED if name in compressed else zipfile.ZIP_STORED
            archive.writestr(name, data, compress_type=method)
    return path


def _edited(tmp_path, base, edit, name="edited.physml"):
    """The base file with its manifest passed through ``edit``."""
    members = dict(base)
    manifest = json.loads(members["model.json"])
    result = edit(manifest)
    if not isinstance(result, bytes):
        result = json.dumps(manifest if result is None else result).encode()
    members["model.json"] = result
    return _write(tmp_path / name, members)


def _neural(manifest):
    """The JSON node of the network of the base file."""
    return manifest["model"]["state"]["steps"][1]["items"][1]


def _member(base, prefix):
    return next(n for n in base if n.startswith(prefix))


# -- 1. a saved model that runs code when it predicts --------------------------------------
def _runstring_pipeline():
    from numpy.testing._private.utils import runstring

    net = DropoutMLPClassifier((4,), max_epochs=1, random_state=0).fit(X, Y)
    steps = make_pipeline(
        FunctionTransformer(np.full_like, kw_args={"fill_value": "open('PWNED', 'w')",
                                                   "dtype": "O"}),
        FunctionTransformer(np.max),
        FunctionTransformer(runstring, kw_args={"dict": {}}),
        net,
    )
    for _, step in steps.steps[:-1]:
        step.fit(X)
    return steps


PAYLOAD_NAMES = ["numpy.testing._private.utils:runstring", "numpy:full_like", "numpy:max"]


def test_save_refuses_a_model_that_load_would_refuse(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = _runstring_pipeline()
    with pytest.raises(UntrustedTypeError, match="numpy.testing._private.utils:runstring"):
        save(model, tmp_path / "m.physml")
    assert list(tmp_path.iterdir()) == []  # neither the file nor a partial one
    # another callable: a numpy function outside the ufuncs
    clip = FunctionTransformer(np.clip, kw_args={"a_min": 0, "a_max": 1}).fit(X)
    with pytest.raises(UntrustedTypeError, match=r"numpy:clip.*trusted=\['numpy:clip'\]"):
        save(clip, tmp_path / "c.physml")
    assert list(tmp_path.iterdir()) == []


def test_code_at_predict_is_refused_at_load(tmp_path, monkeypatch):
    """The file, written by trusting its functions, loads only when the
    caller trusts them too; the payload never runs."""
    monkeypatch.chdir(tmp_path)
    path = save(_runstring_pipeline(), tmp_path / "e.physml", trusted=PAYLOAD_NAMES)
    assert get_untrusted_types(path) == sorted(PAYLOAD_NAMES)
    _refused(path, UntrustedTypeError, tmp_path, match="runstring", canary=tmp_path / "PWNED")
    # trusting one of the three is not enough
    _refused(path, UntrustedTypeError, tmp_path, trusted=["numpy:max"],
             match="runstring", canary=tmp_path / "PWNED")


@pytest.mark.parametrize("func, name", [
    (np.clip, "numpy:clip"),
    (np.lib.format.read_array, "numpy.lib.format:read_array"),
    (np.save, "numpy:save"),
])
def test_other_callables_are_refused(func, name, tmp_path):
    model = make_pipeline(FunctionTransformer(func),
                          DropoutMLPClassifier((4,), max_epochs=1, random_state=0))
    model.steps[0][1].fit(X)
    model.steps[1][1].fit(X, Y)
    path = save(model, tmp_path / "m.physml", trusted=[name])
    assert get_untrusted_types(path) == [name]
    _refused(path, UntrustedTypeError, tmp_path, match=name)


def test_a_method_or_a_partial_in_a_skops_member_is_refused(tmp_path, base):
    """Edit the scaler's skops schema: its ``copy`` parameter becomes a bound
    method, then a ``functools.partial`` of ``os.system``."""
    name = _member(base, "skops/")
    with zipfile.ZipFile(io.BytesIO(base[name])) as inner:
        parts = {n: inner.read(n) for n in inner.namelist()}
    schema = json.loads(parts["schema.json"])
    attacks = {
        "sklearn.preprocessing._data.StandardScaler.fit": {
            "__class__": "StandardScaler", "__module__": "sklearn.preprocessing._data",
            "__loader__": "MethodNode",
            "content": {"func": "fit", "obj": {k: v for k, v in schema.items()}},
        },
        "functools:partial": {
            "__class__": "partial", "__module__": "functools", "__loader__": "PartialNode",
            "content": {
                "func": {"__class__": "system", "__module__": "posix",
                         "__loader__": "FunctionNode"},
                "args": {"__class__": "tuple", "__module__": "builtins",
                         "__loader__": "TupleNode", "content": []},
                "kwds": {"__class__": "dict", "__module__": "builtins",
                         "__loader__": "DictNode", "content": {}},
                "namespace": {"__class__": "dict", "__module__": "builtins",
                              "__loader__": "DictNode", "content": {}},
            },
        },
    }
    for shown, node in attacks.items():
        edited = json.loads(parts["schema.json"])
        edited["content"]["content"]["copy"] = node
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as inner:
            for n, data in {**parts, "schema.json": json.dumps(edited).encode()}.items():
                inner.writestr(n, data)
        path = _write(tmp_path / "m.physml", {**base, name: buffer.getvalue()})
        _refused(path, UntrustedTypeError, tmp_path, match=shown.split(":")[-1])


# -- 2. a name imported before it is checked ----------------------------------------------
@pytest.mark.parametrize("name", [
    "numpy.f2py.__main__:main", "numpy.conftest:pytest", "numpy.f2py.__main__:Foo",
    "os:system", "builtins:eval", "subprocess:Popen", "numpy.testing:run_module_suite",
])
@pytest.mark.parametrize("where", ["neural", "object", "type", "skops"])
def test_names_are_checked_before_any_import(name, where, tmp_path, base, monkeypatch):
    module = name.split(":")[0]
    for loaded in [m for m in sys.modules if m == module or m.startswith(module + ".")]:
        if module.startswith("numpy."):
            monkeypatch.delitem(sys.modules, loaded)
    environ = dict(os.environ)
    members = dict(base)
    manifest = json.loads(members["model.json"])
    if where == "neural":
        _neural(manifest)["class"] = name
    elif where == "object":
        manifest["model"]["class"] = name
    elif where == "type":
        _neural(manifest)["state"]["optimizer"] = {"__kind__": "type", "name": name}
    else:
        skops = _member(base, "skops/")
        with zipfile.ZipFile(io.BytesIO(base[skops])) as inner:
            parts = {n: inner.read(n) for n in inner.namelist()}
        schema = json.loads(parts["schema.json"])
        schema["content"]["content"]["copy"] = {
            "__class__": name.split(":")[1], "__module__": module, "__loader__": "FunctionNode"}
        parts["schema.json"] = json.dumps(schema).encode()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as inner:
            for n, data in parts.items():
                inner.writestr(n, data)
        members[skops] = buffer.getvalue()
    members["model.json"] = json.dumps(manifest).encode()
    path = _write(tmp_path / "m.physml", members)
    argv = list(sys.argv)
    events = _refused(path, UntrustedTypeError, tmp_path, match=name.split(":")[1])
    assert module not in sys.modules or not module.startswith("numpy.")
    assert not [e for e in events if e[0] == "import" and e[1].startswith(module)]
    assert dict(os.environ) == environ and sys.argv == argv
    with pytest.raises(UntrustedTypeError):
        get_untrusted_types(path) and load(path)
    assert name in get_untrusted_types(path)


def test_trusted_argument_is_checked(tmp_path, base):
    path = _write(tmp_path / "m.physml", base)
    for bad in ("numpy:clip", "numpy.clip", [3], ["os.system"]):
        with pytest.raises(ValueError, match="trusted"):
            load(path, trusted=bad)


# -- 4. and 5. bombs: loaded in a child process that measures its peak memory ---------------
_CHILD = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
from physml_sklearn.persistence import load
import safetensors.torch, skops.io, skorch.history  # the imports load makes
load(sys.argv[1])  # a valid file first: what any load imports is imported
# a failed defence must not take the shared machine down: 2 GiB more at most
limit = status("VmPeak") + 2 * 2**30
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
before = status("VmHWM")
results = {}
for path in sys.argv[2:]:
    start = time.perf_counter()
    try:
        load(path)
        error = None
    except BaseException as exc:
        error = type(exc).__name__
    results[path] = {"error": error, "growth": status("VmHWM") - before,
                     "seconds": time.perf_counter() - start}
print(json.dumps(results))
"""

#: peak memory growth allowed while refusing a bomb (each would take GBs)
MAX_GROWTH = 64 * 2**20
#: time allowed to refuse a bomb, generous for a loaded machine
MAX_SECONDS = 10.0


def _zeros_member(archive, name, n, prefix=b""):
    """Add a deflated member of ``prefix`` and ``n`` zero bytes, written in
    chunks (the test never holds them in memory)."""
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    # level 1 is fast: 256 MiB of zeros in about 1 MiB
    setattr(info, "compress_level" if hasattr(info, "compress_level") else "_compresslevel", 1)
    chunk = bytes(2**24)
    with archive.open(info, "w") as stream:
        stream.write(prefix)
        for start in range(0, n, len(chunk)):
            stream.write(chunk[: min(len(chunk), n - start)])


def _declare_size(path, name, size):
    """Make the zip directory and the local header of ``name`` in ``path``
    declare ``size`` bytes once inflated: a lie."""
    with zipfile.ZipFile(path) as archive:
        start, offset = archive.start_dir, archive.getinfo(name).header_offset
    data = bytearray(path.read_bytes())
    data[offset + 22: offset + 26] = size.to_bytes(4, "little")
    position = data.index(b"PK\x01\x02", start)
    while position >= 0:
        length = int.from_bytes(data[position + 28: position + 30], "little")
        if data[position + 46: position + 46 + length] == name.encode():
            data[position + 24: position + 28] = size.to_bytes(4, "little")
        position = data.find(b"PK\x01\x02", position + 4)
    path.write_bytes(bytes(data))


def _npy(shape, dtype="<f8", data=b""):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": dtype, "fortran_order": False, "shape": shape})
    return header.getvalue() + data


def _bombs(folder, base):
    """{name: path} of the bomb files."""
    paths = {}
    big = 256 * 2**20  # what each bomb inflates to, beyond the memory bound
    npy = _member(base, "arrays/")
    weights = _member(base, "weights/")
    header = _npy((big // 8,))

    # a .npy member that inflates to 256 MiB from 256 KiB
    path = folder / "zip_bomb.physml"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in base.items():
            if name != npy:
                archive.writestr(name, data)
        _zeros_member(archive, npy, big, header)
    paths["zip_bomb"] = path

    # a manifest that inflates to 256 MiB, honestly declared
    path = folder / "manifest_bomb.physml"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in base.items():
            if name != "model.json":
                archive.writestr(name, data)
        _zeros_member(archive, "model.json", big, b'{"format": "physml-sklearn-model", "a": "')
    paths["manifest_bomb"] = path

    # the same manifest, its size in the zip directory a lie (1 KiB)
    path = folder / "zip_bomb_lying_size.physml"
    path.write_bytes(paths["manifest_bomb"].read_bytes())
    _declare_size(path, "model.json", 1024)
    paths["zip_bomb_lying_size"] = path

    # a 200-byte .npy header that claims 10**12 float64
    paths["npy_header_bomb"] = _write(folder / "npy_header.physml",
                                      {**base, npy: _npy((10**12,))})
    # a safetensors header that claims a (10**6, 10**6) tensor
    claim = json.dumps({"module_.0.weight": {"dtype": "F32", "shape": [10**6, 10**6],
                                             "data_offsets": [0, 4 * 10**12]}}).encode()
    paths["safetensors_bomb"] = _write(
        folder / "safetensors.physml",
        {**base, weights: len(claim).to_bytes(8, "little") + claim + bytes(64)})
    # a safetensors header length of 10**15
    paths["safetensors_length_bomb"] = _write(
        folder / "safetensors_length.physml",
        {**base, weights: (10**15).to_bytes(8, "little") + b"{}"})

    # tiny files, huge allocations: a 30000 x 30000 network for small weights
    def wide(manifest):
        _neural(manifest)["state"]["hidden_layer_sizes"] = {
            "__kind__": "tuple", "items": [30000, 30000]}

    paths["network_bomb"] = _edited(folder, base, wide, "network.physml")

    # a scalar of dtype |S2000000000
    def scalar(manifest):
        _neural(manifest)["state"]["tol"] = {"__kind__": "scalar", "dtype": "|S2000000000",
                                             "value": "a"}

    paths["scalar_bomb"] = _edited(folder, base, scalar, "scalar.physml")

    # an object array of shape (10**9, 10**9)
    def objects(manifest):
        _neural(manifest)["state"]["loss_curve_"] = {
            "__kind__": "object_array", "shape": [2**32, 2**32], "items": []}

    paths["object_array_bomb"] = _edited(folder, base, objects, "objects.physml")

    # a skops member whose inner .npy inflates to 256 MiB
    skops = _member(base, "skops/")
    with zipfile.ZipFile(io.BytesIO(base[skops])) as inner:
        parts = {n: inner.read(n) for n in inner.namelist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as inner:
        for n, data in parts.items():
            if not n.endswith(".npy"):
                inner.writestr(n, data)
        _zeros_member(inner, next(n for n in parts if n.endswith(".npy")), big, header)
    paths["skops_bomb"] = _write(folder / "skops.physml", {**base, skops: buffer.getvalue()})

    # deeply nested JSON
    members = dict(base)
    members["model.json"] = b'{"format": "physml-sklearn-model", "a": ' + b"[" * 10**6
    paths["deep_json"] = _write(folder / "deep.physml", members)
    return paths


@pytest.fixture(scope="module")
def bombs(tmp_path_factory, base):
    folder = tmp_path_factory.mktemp("bombs")
    paths = _bombs(folder, base)
    valid = _write(tmp_path_factory.mktemp("valid") / "m.physml", base)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(valid), *map(str, paths.values())],
        capture_output=True, text=True, cwd=folder, env=env, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    return folder, paths, {name: results[str(p)] for name, p in paths.items()}


BOMBS = ["zip_bomb", "zip_bomb_lying_size", "manifest_bomb", "npy_header_bomb",
         "safetensors_bomb", "safetensors_length_bomb", "network_bomb", "scalar_bomb",
         "object_array_bomb", "skops_bomb", "deep_json"]


@pytest.mark.parametrize("name", BOMBS)
def test_bombs_are_refused_within_bounds(name, bombs):
    folder, paths, results = bombs
    result = results[name]
    assert result["error"] == "ModelFileError", result
    assert result["growth"] < MAX_GROWTH, result
    assert result["seconds"] < MAX_SECONDS, result
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in paths.values())
    # the same refusal in this process, writing nothing
    _refused(paths[name], ModelFileError, folder)


def test_bombs_are_what_they_claim(bombs, base):
    """The bombs are valid zip files whose members inflate as claimed: the
    guard, not a broken file, refuses them."""
    _, paths, _ = bombs
    for name, member in (("zip_bomb", _member(base, "arrays/")),
                         ("manifest_bomb", "model.json")):
        with zipfile.ZipFile(paths[name]) as archive:
            info = archive.getinfo(member)
            assert info.file_size > 2**28 > 200 * info.compress_size
            with archive.open(info) as stream:
                assert len(stream.read(2**20)) == 2**20
    assert paths["manifest_bomb"].stat().st_size < 2**21
    with zipfile.ZipFile(paths["zip_bomb_lying_size"]) as archive:
        assert archive.getinfo("model.json").file_size == 1024


# -- 6. manifests that are inconsistent ----------------------------------------------------
def _set(path_in_manifest, value):
    def edit(manifest):
        node = manifest
        for key in path_in_manifest[:-1]:
            node = _neural(node) if key == "NET" else node[key]
        node[path_in_manifest[-1]] = value

    return edit


MALFORMED = {
    "no_model": lambda m: {k: v for k, v in m.items() if k != "model"},
    "model_is_a_number": _set(["model"], 5),
    "model_is_a_list": _set(["model"], [1, 2]),
    "versions_is_a_list": _set(["versions"], [1, 2]),
    "versions_values": _set(["versions"], {"numpy": 2}),
    "n_features_in_string": _set(["NET", "state", "n_features_in_"], "3"),
    "n_features_in_other": _set(["NET", "state", "n_features_in_"], 4),
    "n_features_in_bool": _set(["NET", "state", "n_features_in_"], True),
    "net_state_class": _set(["NET", "net_state"], {
        "__kind__": "dict", "items": [["__class__", {
            "__kind__": "type", "name": "sklearn.preprocessing._data:StandardScaler"}]]}),
    "net_state_new_attribute": _set(["NET", "net_state"], {
        "__kind__": "dict", "items": [["module_", 3]]}),
    "net_state_other_type": _set(["NET", "net_state"], {
        "__kind__": "dict", "items": [["initialized_", "yes"]]}),
    "state_hides_a_method": _set(["NET", "state", "predict_proba"], 3),
    "state_dunder": _set(["NET", "state", "__class__"], 3),
    "state_not_a_dict": _set(["NET", "state"], [1]),
    "object_array_shape": _set(["NET", "state", "loss_curve_"], {
        "__kind__": "object_array", "shape": [3], "items": [1, 2]}),
    "float_not_a_string": _set(["NET", "state", "tol"], {"__kind__": "float", "value": []}),
    "scalar_object": _set(["NET", "state", "tol"], {"__kind__": "scalar", "dtype": "|O",
                                                     "value": 1}),
    "scalar_void": _set(["NET", "state", "tol"], {"__kind__": "scalar", "dtype": "|V8",
                                                   "value": 1}),
    "scalar_dtype_list": _set(["NET", "state", "tol"], {"__kind__": "scalar",
                                                        "dtype": [["a", "<f8"]], "value": 1}),
    "bad_hidden_layers": _set(["NET", "state", "hidden_layer_sizes"], "wide"),
    "history_not_a_list": _set(["NET", "history"], 3),
    "unknown_kind": _set(["NET", "state", "tol"], {"__kind__": "pickle", "data": "x"}),
    "member_twice": _set(["NET", "state", "extra_"], {"__kind__": "array",
                                                       "file": "arrays/1.npy"}),
    "path_traversal": _set(["NET", "weights"], "../../../etc/passwd"),
    "manifest_as_member": _set(["NET", "weights"], "model.json"),
    "dict_key_list": _set(["NET", "state", "class_weight"], {
        "__kind__": "dict", "items": [[[1], 2]]}),
    "huge_int": lambda m: json.dumps(m).replace('"max_epochs": 1',
                                                '"max_epochs": 1' + "0" * 5000).encode(),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_manifest_raises_model_file_error(name, tmp_path, base):
    path = _edited(tmp_path, base, MALFORMED[name])
    # an object scalar is refused as untrusted: it could hold anything
    _refused(path, UntrustedTypeError if name == "scalar_object" else ModelFileError, tmp_path)


def test_classes_must_fit_the_output_layer(tmp_path):
    binary = DropoutMLPClassifier((4,), max_epochs=1, random_state=0).fit(X, Y)
    three = SoftmaxMLPClassifier((4,), max_epochs=1, random_state=0).fit(
        X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 1))
    for model, classes in ((binary, [0, 1, 2]), (three, [0, 1]), (three, [0, 1, 2, 3]),
                           (binary, [1, 1])):
        path = save(model, tmp_path / "m.physml")
        with zipfile.ZipFile(path) as archive:
            members = {n: archive.read(n) for n in archive.namelist()}
        buffer = io.BytesIO()
        np.save(buffer, np.array(classes))
        members[_member(members, "arrays/")] = buffer.getvalue()
        _write(path, members)
        _refused(path, ModelFileError, tmp_path, match="classes|do not fit")


def test_members_the_manifest_does_not_name_are_refused(tmp_path, base):
    for name, data in [("arrays/99.npy", base[_member(base, "arrays/")]),
                       ("../../evil.npy", b"x"), ("/abs/evil", b"x"), ("script.py", b"x")]:
        path = _write(tmp_path / "m.physml", {**base, name: data})
        _refused(path, ModelFileError, tmp_path)


def test_arrays_and_weights_that_lie_are_refused(tmp_path, base):
    npy, weights = _member(base, "arrays/"), _member(base, "weights/")
    buffer = io.BytesIO()
    np.save(buffer, np.array([None, 1], dtype=object), allow_pickle=True)
    cases = {
        "object array": ({npy: buffer.getvalue()}, UntrustedTypeError),
        "structured array": ({npy: _npy((1,), [("a", "<f8")], bytes(8))}, ModelFileError),
        "short array": ({npy: _npy((2,), "<i8", bytes(8))}, ModelFileError),
        "long array": ({npy: _npy((1,), "<i8", bytes(16))}, ModelFileError),
        "weights truncated": ({weights: base[weights][:-4]}, ModelFileError),
        "weights padded": ({weights: base[weights] + bytes(4)}, ModelFileError),
        "weights renamed": ({weights: base[weights].replace(b"module_.0.weight",
                                                            b"module_.9.weight")},
                            ModelFileError),
        "weights of another dtype": ({weights: base[weights].replace(b'"F32"', b'"I32"')},
                                     ModelFileError),
    }
    for what, (members, exception) in cases.items():
        path = _write(tmp_path / "m.physml", {**base, **members})
        _refused(path, exception, tmp_path)


def test_compressed_arrays_and_truncations_are_refused(tmp_path, base):
    path = _write(tmp_path / "m.physml", base, compressed=tuple(base))
    _refused(path, ModelFileError, tmp_path, match="compressed")
    data = _write(tmp_path / "whole.physml", base).read_bytes()
    for cut in range(0, len(data), max(1, len(data) // 40)):
        cut_path = tmp_path / "cut.physml"
        cut_path.write_bytes(data[:cut])
        _refused(cut_path, ModelFileError, tmp_path)


# -- 7. damaged bytes and meta-estimators whose parts do not fit ---------------------------
def _damage_each(data, n_positions, seed):
    """Copies of ``data`` with one byte changed, at ``n_positions`` spread positions."""
    rng = np.random.RandomState(seed)
    for position in np.linspace(0, len(data) - 1, n_positions).astype(int):
        damaged = bytearray(data)
        damaged[position] = (damaged[position] + 1 + rng.randint(255)) % 256
        yield bytes(damaged)


def _loads_cleanly_or_refuses(path, X_test):
    """A damaged file is refused with ModelFileError or UntrustedTypeError, or
    it loads (the byte was one the file does not depend on, such as a digit
    of a loss curve) and predicts finite numbers."""
    try:
        model = load(path)
    except (ModelFileError, UntrustedTypeError):
        return
    out = (model.predict_weights(X_test) if hasattr(model, "predict_weights")
           else model.predict_proba(X_test))
    assert np.all(np.isfinite(out))


def test_damaged_compressed_members_are_refused(tmp_path, base):
    # the manifest is deflated: damaged bytes inside its deflate stream made
    # zlib.error escape; so did the deflated members of a skops member
    skops = _member(base, "skops/")
    for data in _damage_each(base[skops], 60, seed=0):
        _loads_cleanly_or_refuses(_write(tmp_path / "m.physml", {**base, skops: data}), X)
    whole = _write(tmp_path / "whole.physml", base).read_bytes()
    for data in _damage_each(whole, 120, seed=1):
        (tmp_path / "m.physml").write_bytes(data)
        _loads_cleanly_or_refuses(tmp_path / "m.physml", X)


@pytest.fixture(scope="module")
def meta_files(tmp_path_factory):
    from physml_sklearn import ClassifierReweighter, FoldingClassifier
    from physml_sklearn.inspection import PermutationFeatureElimination

    folder = tmp_path_factory.mktemp("meta")
    net = DropoutMLPClassifier((4,), max_epochs=1, random_state=0)
    models = {
        "elimination": PermutationFeatureElimination(net, cv=2, random_state=0).fit(X, Y),
        "folding": FoldingClassifier(net, n_folds=2, random_state=0).fit(X, Y),
        "reweighter": ClassifierReweighter(net, random_state=0).fit(X[:30], X[30:] + 0.5),
    }
    files = {}
    for name, model in models.items():
        path = save(model, folder / f"{name}.physml")
        with zipfile.ZipFile(path) as archive:
            files[name] = {n: archive.read(n) for n in archive.namelist()}
    return files


def _meta_edit(keys, value):
    def edit(manifest):
        node = manifest["model"]["state"]
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return edit


META_EDITS = {
    # the fold models must give probabilities of the classes of the whole
    "folding: n_features_in_ of another width": ("folding", ["n_features_in_"], 4),
    "folding: an invalid parameter": ("folding", ["n_folds"], "two"),
    "folding: one fold model too few": (
        "folding", ["estimators_"], "DROP_ONE"),
    # a NaN normalisation gave NaN weights from finite input
    "reweighter: NaN target weight sum": (
        "reweighter", ["target_weight_sum_"], {"__kind__": "float", "value": "nan"}),
    "reweighter: negative prior": (
        "reweighter", ["_prior"], {"__kind__": "float", "value": "-1.0"}),
    "reweighter: invalid clip": ("reweighter", ["clip"], "none"),
    # the selection must keep as many features as the final model takes
    "elimination: n_features_in_ of another width": ("elimination", ["n_features_in_"], 2),
}


@pytest.mark.parametrize("case", sorted(META_EDITS))
def test_meta_estimators_whose_parts_do_not_fit_are_refused(case, meta_files, tmp_path):
    name, keys, value = META_EDITS[case]

    def edit(manifest):
        if value == "DROP_ONE":
            manifest["model"]["state"]["estimators_"].pop()
        else:
            _meta_edit(keys, value)(manifest)

    path = _edited(tmp_path, meta_files[name], edit)
    with pytest.raises(ModelFileError, match="invalid parameters|do not fit together"):
        load(path)


def test_fold_models_of_other_classes_are_refused(meta_files, tmp_path):
    members = dict(meta_files["folding"])
    manifest = json.loads(members["model.json"])
    first = manifest["model"]["state"]["estimators_"][0]["state"]["classes_"]["file"]
    buffer = io.BytesIO()
    np.save(buffer, np.array([False, 2]).astype(np.int64))
    members[first] = buffer.getvalue()
    # the first fold model now gives probabilities of the classes [0, 2], the
    # whole knows [False, True]: predict_proba raised an IndexError
    with pytest.raises(ModelFileError):
        load(_write(tmp_path / "m.physml", members))


@pytest.mark.parametrize("name", ["elimination", "folding", "reweighter"])
def test_damaged_meta_estimator_files_load_cleanly_or_are_refused(name, meta_files, tmp_path):
    whole = _write(tmp_path / "whole.physml", meta_files[name]).read_bytes()
    for data in _damage_each(whole, 80, seed=2):
        (tmp_path / "m.physml").write_bytes(data)
        _loads_cleanly_or_refuses(tmp_path / "m.physml", X)


def test_meta_estimators_holding_unfitted_templates_load(tmp_path):
    # the unfitted FoldingClassifier a fitted meta-estimator holds as its
    # `estimator` has no fitted attributes to check: its load must not fail
    from physml_sklearn import ClassifierReweighter, FoldingClassifier
    from physml_sklearn.inspection import PermutationFeatureElimination

    net = DropoutMLPClassifier((4,), max_epochs=1, random_state=0)
    models = [
        PermutationFeatureElimination(FoldingClassifier(net, random_state=0), cv=2,
                                      random_state=0).fit(X, Y),
        ClassifierReweighter(FoldingClassifier(net, random_state=0), random_state=0).fit(
            X[:30], X[30:] + 0.5),
        FoldingClassifier(PermutationFeatureElimination(net, cv=2, random_state=0),
                          random_state=0).fit(X, Y),
    ]
    for k, model in enumerate(models):
        loaded = load(save(model, tmp_path / f"{k}.physml"))
        if hasattr(model, "predict_weights"):
            np.testing.assert_array_equal(loaded.predict_weights(X), model.predict_weights(X))
        else:
            np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


# -- files that are not files ------------------------------------------------------
_NOT_FILES_SCRIPT = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))
from physml_sklearn import load
from physml_sklearn.datasets import load_ntuples
from physml_sklearn.persistence import get_untrusted_types, read_versions
from physml_sklearn.persistence._scoring import read_scorer
for path in sys.argv[1:]:
    for read in (load, read_versions, get_untrusted_types):
        try:
            read(path + ".physml")
        except Exception as error:
            print(type(error).__name__, error)
    print("scorer", read_scorer(path + ".physml"))
    try:
        load_ntuples({"s": path + ".csv"})
    except Exception as error:
        print(type(error).__name__, error)
"""


@pytest.mark.skipif(not os.path.exists("/dev/zero") or not hasattr(os, "mkfifo"),
                    reason="needs /dev/zero and named pipes")
def test_devices_pipes_and_folders_are_never_read(tmp_path):
    # a model file that is a link to /dev/zero was read without end (zipfile
    # reads to the end of the file to find its directory), and a named pipe
    # waits for a writer that never comes: a child process, bounded in time
    # and memory, so that a regression fails instead of hanging
    for suffix in (".physml", ".csv"):
        os.symlink("/dev/zero", tmp_path / f"zero{suffix}")
        os.mkfifo(tmp_path / f"pipe{suffix}")
        (tmp_path / f"folder{suffix}").mkdir()
    paths = [str(tmp_path / name) for name in ("zero", "pipe", "folder")]
    result = subprocess.run([sys.executable, "-c", _NOT_FILES_SCRIPT, *paths],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for path, kind in zip(paths, ("a device", "a named pipe", "a folder")):
        model = (f"ModelFileError '{path}.physml' is not a regular file but {kind}, which "
                 "is never read.")
        data = (f"FileNotFoundError {path}.csv (class 's'): not a regular file but {kind}, "
                "which is never read.")
        assert lines[:5] == [model, model, model, "scorer None", data]
        lines = lines[5:]
