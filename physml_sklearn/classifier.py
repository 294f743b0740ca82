"""The classifiers: a binary dropout MLP and a softmax multiclassifier."""

from numbers import Integral, Real

import numpy as np
from scipy.special import expit, log_expit, log_softmax, softmax
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from torch import nn

from ._core._base import NeuralEstimator
from ._core._modules import make_mlp
from ._core._validation import (
    check_features_target,
    check_label_types,
    check_same_classes,
    check_sample_weight,
    encode_labels,
    target_type,
)


class _MLPClassifierBase(ClassifierMixin, NeuralEstimator):
    """What the two classifiers share: labels, class weights, the MLP body."""

    _parameter_constraints: dict = {
        **NeuralEstimator._parameter_constraints,
        "hidden_layer_sizes": ["array-like", Integral],
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    #: whether the estimator handles more than two classes
    _multiclass = True

    def _hidden_layers(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if any(not isinstance(s, Integral) or s < 1 for s in sizes):
            raise ValueError(
                "hidden_layer_sizes must hold positive integers (the width of each "
                f"hidden layer); got {self.hidden_layer_sizes!r}."
            )
        return sizes

    def _n_outputs(self):
        return len(self.classes_)

    def _prepare_fit_data(self, X, y, sample_weight, *, reset, classes=None):
        check_label_types(y, "y")
        if classes is not None:
            check_label_types(classes, "classes")
        X, y = check_features_target(self, X, y, reset=reset)
        check_classification_targets(y)  # validate_data checked the lengths
        if reset or not hasattr(self, "classes_"):
            if classes is None:
                all_classes = np.unique(y)
            else:
                all_classes = np.unique(np.asarray(classes))
                if not set(np.unique(y)) <= set(all_classes):
                    encode_labels(y, all_classes)  # raises with the unknown labels
            self._check_n_classes(all_classes, y)
            self.classes_ = all_classes
        elif classes is not None:
            check_same_classes(classes, self.classes_)
        labels = encode_labels(y, self.classes_)
        weight = check_sample_weight(sample_weight, X.shape[0])
        class_weight = self._class_weights(labels)
        if class_weight is not None:
            weight = class_weight if weight is None else weight * class_weight
        return X, self._encode_target(labels), weight, labels

    def _check_n_classes(self, classes, y):
        n = len(classes)
        if n < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the "
                f"data, but the data contain only 1 class: {classes.tolist()}."
            )
        if n > 2 and not self._multiclass:
            kind = target_type(y)
            raise ValueError(
                "Only binary classification is supported. The type of the target "
                f"is {kind} ({n} classes: {classes.tolist()[:10]}); "
                f"{type(self).__name__} has one sigmoid output, use "
                "SoftmaxMLPClassifier for more than two classes."
            )

    def _class_weights(self, labels):
        """Per-sample weights from ``class_weight``, or None."""
        if self.class_weight is None:
            return None
        n_classes = len(self.classes_)
        if self.class_weight == "balanced":
            present = np.unique(labels)
            per_class = np.ones(n_classes)
            per_class[present] = compute_class_weight(
                "balanced", classes=present, y=labels
            )
        else:
            unknown = set(self.class_weight) - set(self.classes_.tolist())
            if unknown:
                raise ValueError(
                    f"class_weight has keys {sorted(map(str, unknown))} that are not "
                    f"among the classes {self.classes_.tolist()}."
                )
            per_class = []
            for c in self.classes_.tolist():
                value = self.class_weight.get(c, 1.0)
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    value = np.nan
                if not (np.isfinite(value) and value > 0):
                    raise ValueError(
                        f"class_weight[{c!r}] is {self.class_weight.get(c)!r}; class "
                        "weights must be finite positive numbers."
                    )
                per_class.append(value)
            per_class = np.array(per_class)
        return per_class[labels].astype(np.float32)

    def _build_module(self, n_features, target):
        return make_mlp(
            n_features,
            self._hidden_layers(),
            self._n_output_units(),
            activation=self.activation,
            kernel_initializer=self.kernel_initializer,
            dropout=self.dropout,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on ``X`` and the labels ``y``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training events.
        y : array-like of shape (n_samples,)
            Class labels (of any type).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each event's loss term; negative weights are allowed.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        return self._fit(X, y, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on ``(X, y)``, keeping what was learned before.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            A chunk of training events.
        y : array-like of shape (n_samples,)
            Their labels.
        classes : array-like of shape (n_classes,), default=None
            Every label that can occur; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each event's loss term.

        Returns
        -------
        self : object
            The classifier.
        """
        if not hasattr(self, "classes_") and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit "
                "(all the labels that can occur, e.g. classes=np.unique(y))."
            )
        return self._fit(X, y, sample_weight, partial=True, classes=classes)

    def predict(self, X):
        """Predict the class of each event.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            The predicted labels, taken from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = self._multiclass
        tags.classifier_tags.multi_label = False
        return tags


class DropoutMLPClassifier(_MLPClassifierBase):
    """Binary MLP classifier with dropout: the WZ vs ZZ signal/background network.

    A fully connected network with one sigmoid output neuron, trained with
    binary cross-entropy on the logit. The default architecture is the
    lecture's 128-128-64-64-32-16 network with dropout 0.5 after every hidden
    layer; ``early_stopping=True`` holds out a stratified validation set and
    restores the weights of the epoch with the lowest validation loss.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(128, 128, 64, 64, 32, 16)
        Width of each hidden layer.
    dropout : float or tuple of float, default=0.5
        Dropout probability after every hidden layer, or one per layer.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss; ``"balanced"`` weights them by
        the inverse of their frequency.
    activation : {"relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu"}, default="relu"
        Activation function after every hidden layer.
    kernel_initializer : {"he_normal", "he_uniform", "glorot_normal", \
"glorot_uniform", "torch"}, default="he_normal"
        How the weights are drawn before training: He (scaled for ReLU-like
        activations) or Glorot (scaled for tanh and sigmoid), normal or uniform,
        with the biases at zero; ``"torch"`` keeps PyTorch's own default.
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or type, default="adam"
        The optimizer: Adam, AdamW, SGD with momentum 0.9 or RMSprop, or a
        subclass of :class:`torch.optim.Optimizer` (built with ``lr`` and
        ``weight_decay``).
    lr : float, default=1e-3
        Learning rate of the optimizer.
    weight_decay : float, default=0.0
        L2 penalty on the weights, passed to the optimizer.
    batch_size : int, default=256
        Events per mini-batch, i.e. per optimizer step.
    max_epochs : int, default=100
        Upper bound on the number of passes over the training data; the number
        itself with ``early_stopping=False``.
    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the data (stratified by
        class), stop after ``patience`` epochs without an improvement of the
        validation loss by ``tol``, and restore the weights of the best epoch.
    validation_fraction : float, default=0.1
        Fraction of the data held out as the validation set when
        ``early_stopping=True``; it also fills ``validation_loss_curve_``.
    patience : int, default=10
        Epochs in a row without improvement of the validation loss before the
        training stops (with ``early_stopping=True``).
    tol : float, default=1e-4
        Minimum decrease of the validation loss that counts as an improvement.
    callbacks : list or None, default=None
        Extra skorch callbacks (e.g. :class:`skorch.callbacks.Checkpoint`), as
        callbacks or ``(name, callback)`` pairs; they are copied at each fit.
    device : str, default="cpu"
        Torch device to train and predict on (``"cpu"``, ``"cuda"``,
        ``"cuda:1"``, ``"mps"`` ...); ``"auto"`` picks CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the shuffling of the mini-batches,
        dropout and the validation split; the same int gives bit-identical
        results on the CPU for the same data and torch thread count, whatever
        the load of the machine (see the user guide's thread policy).
    verbose : int, default=0
        0 is silent; 1 shows a progress bar per fit (tqdm) with the latest
        training and validation losses.
    warm_start : bool, default=False
        Whether a new call to :meth:`fit` continues from the weights of the
        previous fit instead of starting again.
    decorrelation : {"disco", "mode"} or None, default=None
        A penalty that keeps the background score independent of the
        variable passed as ``fit(..., decorrelate=...)`` (typically the jet
        mass), added to the loss of every batch and computed on the
        background events (``classes_[0]``) of the batch, weighted by
        ``sample_weight``: ``"disco"``, the squared distance correlation
        dCorr² between the signal probability and the variable (Kasieczka &
        Shih, arXiv:2001.05310, eq. 2.3); ``"mode"``, moment decorrelation
        MoDe[``decorrelation_order``] (Kitouni et al., arXiv:2010.09745,
        eqs. 4-6). Both are statistics of the batch, so they need enough
        background events per batch to be stable: use ``batch_size`` of
        about 1024 or more (500 or more background events per batch;
        MoDe splits them into 32 mass bins, with at least 2 events per bin).
        DisCo costs O(n²) in the background events of a batch. The exported
        network (``to_onnx``) is the plain classifier.
    decorrelation_strength : float, default=1.0
        The factor of the penalty in the loss (λ of the papers): the loss
        is the cross-entropy plus ``decorrelation_strength`` × penalty.
        Larger values flatten the background mass more and reject less
        background; choose it on the trade-off curve of
        :func:`~physml_sklearn.metrics.mass_sculpting`.
    decorrelation_order : {0, 1, 2}, default=0
        With ``decorrelation="mode"``: the background efficiency at every
        cut is made flat in the variable (0), or is allowed a linear (1)
        or quadratic (2) dependence on it. Must be 0 with ``"disco"``.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two labels; ``classes_[1]`` is the positive class.
    net_ : skorch.NeuralNet
        The trained skorch net.
    history_ : skorch.History
        Its training history.
    loss_curve_ : list of float
        Training loss per epoch.
    validation_loss_curve_ : list of float
        Validation loss per epoch (empty without ``early_stopping``).
    best_epoch_ : int
        Epoch whose weights the model holds, numbered from 1 as in ``history_``
        and ``loss_curve_``: the one with the lowest validation loss of the
        last fit with ``early_stopping``, else the last one.
    n_iter_ : int
        Number of epochs trained by the last call to ``fit`` or
        ``partial_fit`` (1 for ``partial_fit``), as in scikit-learn; ``history_``
        and ``loss_curve_`` hold every epoch since the network was built.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``fit`` was given a DataFrame.

    See Also
    --------
    SoftmaxMLPClassifier : The same network with one softmax output per class.
    sklearn.neural_network.MLPClassifier : scikit-learn's own MLP.

    Examples
    --------
    >>> from physml_sklearn import DropoutMLPClassifier
    >>> from physml_sklearn.datasets import make_diboson
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = make_diboson(2000, random_state=0, return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> clf = make_pipeline(StandardScaler(), DropoutMLPClassifier(
    ...     hidden_layer_sizes=(32, 16), dropout=0.2, max_epochs=20, random_state=0))
    >>> clf.fit(X_train, y_train).predict_proba(X_test[:3]).shape
    (3, 2)

    On held-out events it is far more accurate than always guessing the
    more frequent class:

    >>> guess = DummyClassifier().fit(X_train, y_train).score(X_test, y_test)
    >>> bool(clf.score(X_test, y_test) > guess + 0.25)
    True

    A tagger whose background selection does not depend on the jet mass
    (DisCo), the mass passed apart from the features:

    >>> from physml_sklearn.datasets import make_wtagging
    >>> jets = make_wtagging(4000, random_state=0)
    >>> tagger = make_pipeline(StandardScaler(), DropoutMLPClassifier(
    ...     (32, 16), dropout=0.0, batch_size=1024, max_epochs=10, random_state=0,
    ...     decorrelation="disco", decorrelation_strength=10.0))
    >>> tagger.fit(jets.data, jets.target,
    ...            dropoutmlpclassifier__decorrelate=jets.mass).predict_proba(
    ...     jets.data[:2]).shape
    (2, 2)
    """

    _parameter_constraints: dict = {
        **_MLPClassifierBase._parameter_constraints,
        "decorrelation": [StrOptions({"disco", "mode"}), None],
        "decorrelation_strength": [Interval(Real, 0, None, closed="left")],
        "decorrelation_order": [Interval(Integral, 0, 2, closed="both")],
    }
    _multiclass = False

    def __init__(
        self,
        hidden_layer_sizes=(128, 128, 64, 64, 32, 16),
        dropout=0.5,
        *,
        class_weight=None,
        activation="relu",
        kernel_initializer="he_normal",
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        batch_size=256,
        max_epochs=100,
        early_stopping=False,
        validation_fraction=0.1,
        patience=10,
        tol=1e-4,
        callbacks=None,
        device="cpu",
        random_state=None,
        verbose=0,
        warm_start=False,
        decorrelation=None,
        decorrelation_strength=1.0,
        decorrelation_order=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.class_weight = class_weight
        self.activation = activation
        self.kernel_initializer = kernel_initializer
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.tol = tol
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.decorrelation = decorrelation
        self.decorrelation_strength = decorrelation_strength
        self.decorrelation_order = decorrelation_order

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, decorrelate=None):
        """Train the network on ``X`` and the labels ``y``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training events.
        y : array-like of shape (n_samples,)
            Class labels (of any type).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each event's loss term (and of its part in the
            decorrelation penalty); negative weights are allowed.
        decorrelate : array-like of shape (n_samples,), default=None
            The variable the background score must not depend on (e.g. the
            jet mass); not a feature. Required when ``decorrelation`` is
            set, refused otherwise. ``GridSearchCV`` splits it with the
            folds; in a ``Pipeline`` route it with
            ``set_fit_request(decorrelate=True)``.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        return self._fit(X, y, sample_weight, decorrelate=decorrelate)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None, decorrelate=None):
        """Train for one epoch on ``(X, y)``, keeping what was learned before.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            A chunk of training events.
        y : array-like of shape (n_samples,)
            Their labels.
        classes : array-like of shape (n_classes,), default=None
            Every label that can occur; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each event's loss term.
        decorrelate : array-like of shape (n_samples,), default=None
            The variable to decorrelate from, for these events (see
            :meth:`fit`).

        Returns
        -------
        self : object
            The classifier.
        """
        if not hasattr(self, "classes_") and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit "
                "(all the labels that can occur, e.g. classes=np.unique(y))."
            )
        return self._fit(
            X, y, sample_weight, partial=True, classes=classes, decorrelate=decorrelate
        )

    def _n_output_units(self):
        return 1

    def _encode_target(self, labels):
        return labels.astype(np.float32).reshape(-1, 1)

    def _build_criterion(self):
        return nn.BCEWithLogitsLoss(reduction="none")

    def decision_function(self, X):
        """The logit of ``classes_[1]`` for each event.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events.

        Returns
        -------
        logit : ndarray of shape (n_samples,)
            Positive values favour ``classes_[1]``.
        """
        return self._forward(X)[:, 0]

    def predict_proba(self, X):
        """Probability of each class for each event.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Columns follow ``classes_``; rows sum to 1.
        """
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably from the logit.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, 2)
        """
        logit = self.decision_function(X)
        return np.column_stack([log_expit(-logit), log_expit(logit)])

    def predict(self, X):
        """Predict the class of each event (``classes_[1]`` when the logit > 0).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            The predicted labels, taken from ``classes_``.
        """
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(int)]


class SoftmaxMLPClassifier(_MLPClassifierBase):
    """Multiclass MLP classifier with one softmax output per class (WZ / ZZ / ttZ).

    A fully connected network with one output per class, trained with
    cross-entropy; ``predict_proba`` applies the softmax, so each row sums
    to 1 and its columns follow ``classes_``. Works for two or more classes.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(32, 16)
        Width of each hidden layer.
    dropout : float or tuple of float, default=0.0
        Dropout probability after every hidden layer, or one per layer.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss; ``"balanced"`` weights them by
        the inverse of their frequency.
    activation : {"relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu"}, default="relu"
        Activation function after every hidden layer.
    kernel_initializer : {"he_normal", "he_uniform", "glorot_normal", \
"glorot_uniform", "torch"}, default="he_normal"
        How the weights are drawn before training: He (scaled for ReLU-like
        activations) or Glorot (scaled for tanh and sigmoid), normal or uniform,
        with the biases at zero; ``"torch"`` keeps PyTorch's own default.
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or type, default="adam"
        The optimizer: Adam, AdamW, SGD with momentum 0.9 or RMSprop, or a
        subclass of :class:`torch.optim.Optimizer` (built with ``lr`` and
        ``weight_decay``).
    lr : float, default=1e-3
        Learning rate of the optimizer.
    weight_decay : float, default=0.0
        L2 penalty on the weights, passed to the optimizer.
    batch_size : int, default=256
        Events per mini-batch, i.e. per optimizer step.
    max_epochs : int, default=100
        Upper bound on the number of passes over the training data; the number
        itself with ``early_stopping=False``.
    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the data (stratified by
        class), stop after ``patience`` epochs without an improvement of the
        validation loss by ``tol``, and restore the weights of the best epoch.
    validation_fraction : float, default=0.1
        Fraction of the data held out as the validation set when
        ``early_stopping=True``; it also fills ``validation_loss_curve_``.
    patience : int, default=10
        Epochs in a row without improvement of the validation loss before the
        training stops (with ``early_stopping=True``).
    tol : float, default=1e-4
        Minimum decrease of the validation loss that counts as an improvement.
    callbacks : list or None, default=None
        Extra skorch callbacks (e.g. :class:`skorch.callbacks.Checkpoint`), as
        callbacks or ``(name, callback)`` pairs; they are copied at each fit.
    device : str, default="cpu"
        Torch device to train and predict on (``"cpu"``, ``"cuda"``,
        ``"cuda:1"``, ``"mps"`` ...); ``"auto"`` picks CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the shuffling of the mini-batches,
        dropout and the validation split; the same int gives bit-identical
        results on the CPU for the same data and torch thread count, whatever
        the load of the machine (see the user guide's thread policy).
    verbose : int, default=0
        0 is silent; 1 shows a progress bar per fit (tqdm) with the latest
        training and validation losses.
    warm_start : bool, default=False
        Whether a new call to :meth:`fit` continues from the weights of the
        previous fit instead of starting again.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels, one per output node.
    net_ : skorch.NeuralNet
        The trained skorch net.
    history_ : skorch.History
        Its training history.
    loss_curve_ : list of float
        Training loss per epoch.
    validation_loss_curve_ : list of float
        Validation loss per epoch (empty without ``early_stopping``).
    best_epoch_ : int
        Epoch (from 1) whose weights the model holds.
    n_iter_ : int
        Number of epochs trained by the last call to ``fit`` or
        ``partial_fit`` (1 for ``partial_fit``), as in scikit-learn; ``history_``
        and ``loss_curve_`` hold every epoch since the network was built.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``fit`` was given a DataFrame.

    See Also
    --------
    DropoutMLPClassifier : The binary network with one sigmoid output.

    Examples
    --------
    >>> from physml_sklearn import SoftmaxMLPClassifier
    >>> from physml_sklearn.datasets import make_diboson
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> data = make_diboson(3000, processes=("WZ", "ZZ", "ttZ"), random_state=0)
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     data.data, data.target, random_state=0)
    >>> clf = make_pipeline(StandardScaler(),
    ...                     SoftmaxMLPClassifier(max_epochs=20, random_state=0))
    >>> proba = clf.fit(X_train, y_train).predict_proba(X_test[:4])
    >>> proba.shape
    (4, 3)

    On held-out events it is far more accurate than always guessing the
    most frequent of the three processes:

    >>> guess = DummyClassifier().fit(X_train, y_train).score(X_test, y_test)
    >>> bool(clf.score(X_test, y_test) > guess + 0.3)
    True
    """

    _parameter_constraints: dict = {**_MLPClassifierBase._parameter_constraints}

    def __init__(
        self,
        hidden_layer_sizes=(32, 16),
        dropout=0.0,
        *,
        class_weight=None,
        activation="relu",
        kernel_initializer="he_normal",
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        batch_size=256,
        max_epochs=100,
        early_stopping=False,
        validation_fraction=0.1,
        patience=10,
        tol=1e-4,
        callbacks=None,
        device="cpu",
        random_state=None,
        verbose=0,
        warm_start=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.class_weight = class_weight
        self.activation = activation
        self.kernel_initializer = kernel_initializer
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.tol = tol
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    def _n_output_units(self):
        return len(self.classes_)

    def _encode_target(self, labels):
        return labels.astype(np.int64)

    def _build_criterion(self):
        return nn.CrossEntropyLoss(reduction="none")

    def predict_proba(self, X):
        """Probability of each class for each event (softmax of the outputs).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``; rows sum to 1.
        """
        return softmax(self._forward(X), axis=1)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba` (a stable log-softmax).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Events.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        return log_softmax(self._forward(X), axis=1)
