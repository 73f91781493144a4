"""scikit-learn-style estimators on the hand-written models, trained by ``training.optim``.

- :class:`RNNClassifier`: many-to-one RNN (``manual.rnn``, seed 003's ``RecurrentNetwork``)
  on x ``(n_samples, time, n_in)``;
- :class:`MLPClassifier` and :class:`MLPRegressor`: the MLP of ``manual.mlp`` (seed 001)
  on x ``(n_samples, n_in)``.

Conventions (scikit-learn's): ``__init__`` only stores the hyper-parameters, unchanged;
they are checked when :meth:`fit` runs. What ``fit`` learns lives in attributes ending in
``_``: ``params_`` (the model's parameter dict), ``history_`` (one entry per epoch),
``n_features_in_``, and ``classes_`` for the classifiers. ``fit`` returns ``self``.

A classifier's ``output_head`` picks the loss: ``"sigmoid"`` is one logit with binary
cross-entropy (two classes only), ``"softmax"`` one logit per class with softmax
cross-entropy, ``"auto"`` the first for two classes and the second otherwise.

``gradients="manual"`` trains with the hand-written ``manual.<model>.loss_and_grads``;
``gradients="auto"`` with ``autograd.value_and_grad(auto.<model>.loss)``, imported only
then, so that training needs no autograd otherwise. Both see the same data, initial
parameters and batches, so their loss curves agree to rounding. Which model lives where
is read from the one table, :mod:`modelspec.table` (``table.MLP``, ``table.RNN``).

Every estimator trains with the one optimizer of ``training.optim`` (minibatch SGD with
optional momentum and global-norm clipping); the gradient functions stay pure.
"""
import functools
import inspect
import numbers

import numpy as np

import modelspec
from manual import losses
from modelspec import table
from training import optim

GRADIENTS = ("manual", "auto")
OUTPUT_HEADS = ("auto", "sigmoid", "softmax")
MLP_INITS = ("normal", "glorot_uniform", "he_normal")
REGRESSION_LOSSES = ("mse",)


class NotFittedError(ValueError, AttributeError):
    """Raised by ``predict``/``score``/... before ``fit`` (as scikit-learn's NotFittedError)."""


def model_entry(model):
    """The :mod:`modelspec.table` entry of ``model`` (an entry or a model's name); raise
    ValueError naming ``model`` for a layer or an unknown name."""
    models = table.names("model")
    try:
        entry = table.get(model)
    except ValueError:
        entry = None
    if entry is None or entry.kind != "model":
        raise ValueError(f"model must be one of {', '.join(map(repr, models))}; got {model!r}")
    return entry


def loss_and_grads_fn(model, gradients, **options):
    """``f(params, x, y) -> (loss, grads)`` for ``model``: a model's entry of
    :mod:`modelspec.table` (``table.MLP``, ``table.RNN``) or its name.

    gradients: ``"manual"`` (``manual.<model>.loss_and_grads``) or ``"auto"`` (autograd's
    ``value_and_grad`` of ``auto.<model>.loss``); options (``loss``, ``activation``,
    ``truncate``, ...) are passed to either as keywords.
    """
    entry = model_entry(model)
    modelspec.check_option("gradients", gradients, GRADIENTS)
    if gradients == "manual":
        return functools.partial(_check_options(entry.manual_module().loss_and_grads, options),
                                 **options)
    # imported here only: training with the hand-written gradients needs no autograd
    try:
        import autograd
        auto_loss = entry.auto_module().loss
    except ImportError as exc:
        raise ImportError(f"gradients='auto' needs autograd and the auto package "
                          f"(pip install autograd): {exc}") from exc

    value_and_grad = autograd.value_and_grad(_check_options(auto_loss, options))

    def fn(params, x, y):
        value, grads = value_and_grad(params, x, y, **options)
        return float(value), dict(grads)

    return fn


def _check_options(fn, options):
    """``fn`` after checking that it takes every keyword of ``options`` (a TypeError naming
    the unknown one otherwise)."""
    try:
        inspect.signature(fn).bind_partial(None, None, None, **options)
    except TypeError as exc:
        raise TypeError(f"options must be keywords of {fn.__module__}.{fn.__name__}: {exc}") from None
    return fn


def _seed_streams(seed):
    """Two independent Generators from ``seed`` (None, an int >= 0 or a Generator, which
    is advanced): the initial parameters' and the batch order's."""
    modelspec.checks.check_rng("seed", seed)
    if isinstance(seed, np.random.Generator):
        return seed.spawn(2)
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2)]


def _column_to_1d(y):
    y = np.asarray(y)
    return y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y


def _label_kind(value):
    if isinstance(value, (bool, np.bool_, numbers.Real)):
        return "number"
    return "str" if isinstance(value, str) else type(value).__name__


def _labels_1d(y, name="y"):
    """Class labels as a 1-D array ``(n_samples,)`` (a column ``(n_samples, 1)`` is
    flattened): integers, bools, finite floats or strings, all of one kind. Lists and
    object arrays mixing kinds (``[1, "a"]``, which NumPy would silently turn into
    strings), None, complex numbers, NaN and inf raise a TypeError or ValueError naming
    ``name``."""
    if not isinstance(y, np.ndarray) or y.dtype.kind == "O":
        try:
            objects = np.asarray(y, dtype=object)
        except ValueError as exc:
            raise ValueError(f"{name} must be an array of labels; {exc}") from None
        kinds = sorted({_label_kind(v) for v in objects.ravel()})
        if len(kinds) > 1 or not set(kinds) <= {"number", "str"}:
            raise TypeError(f"{name} must hold class labels of one kind, all numbers or all "
                            f"strings; got {', '.join(kinds)}")
        y = np.asarray(objects.tolist())
    y = _column_to_1d(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D (n_samples,) or a column (n_samples, 1); "
                         f"got shape {y.shape}")
    if y.dtype.kind not in "biufU":
        raise TypeError(f"{name} must hold class labels (integers, finite floats or strings); "
                        f"got dtype {y.dtype}")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError(f"{name} contains NaN or inf")
    return y


def _r2(y, pred):
    """Coefficient of determination, averaged over output columns (scikit-learn's default):
    ``1 - sum (y - pred)^2 / sum (y - mean y)^2``; a constant column scores 1 when predicted
    exactly, else 0. y and pred ``(n,)`` or ``(n, n_targets)``."""
    y, pred = y.reshape(len(y), -1), pred.reshape(len(pred), -1)
    ss_res = ((y - pred) ** 2).sum(axis=0)
    ss_tot = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    constant = ss_tot == 0
    scores = np.where(constant, (ss_res == 0).astype(float),
                      1 - ss_res / np.where(constant, 1.0, ss_tot))
    return float(scores.mean())


class _Estimator:
    """What every estimator shares: get/set_params, the checks, ``fit`` and the epoch loop.

    A model mixin (:class:`_RNN`, :class:`_MLP`) supplies ``_model``, ``_x_axes``,
    ``_check_model_options``, ``_model_options``, ``_init_params`` and ``_logits``; a task
    base (:class:`_Classifier`, :class:`_Regressor`) supplies ``_metric``,
    ``_check_targets``, ``_learn_targets``, ``_encode_targets``, ``_n_outputs`` and
    ``_metric_from_logits``.
    """

    # ------------------------------------------------------------ scikit-learn protocol
    @classmethod
    def _param_names(cls):
        return [name for name in inspect.signature(cls.__init__).parameters if name != "self"]

    def _store_hyper_parameters(self, values):
        """``__init__``'s whole job (scikit-learn's rule): keep every argument, unchanged,
        as the attribute of the same name; ``fit`` checks them."""
        for name in self._param_names():
            setattr(self, name, values[name])

    def get_params(self, deep=True):
        """The hyper-parameters as a dict (``deep`` is accepted for scikit-learn and ignored)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Set hyper-parameters by name; return self. Unknown names raise ValueError."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"{name!r} is not a parameter of {type(self).__name__}; "
                                 f"valid parameters: {valid}")
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = {name: p.default for name, p in
                    inspect.signature(type(self).__init__).parameters.items()}
        changed = [f"{name}={value!r}" for name, value in self.get_params().items()
                   if not (value is defaults[name] or
                           (type(value) is type(defaults[name]) and value == defaults[name]))]
        return f"{type(self).__name__}({', '.join(changed)})"

    # --------------------------------------------------------------------------- fit
    def fit(self, x, y, validation_data=None):
        """Train on ``(x, y)`` by minibatch SGD; return self.

        x: ``(n_samples, n_in)`` for the MLPs, ``(n_samples, time, n_in)`` for the RNN;
        y: ``(n_samples,)`` labels (or a column ``(n_samples, 1)``) for a classifier,
        ``(n_samples,)`` or ``(n_samples, n_targets)`` floats for the regressor;
        validation_data: None or ``(x_val, y_val)`` of the same layouts, evaluated after
        every epoch into ``history_``.
        """
        self._check_model_options()
        modelspec.check_option("gradients", self.gradients, GRADIENTS)
        epochs = modelspec.check_positive_int("epochs", self.epochs)
        batch_size = modelspec.check_positive_int("batch_size", self.batch_size)
        modelspec.checks.check_flag("verbose", self.verbose)
        optimizer = optim.SGD(self.learning_rate, momentum=self.momentum,
                              clip_norm=self.clip_norm)
        # two independent streams from one seed: the initial parameters and the batch order
        init_rng, shuffle_rng = _seed_streams(self.seed)

        for attr in [name for name in vars(self) if name.endswith("_")]:
            delattr(self, attr)               # a refit starts from nothing
        x = self._features(x, "x")
        optim.check_same_length(x, y)
        target = self._learn_targets(y)       # classes_, head_, loss_ / n_outputs_, loss_
        self.n_features_in_ = x.shape[-1]
        validation = self._validation(validation_data)
        params = self._init_params(self.n_features_in_, self._n_outputs(), init_rng)
        history = {"loss": [], "val_loss": [], f"val_{self._metric}": []}

        def after_epoch(epoch, params, train_loss):
            history["loss"].append(train_loss)
            line = f"epoch {epoch + 1:>3}/{epochs}  loss {train_loss:.4f}"
            if validation is not None:
                x_val, y_val, target_val = validation
                out = self._logits(params, x_val)
                val_loss = float(losses.loss_and_grad(self.loss_, out, target_val)[0])
                metric = self._metric_from_logits(out, y_val)
                history["val_loss"].append(val_loss)
                history[f"val_{self._metric}"].append(metric)
                line += f"  val_loss {val_loss:.4f}  val_{self._metric} {metric:.4f}"
            if self.verbose:
                print(line, flush=True)

        fn = loss_and_grads_fn(self._model, self.gradients, loss=self.loss_,
                               **self._model_options())
        self.params_, _ = optim.train(fn, params, x, target, epochs=epochs,
                                      batch_size=batch_size, optimizer=optimizer,
                                      rng=shuffle_rng,
                                      callback=after_epoch)
        self.history_ = history
        return self

    # ---------------------------------------------------------------------- helpers
    def _features(self, x, name):
        """``x`` as a finite float64 array with the model's axes, none of them empty."""
        x = modelspec.real_array(name, x, ndim=len(self._x_axes))
        modelspec.check_nonempty(name, x, self._x_axes)
        if hasattr(self, "n_features_in_") and x.shape[-1] != self.n_features_in_:
            raise ValueError(f"{name} has {x.shape[-1]} features (last axis) but this "
                             f"{type(self).__name__} was fitted with {self.n_features_in_}")
        return x.astype(np.float64, copy=False)

    def _validation(self, validation_data):
        """``(x_val, y_val, targets of the loss)`` checked against what ``fit`` has learned
        so far, or None."""
        if validation_data is None:
            return None
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError("validation_data must be None or a pair (x_val, y_val)")
        x_val = self._features(validation_data[0], "validation_data x")
        y_val = self._check_targets(validation_data[1], "validation_data y")
        optim.check_same_length(x_val, y_val, ("validation_data x", "validation_data y"))
        return x_val, y_val, self._encode_targets(y_val)

    def _check_x(self, x):
        if not hasattr(self, "params_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call "
                                 f"fit(x, y) first")
        return self._features(x, "x")


# ================================================================== the two models

class _RNN:
    """Many-to-one RNN: x ``(n_samples, time, n_in)``; ``params_`` Wxh, Whh, bh, Wy, by."""

    _model = table.RNN
    _x_axes = ("batch", "time", "feature")

    def _check_model_options(self):
        modelspec.check_positive_int("n_hidden", self.n_hidden)
        modelspec.recurrent.check_truncate(self.truncate)
        modelspec.check_option("activation", self.activation, modelspec.recurrent.ACTIVATIONS)

    def _model_options(self):
        return {"output": "last", "truncate": self.truncate, "activation": self.activation}

    def _init_params(self, n_in, n_out, rng):
        return self._model.manual_module().init_params(n_in, self.n_hidden, n_out, rng=rng)

    def _logits(self, params, x):
        return self._model.manual_module().forward(params, x, output="last",
                                                   activation=self.activation)[0]


class _MLP:
    """MLP: x ``(n_samples, n_in)``; ``params_`` W0, b0, ..., the last pair the output layer."""

    _model = table.MLP
    _x_axes = ("batch", "feature")

    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            return (modelspec.check_positive_int("hidden_layer_sizes", sizes),)
        try:
            if isinstance(sizes, (str, bytes)):
                raise TypeError
            sizes = tuple(sizes)
        except TypeError:
            raise TypeError(f"hidden_layer_sizes must be an int or a sequence of ints; "
                            f"got {type(self.hidden_layer_sizes).__name__}") from None
        return tuple(modelspec.check_positive_int("each entry of hidden_layer_sizes", s)
                     for s in sizes)

    def _check_model_options(self):
        self._hidden_sizes()
        modelspec.check_option("activation", self.activation, modelspec.mlp.ACTIVATIONS)
        modelspec.check_option("init", self.init, MLP_INITS)

    def _model_options(self):
        return {"activation": self.activation}

    def _init_params(self, n_in, n_out, rng):
        return self._model.manual_module().init_params([n_in, *self._hidden_sizes(), n_out],
                                                       rng=rng, init=self.init)

    def _logits(self, params, x):
        return self._model.manual_module().forward(params, x, activation=self.activation)[0]


# =================================================================== the two tasks

class _Classifier(_Estimator):
    """Labels of any sortable type; ``history_`` = {"loss", "val_loss", "val_accuracy"}."""

    _metric = "accuracy"

    def _check_targets(self, y, name="y"):
        """Labels as a 1-D array ``(n_samples,)`` (see :func:`_labels_1d`); once fitted, of
        the kind of ``classes_`` (strings or numbers) and all of them in ``classes_``."""
        y = _labels_1d(y, name)
        if hasattr(self, "classes_"):
            if (y.dtype.kind == "U") != (self.classes_.dtype.kind == "U"):
                raise TypeError(f"{name} holds {'string' if y.dtype.kind == 'U' else 'numeric'} "
                                f"labels but the classes at fit are "
                                f"{'strings' if self.classes_.dtype.kind == 'U' else 'numbers'}: "
                                f"{self.classes_[:5].tolist()}")
            unseen = np.setdiff1d(y, self.classes_)
            if unseen.size:
                raise ValueError(f"{name} holds labels not seen in y at fit: "
                                 f"{unseen[:5].tolist()}")
        return y

    def _learn_targets(self, y):
        """Learn ``classes_``, ``head_`` and ``loss_`` from the training labels; return the
        targets of the loss (see :meth:`_encode_targets`)."""
        modelspec.check_option("output_head", self.output_head, OUTPUT_HEADS)
        y = self._check_targets(y)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(f"y must hold at least 2 classes to classify; got {classes.tolist()}")
        head = self.output_head
        if head == "auto":
            head = "sigmoid" if len(classes) == 2 else "softmax"
        if head == "sigmoid" and len(classes) != 2:
            raise ValueError(f"output_head='sigmoid' needs exactly 2 classes; y has "
                             f"{len(classes)}: use 'softmax' or 'auto'")
        self.classes_, self.head_ = classes, head
        self.loss_ = "bce" if head == "sigmoid" else "cross_entropy"
        return self._encode_targets(y)

    def _encode_targets(self, y):
        """Checked labels -> the loss's targets: ``(n, 1)`` floats 0/1 (index in
        ``classes_``) for the sigmoid head, ``(n,)`` int64 class indices for softmax."""
        index = np.searchsorted(self.classes_, _column_to_1d(y))
        return index[:, None].astype(np.float64) if self.head_ == "sigmoid" else index

    def _n_outputs(self):
        return 1 if self.head_ == "sigmoid" else len(self.classes_)

    def _predict_index(self, out):
        if self.head_ == "sigmoid":
            return (out[:, 0] > 0).astype(np.int64)  # seed 003: logit > 0, i.e. p > 1/2
        return np.argmax(out, axis=1)

    def _metric_from_logits(self, out, y):
        return float(np.mean(self.classes_[self._predict_index(out)] == y))

    def decision_function(self, x):
        """Logits ``(n_samples, 1)`` for a sigmoid head, ``(n_samples, n_classes)`` else."""
        x = self._check_x(x)
        return self._logits(self.params_, x)

    def predict_proba(self, x):
        """Class probabilities ``(n_samples, n_classes)``, columns in the order of ``classes_``."""
        out = self.decision_function(x)
        if self.head_ == "sigmoid":
            p = losses.sigmoid(out)
            return np.hstack([1 - p, p])
        return losses.softmax(out)

    def predict(self, x):
        """Predicted labels ``(n_samples,)``, taken from ``classes_``."""
        out = self.decision_function(x)
        return self.classes_[self._predict_index(out)]

    def score(self, x, y):
        """Accuracy of ``predict(x)`` against labels ``y`` ``(n_samples,)`` (or a column).

        y is checked as at fit (NaN, inf, mixed kinds refused) and must hold only labels
        of ``classes_``, of their kind (a TypeError for strings against numbers)."""
        x = self._check_x(x)
        y = self._check_targets(y)
        optim.check_same_length(x, y, ("x", "y"))
        return float(np.mean(self.classes_[self._predict_index(self._logits(self.params_, x))] == y))


class _Regressor(_Estimator):
    """Real targets, linear output, mean squared error; ``history_`` = {"loss",
    "val_loss", "val_r2"}."""

    _metric = "r2"

    def _check_targets(self, y, name="y"):
        """Targets as a finite float64 ``(n_samples,)`` or ``(n_samples, n_outputs_)`` array."""
        y = modelspec.real_array(name, y).astype(np.float64, copy=False)
        if y.ndim not in (1, 2):
            raise ValueError(f"{name} must be (n_samples,) or (n_samples, n_targets); "
                             f"got shape {y.shape}")
        n_targets = 1 if y.ndim == 1 else y.shape[1]
        if hasattr(self, "n_outputs_") and n_targets != self.n_outputs_:
            raise ValueError(f"{name} has {n_targets} targets; y at fit had {self.n_outputs_}")
        return y

    def _learn_targets(self, y):
        modelspec.check_option("loss", self.loss, REGRESSION_LOSSES)
        y = self._check_targets(y)
        self.loss_ = self.loss
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        self.y_1d_ = y.ndim == 1
        return self._encode_targets(y)

    def _n_outputs(self):
        return self.n_outputs_

    @staticmethod
    def _encode_targets(y):
        """``(n, n_targets)``: the shape of the output layer."""
        return y.reshape(len(y), -1)

    def _metric_from_logits(self, out, y):
        return _r2(y, out)

    def predict(self, x):
        """Predictions ``(n_samples,)``, or ``(n_samples, n_targets)`` if y was 2-D at fit."""
        x = self._check_x(x)
        out = self._logits(self.params_, x)
        return out[:, 0] if self.y_1d_ else out

    def score(self, x, y):
        """R^2 of ``predict(x)`` against ``y`` (averaged over targets), as scikit-learn's;
        y is checked as at fit."""
        self._check_x(x)
        y = self._check_targets(y)
        optim.check_same_length(x, y, ("x", "y"))
        return _r2(y, self.predict(x))


# ===================================================================== estimators

class RNNClassifier(_RNN, _Classifier):
    """Many-to-one RNN classifier (seed 003's ``RecurrentNetwork``), binary or multi-class.

    Hyper-parameters:
      n_hidden: hidden units; truncate: None (full BPTT) or the number of last steps the
      gradient flows through (seed 003: 10); output_head: "auto" | "sigmoid" | "softmax";
      activation: "tanh" | "relu"; learning_rate, momentum, clip_norm: of the SGD in
      ``training.optim``; batch_size, epochs; seed: None, an int >= 0 or a Generator (initial
      parameters and batch order; a Generator is advanced, so a second fit differs);
      gradients: "manual" | "auto"; verbose: True to print one line per epoch.
    fit(x, y): x ``(n_samples, time, n_in)`` (one-hot tokens or real vectors), y
    ``(n_samples,)`` labels (or a column). predict works on any number of time steps.
    Learned: params_ (``Wxh (n_in, H), Whh (H, H), bh (H,), Wy (H, n_out), by (n_out,)``
    with n_out 1 for the sigmoid head, else the number of classes), classes_, head_,
    loss_, n_features_in_, history_ = {"loss", "val_loss", "val_accuracy"}: lists with one
    entry per epoch (the validation lists stay empty without validation_data).
    """

    def __init__(self, n_hidden=32, truncate=None, output_head="auto", activation="tanh",
                 learning_rate=0.01, batch_size=32, epochs=30, momentum=0.9, clip_norm=1.0,
                 seed=0, gradients="manual", verbose=False):
        self._store_hyper_parameters(locals())


class MLPClassifier(_MLP, _Classifier):
    """MLP classifier (seed 001's network with any number of hidden layers).

    Hyper-parameters:
      hidden_layer_sizes: an int or a sequence of ints (``()`` gives logistic/softmax
      regression); activation: "relu" | "tanh" | "sigmoid"; output_head: "auto" |
      "sigmoid" | "softmax"; init: "normal" (seed 001, N(0, 0.003**2)) | "glorot_uniform" |
      "he_normal"; learning_rate, batch_size, epochs, momentum, clip_norm, seed, gradients,
      verbose: as for :class:`RNNClassifier`.
    fit(x, y): x ``(n_samples, n_in)``, y ``(n_samples,)`` labels (or a column).
    Learned: params_ (``W0 (n_in, n_1), b0 (n_1,), ...``), classes_, head_, loss_,
    n_features_in_, history_ = {"loss", "val_loss", "val_accuracy"}.
    """

    def __init__(self, hidden_layer_sizes=(32,), activation="relu", output_head="auto",
                 init="glorot_uniform", learning_rate=0.05, batch_size=32, epochs=50,
                 momentum=0.9, clip_norm=None, seed=0, gradients="manual", verbose=False):
        self._store_hyper_parameters(locals())


class MLPRegressor(_MLP, _Regressor):
    """MLP regressor: a linear output layer and mean squared error.

    Hyper-parameters: as :class:`MLPClassifier`, with ``loss`` ("mse") in place of
    ``output_head``. fit(x, y): x ``(n_samples, n_in)``, y ``(n_samples,)`` or
    ``(n_samples, n_targets)`` floats; ``predict`` returns the same layout.
    Learned: params_, n_features_in_, n_outputs_, loss_, history_ = {"loss", "val_loss",
    "val_r2"}. Inputs and targets are used as given: scale them first (targets of size ~1
    train well with the default learning rate).
    """

    def __init__(self, hidden_layer_sizes=(32,), activation="relu", loss="mse",
                 init="glorot_uniform", learning_rate=0.01, batch_size=32, epochs=50,
                 momentum=0.9, clip_norm=None, seed=0, gradients="manual", verbose=False):
        self._store_hyper_parameters(locals())
