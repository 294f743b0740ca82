"""The README, the documentation's landing page, the Benchmarks page and the gallery order.

The Sphinx build itself (``make -C docs html SPHINXOPTS="-W --keep-going"``)
runs every example and takes minutes; these tests check in seconds what a
newcomer reads first.
"""

import importlib.util
import re
import runpy
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")

VENV = "python3 -m venv .venv && . .venv/bin/activate && pip install torch==2.13.0 && "
OWN_FILES = (
    "physml-sklearn example-files . && physml-sklearn train --signal wz.root:events "
    "--background zz.parquet --weight weight --fold-column event_number --out wz_vs_zz "
    "&& physml-sklearn apply wz_vs_zz/model.physml data.root:events --out data_scored.parquet"
)


def _blocks(text, language):
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.M | re.S)


@pytest.fixture(scope="module")
def gallery_order():
    spec = importlib.util.spec_from_file_location("gallery_order", ROOT / "docs" / "gallery_order.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- README --------------------------------------------------------------------


def test_readme_has_the_three_commands():
    commands = [line for block in _blocks(README, "bash") for line in block.splitlines()]
    assert commands[:3] == [
        VENV + "pip install . && physml-sklearn demo",
        VENV + 'pip install ".[root,onnx]" && ' + OWN_FILES,
        VENV + 'pip install -e ".[test]" && python -m pytest -n 2',
    ]


def test_readme_has_no_benchmark_table_and_links_the_benchmarks_page():
    assert not re.search(r"^\|.*\|$", README, flags=re.M), "tables belong on docs/benchmarks.rst"
    assert "bench_" not in README
    assert "Benchmarks" in README and "docs/benchmarks.rst" in README
    assert README.count("\n## ") <= 4  # what it is, three commands, an example, links


def test_readme_states_the_determinism_it_has():
    assert ("the same `random_state` gives the same result on the same machine and "
            "thread count") in " ".join(README.split())


def test_readme_example_says_what_its_search_does():
    (example,) = _blocks(README, "python")
    assert "GridSearchCV(" in example and "verbose=2" in example
    compile(example, "README example", "exec")
    text = " ".join(README[: README.index("```python")].split()[-60:])
    assert "a minute" in text and "verbose=2" in text


# -- documentation -------------------------------------------------------------


def test_landing_page_names_the_command_and_the_benchmarks():
    index = (ROOT / "docs" / "index.rst").read_text(encoding="utf-8")
    for command in ("physml-sklearn example-files", "physml-sklearn train",
                    "physml-sklearn apply", "physml-sklearn demo"):
        assert command in index
    assert ":doc:`user_guide/command_line`" in index
    toctree = index[index.index(".. toctree::"):]
    assert "benchmarks" in toctree.split()


def test_benchmarks_page_names_the_command_of_every_table():
    page = (ROOT / "docs" / "benchmarks.rst").read_text(encoding="utf-8")
    sections = re.split(r"\n(?=[^\n]+\n-{3,}\n)", page)[1:]
    assert len(sections) >= 8
    n_tables = 0
    for section in sections:
        tables = section.count(".. list-table::")
        n_tables += tables
        scripts = re.findall(r"benchmarks/(bench_\w+\.py)", section)
        assert scripts, f"no command in the section {section.splitlines()[0]!r}"
        for script in scripts:
            assert (ROOT / "benchmarks" / script).is_file(), script
        # the command comes before the first table of the section
        if tables:
            assert section.index("benchmarks/bench_") < section.index(".. list-table::")
    assert n_tables >= 12


def test_benchmarks_page_is_valid_restructuredtext():
    docutils_core = pytest.importorskip("docutils.core")
    page = (ROOT / "docs" / "benchmarks.rst").read_text(encoding="utf-8")
    page = page.replace(".. _benchmarks:\n", "")  # a Sphinx label
    docutils_core.publish_doctree(
        page, settings_overrides={"halt_level": 2, "report_level": 2}
    )


def test_docs_extra_installs_what_the_gallery_imports():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]

    def requirements(extra):
        names = set()
        for requirement in extras[extra]:
            match = re.match(r"physml-sklearn\[([\w,]+)\]", requirement)
            if match:
                for inner in match.group(1).split(","):
                    names |= requirements(inner)
            else:
                names.add(re.split(r"[<>=\[ ]", requirement)[0].lower())
        return names

    docs = requirements("docs")
    imported = {"uproot": "uproot", "onnxruntime": "onnxruntime", "distributed": "distributed",
                "dask": "dask", "onnx": "onnx", "sphinx-gallery": "sphinx_gallery"}
    for source in (ROOT / "examples").glob("plot_*.py"):
        text = source.read_text(encoding="utf-8")
        for name, module in imported.items():
            if re.search(rf"^\s*(import|from) {module}\b", text, flags=re.M):
                assert name in docs, f"{source.name} imports {module}"
    assert {"uproot", "onnx", "onnxruntime", "dask", "distributed"} <= docs


# -- the gallery -----------------------------------------------------------------


def test_every_example_is_in_the_course_order(gallery_order):
    examples = sorted(p.name for p in (ROOT / "examples").glob("plot_*.py"))
    order = gallery_order.COURSE_ORDER
    assert len(order) == len(set(order))
    assert sorted(order) == examples, (
        "add a new example to COURSE_ORDER in docs/gallery_order.py where it belongs "
        "in the course"
    )


def test_gallery_follows_the_course_not_the_alphabet(gallery_order):
    key = gallery_order.CourseOrder(str(ROOT / "examples"))
    files = sorted((ROOT / "examples").glob("plot_*.py"))  # the alphabet
    # sphinx-gallery sorts base names, and in places full paths
    by_name = [f.name for f in sorted(files, key=lambda f: key(f.name))]
    by_path = [Path(p).name for p in sorted(map(str, files), key=key)]
    assert by_name == by_path == gallery_order.COURSE_ORDER
    assert by_name[0] == "plot_classifier.py"
    course = ["plot_classifier", "plot_dropout", "plot_multiclass", "plot_working_point",
              "plot_cross_training", "plot_feature_ranking", "plot_autoencoder_latent_space",
              "plot_anomaly_detection", "plot_deblurring", "plot_gan_cubic",
              "plot_root_ntuples", "plot_save_and_onnx", "plot_dask"]
    positions = [by_name.index(name + ".py") for name in course]
    assert positions == sorted(positions)
    with pytest.raises(ValueError, match="plot_new.py is not in COURSE_ORDER"):
        key("plot_new.py")


def test_conf_sorts_the_gallery_by_the_course(monkeypatch):
    from sphinx_gallery.gen_rst import _get_callables

    monkeypatch.syspath_prepend(str(ROOT / "docs"))
    conf = runpy.run_path(str(ROOT / "docs" / "conf.py"))
    gallery = conf["sphinx_gallery_conf"]
    assert gallery["within_subsection_order"] == "gallery_order.CourseOrder"
    (key,) = _get_callables(gallery, "within_subsection_order", str(ROOT / "examples"))
    assert key("plot_classifier.py") == 0


def test_the_first_example_is_a_basic_classifier():
    text = (ROOT / "examples" / "plot_classifier.py").read_text(encoding="utf-8")
    assert "DropoutMLPClassifier" in text and ".fit(" in text
    assert "first classifier" in text.split('"""')[1].lower()
