"""Importing the package loads no heavy optional dependency."""

import os
import subprocess
import sys

import pytest

HEAVY = ("matplotlib", "dask", "distributed", "uproot", "onnx", "onnxruntime")


def _modules_after(statement):
    code = f"import sys\n{statement}\nprint(' '.join(sorted(sys.modules)))"
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return set(out.stdout.split())


def test_import_package_loads_nothing_heavy():
    loaded = _modules_after("import physml_sklearn")
    assert "physml_sklearn" in loaded
    # the estimators are imported on first use: not even torch yet
    assert not loaded & {"torch", "skorch", *HEAVY}


@pytest.mark.parametrize(
    "statement",
    [
        "from physml_sklearn import DropoutMLPClassifier, AutoEncoder, GANSampler",
        "from physml_sklearn import FoldingClassifier, save, load, to_onnx",
        "import physml_sklearn.datasets, physml_sklearn.metrics, physml_sklearn.inspection",
        "import physml_sklearn.plotting",
    ],
)
def test_estimators_and_submodules_load_no_optional_dependency(statement):
    loaded = _modules_after(statement)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_lazy_names_are_listed_and_unknown_names_raise():
    import physml_sklearn

    assert {"DropoutMLPClassifier", "set_config", "config_context"} <= set(dir(physml_sklearn))
    assert physml_sklearn.DropoutMLPClassifier.__name__ == "DropoutMLPClassifier"
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchEstimator'"):
        physml_sklearn.NoSuchEstimator
