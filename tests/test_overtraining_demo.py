"""The overtraining check catches real overtraining, and its cures pass it.

The lecture's network (128-128-64-64-32-16) trained without dropout for 200
epochs on 500 WZ / ZZ events learns its training sample by heart: the train
ROC AUC reaches 1 while the test AUC falls behind, and the KS test sees the
train and test score distributions differ. The same setup with dropout 0.5,
or stopped early on a validation set, shows a smaller gap.
"""

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from physml_sklearn import DropoutMLPClassifier
from physml_sklearn.datasets import make_diboson
from physml_sklearn.metrics import overtraining_test, signal_efficiency_table
from physml_sklearn.plotting import LossCurveDisplay, ScoreDistributionDisplay

SETUPS = {
    "overtrained": dict(dropout=0.0),
    "dropout": dict(dropout=0.5),
    "early_stopping": dict(dropout=0.0, early_stopping=True, validation_fraction=0.2,
                           patience=10),
}


def auc_gap(check):
    return float((check["auc_train"] - check["auc_test"]).iloc[0])


def test_overtraining_is_caught_and_its_cures_pass():
    # one test, not several sharing a fixture: test workers would each refit it
    train = make_diboson(500, random_state=1)
    test = make_diboson(5000, random_state=2)
    X_train, y_train, X_test, y_test = train.data, train.target, test.data, test.target
    models, checks, efficiencies = {}, {}, {}
    with threadpool_limits(1):
        for name, params in SETUPS.items():
            model = make_pipeline(
                StandardScaler(),
                DropoutMLPClassifier(max_epochs=200, batch_size=64, random_state=0, **params),
            ).fit(X_train, y_train)
            scores = (y_train, model.predict_proba(X_train), y_test, model.predict_proba(X_test))
            models[name] = model
            checks[name] = overtraining_test(*scores)
            table = signal_efficiency_table(*scores)  # at 1%, 10%, 30% background
            efficiencies[name] = (
                table["signal_efficiency_train"] - table["signal_efficiency_test"]
            ).to_numpy()

    # the overtrained network: perfect on its training sample, not on the test
    # sample, and the KS test sees the two score distributions differ
    overtrained = checks["overtrained"]
    gap = auc_gap(overtrained)
    assert overtrained["auc_train"].iloc[0] > 0.99
    assert gap > 0.04
    assert overtrained["ks_pvalue"].max() < 1e-3
    # at 1% and 10% background it promises far more signal than it delivers
    assert (efficiencies["overtrained"][:2] > 0.1).all()

    # dropout: a smaller gap, train and test distributions much closer, and a
    # better test AUC (200 epochs on 500 events still overtrain it a little)
    assert auc_gap(checks["dropout"]) < gap
    ks_ratio = checks["dropout"]["ks_statistic"] / overtrained["ks_statistic"]
    assert (ks_ratio < 0.5).all()  # per class
    assert (efficiencies["dropout"][:2] < efficiencies["overtrained"][:2]).all()
    assert checks["dropout"]["auc_test"].iloc[0] > overtrained["auc_test"].iloc[0]

    # early stopping: stops long before the 200 epochs, with a smaller gap
    stopped = models["early_stopping"][-1]
    assert stopped.n_iter_ < 100
    assert auc_gap(checks["early_stopping"]) < gap
    assert checks["early_stopping"]["ks_pvalue"].min() > overtrained["ks_pvalue"].max()

    # the displays show the same numbers
    disp = ScoreDistributionDisplay.from_estimator(
        models["overtrained"], X_train, y_train, X_test, y_test, class_names=["WZ", "ZZ"]
    )
    np.testing.assert_allclose(disp.ks_pvalues[0], overtrained["ks_pvalue"])
    loss = LossCurveDisplay.from_estimator(models["early_stopping"])
    assert loss.best_epoch == stopped.best_epoch_ < stopped.n_iter_ == loss.stop_epoch
