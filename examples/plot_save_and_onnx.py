"""
=====================================
Saving a model and running it in ONNX
=====================================

A trained classifier leaves the notebook in two forms:

- :func:`~physml_sklearn.save` keeps the whole fitted model for Python, in one
  file that holds no pickle (loading it runs no code from the file), and
  :func:`~physml_sklearn.load` gives it back with predictions equal to the
  original ones bit for bit;
- :func:`~physml_sklearn.to_onnx` writes the model as an ONNX graph, which
  ONNX Runtime runs from Python, C++ and other languages, and which ROOT's
  TMVA SOFIE turns into C++ code.

This example trains the WZ vs ZZ classifier with its input scaling, saves it,
loads it in a fresh Python process, exports it to ONNX, and compares the
numbers of all three.
"""

# %%
# Train a model
# -------------
# A :class:`~sklearn.pipeline.Pipeline` of a
# :class:`~sklearn.preprocessing.StandardScaler` and a
# :class:`~physml_sklearn.DropoutMLPClassifier`: what is saved and exported
# is the whole pipeline, so the scaling travels with the network.
import os
import subprocess
import sys
import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from physml_sklearn import DropoutMLPClassifier, save, to_onnx
from physml_sklearn.datasets import make_diboson

X, y = make_diboson(25_000, processes=("WZ", "ZZ"), random_state=0, return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=10_000, random_state=0)
model = make_pipeline(
    StandardScaler(),
    DropoutMLPClassifier(hidden_layer_sizes=(64, 64, 32, 16), dropout=0.3, max_epochs=8,
                         random_state=0),
).fit(X_train, y_train)
proba = model.predict_proba(X_test)
n_weights = sum(p.numel() for p in model[-1].net_.module_.parameters())
print(f"{X.shape[1]} features, {n_weights} network weights, "
      f"test accuracy {model.score(X_test, y_test):.3f}")

# %%
# Save it, and load it in a fresh process
# ---------------------------------------
# The file is a zip archive: the parameters and fitted attributes as JSON and
# numpy arrays, the scaler through :mod:`skops.io`, the network weights as
# safetensors, and the versions of the libraries that wrote it.
folder = tempfile.mkdtemp()
path = os.path.join(folder, "model.physml")
save(model, path)
print(f"model.physml: {os.path.getsize(path) / 1024:.1f} KiB "
      f"(the float32 weights alone: {n_weights * 4 / 1024:.1f} KiB)")

# %%
# A new Python process loads the file and scores the test events, as a
# colleague or a later analysis step would; it has nothing of this session.
np.save(os.path.join(folder, "X_test.npy"), X_test)
script = f"""
import numpy as np
from physml_sklearn import load
model = load({path!r})
X = np.load({os.path.join(folder, "X_test.npy")!r})
np.save({os.path.join(folder, "proba_loaded.npy")!r}, model.predict_proba(X))
print(type(model[-1]).__name__, "loaded on", model[-1].net_.device)
"""
env = {**os.environ, "OMP_NUM_THREADS": "1"}
result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                        env=env, check=True)
print(result.stdout.strip())
proba_loaded = np.load(os.path.join(folder, "proba_loaded.npy"))
print("identical to the original, bit for bit:", np.array_equal(proba_loaded, proba))

# %%
# Export to ONNX and run it with ONNX Runtime
# -------------------------------------------
# The graph takes the raw features as a float32 tensor ``X`` of any number of
# rows and gives the ``label`` and the class ``probabilities``; dropout is
# off, as in ``predict_proba``.
import onnxruntime as ort  # noqa: E402

onnx_path = os.path.join(folder, "model.onnx")
onnx_model = to_onnx(model, X_test[:1], onnx_path)
print("inputs:", [i.name for i in onnx_model.graph.input],
      "outputs:", [o.name for o in onnx_model.graph.output])
print("operators:", sorted({node.op_type for node in onnx_model.graph.node}))

options = ort.SessionOptions()
options.intra_op_num_threads = 1
session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
start = time.perf_counter()
label, proba_onnx = session.run(None, {"X": X_test.astype(np.float32)})
t_onnx = time.perf_counter() - start
start = time.perf_counter()
model.predict_proba(X_test)
t_python = time.perf_counter() - start
difference = np.abs(proba_onnx[:, 1] - proba[:, 1])
print(f"largest |P_onnx(ZZ) - P(ZZ)| over {len(X_test)} events: {difference.max():.1e}")
print("same labels as predict:", np.array_equal(label, model.predict(X_test)))
print(f"time for {len(X_test)} events: onnxruntime {1000 * t_onnx:.1f} ms, "
      f"predict_proba {1000 * t_python:.1f} ms")

# %%
# The three sets of scores
# ------------------------
# On the left, the classifier output for the test events from the original
# model, the model loaded in the other process and ONNX Runtime: the three
# histograms lie on top of each other. On the right, the size of the
# difference between ONNX Runtime (single precision throughout) and
# ``predict_proba``, which computes the network in single precision too but
# the final sigmoid in double precision.
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
bins = np.linspace(0, 1, 41)
ax1.hist(proba[:, 1], bins, histtype="step", lw=3, label="predict_proba")
ax1.hist(proba_loaded[:, 1], bins, histtype="step", lw=2, ls="--", label="after load")
ax1.hist(proba_onnx[:, 1], bins, histtype="step", lw=1, color="k", label="ONNX Runtime")
ax1.set_xlabel("classifier output P(ZZ)")
ax1.set_ylabel("events / 0.025")
ax1.set_yscale("log")
ax1.legend(loc="upper center")
nonzero = difference[difference > 0]
ax2.hist(np.log10(nonzero), bins=30, color="gray")
ax2.set_xlabel(r"$\log_{10}\,|P_\mathrm{ONNX}(ZZ) - P(ZZ)|$")
ax2.set_ylabel("events")
ax2.set_title(f"events with exactly equal outputs (not shown): "
              f"{len(difference) - len(nonzero)} of {len(difference)}", fontsize=10)
fig.tight_layout()
plt.show()

# %%
# Using the ONNX file from C++
# ----------------------------
# **ONNX Runtime** has a C++ API: create one ``Ort::Session`` per model and
# thread pool, wrap the rows of features (row-major, float) in an input
# tensor named ``X`` and ask for the ``probabilities`` output::
#
#     #include <onnxruntime_cxx_api.h>
#
#     Ort::Env env;
#     Ort::SessionOptions options;
#     options.SetIntraOpNumThreads(1);
#     Ort::Session session(env, "model.onnx", options);
#
#     std::vector<float> x(n_events * n_features);           // the features, row by row
#     std::array<int64_t, 2> shape{n_events, n_features};
#     auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
#     Ort::Value input = Ort::Value::CreateTensor<float>(
#         memory, x.data(), x.size(), shape.data(), shape.size());
#     const char* input_names[] = {"X"};
#     const char* output_names[] = {"probabilities"};
#     auto out = session.Run(Ort::RunOptions{nullptr}, input_names, &input, 1,
#                            output_names, 1);
#     const float* p = out[0].GetTensorData<float>();      // n_events x 2, columns = classes_
#
# The features must come in the order of the training columns, in the same
# units: the scaling is inside the graph.
#
# **ROOT's TMVA SOFIE** reads the ONNX file once and writes a header with a
# plain C++ function for the network, which needs only a BLAS library at run
# time::
#
#     using namespace TMVA::Experimental;
#     SOFIE::RModelParser_ONNX parser;
#     SOFIE::RModel model = parser.Parse("model.onnx");
#     model.Generate();
#     model.OutputGenerated("model.hxx");   // and model.dat, the weights
#
# SOFIE implements a subset of the ONNX operators, which grows with each ROOT
# release: compare the operators printed above with the list of the ROOT
# version at hand. The network itself uses ``Gemm`` and the activation; the
# label adds a few element-wise and indexing operators, and the scaler is the
# ``Scaler`` operator of the ``ai.onnx.ml`` domain, outside the core operator
# set. When SOFIE lacks one of them, export a pipeline without the scaler
# and scale the features in C++ with ``mean_`` and ``scale_`` of the fitted
# :class:`~sklearn.preprocessing.StandardScaler`.
