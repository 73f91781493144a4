"""training/optim.py: minibatches, gradient clipping, SGD with momentum, the training loop."""
import functools

import numpy as np
import pytest

from manual import mlp
from training import optim


# ---------------------------------------------------------------------------- minibatches

@pytest.mark.parametrize("n,batch_size", ((10, 3), (10, 5), (10, 10), (10, 32), (1, 1), (7, 1)))
def test_minibatches_cover_every_index_once(n, batch_size):
    batches = list(optim.minibatches(n, batch_size, 0))
    assert [len(b) for b in batches[:-1]] == [batch_size] * (len(batches) - 1)
    assert len(batches[-1]) == (n % batch_size or min(batch_size, n))
    assert len(batches) == -(-n // batch_size)
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(n))


def test_minibatches_deterministic_from_seed_and_shuffled():
    a = np.concatenate(list(optim.minibatches(50, 8, 3)))
    b = np.concatenate(list(optim.minibatches(50, 8, 3)))
    c = np.concatenate(list(optim.minibatches(50, 8, 4)))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a, np.arange(50))


def test_minibatches_generator_gives_new_order_each_epoch():
    rng = np.random.default_rng(0)
    first = np.concatenate(list(optim.minibatches(50, 8, rng)))
    second = np.concatenate(list(optim.minibatches(50, 8, rng)))
    assert not np.array_equal(first, second)


def test_minibatches_without_shuffle_keep_order():
    np.testing.assert_array_equal(np.concatenate(list(optim.minibatches(9, 4, shuffle=False))),
                                  np.arange(9))


@pytest.mark.parametrize("n,batch_size,exc,match", (
    (10, 0, ValueError, "batch_size must be >= 1"),
    (10, -2, ValueError, "batch_size must be >= 1"),
    (10, 2.0, TypeError, "batch_size must be an int"),
    (0, 4, ValueError, "n must be >= 1"),
))
def test_minibatches_bad_arguments(n, batch_size, exc, match):
    with pytest.raises(exc, match=match):
        list(optim.minibatches(n, batch_size, 0))


# ------------------------------------------------------------------------------ clipping

def test_global_norm_is_over_all_arrays():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    assert optim.global_norm(grads) == pytest.approx(5.0)


def test_clip_by_global_norm_scales_all_arrays_together():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    clipped, norm = optim.clip_by_global_norm(grads, 1.0)
    assert norm == pytest.approx(5.0)
    assert optim.global_norm(clipped) == pytest.approx(1.0)
    np.testing.assert_allclose(clipped["a"], [0.6, 0.0])
    np.testing.assert_allclose(clipped["b"], [[0.8]])
    np.testing.assert_array_equal(grads["a"], [3.0, 0.0])  # input untouched


def test_clip_by_global_norm_leaves_small_gradients_alone():
    grads = {"a": np.array([0.3, 0.4])}
    clipped, norm = optim.clip_by_global_norm(grads, 1.0)
    assert norm == pytest.approx(0.5)
    np.testing.assert_array_equal(clipped["a"], grads["a"])
    clipped, _ = optim.clip_by_global_norm(grads, None)
    np.testing.assert_array_equal(clipped["a"], grads["a"])


def test_clip_keeps_float32():
    clipped, _ = optim.clip_by_global_norm({"a": np.full(4, 10.0, dtype=np.float32)}, 1.0)
    assert clipped["a"].dtype == np.float32


# ----------------------------------------------------------------------------------- SGD

def _pg():
    params = {"W": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": np.array([0.5, -0.5])}
    grads = {"W": np.array([[0.1, 0.2], [0.3, 0.4]]), "b": np.array([1.0, -1.0])}
    return params, grads


def test_sgd_plain_step_and_inputs_untouched():
    params, grads = _pg()
    before = {k: v.copy() for k, v in params.items()}
    new = optim.SGD(0.5).step(params, grads)
    for key in params:
        np.testing.assert_allclose(new[key], before[key] - 0.5 * grads[key])
        np.testing.assert_array_equal(params[key], before[key])
    assert new["W"] is not params["W"]


def test_sgd_momentum_accumulates_velocity():
    params, grads = _pg()
    opt = optim.SGD(0.1, momentum=0.9)
    p1 = opt.step(params, grads)
    p2 = opt.step(p1, grads)
    for key in params:
        np.testing.assert_allclose(p1[key], params[key] - 0.1 * grads[key])
        np.testing.assert_allclose(p2[key], p1[key] - 0.1 * (0.9 * grads[key] + grads[key]))
    opt.reset()
    p3 = opt.step(p2, grads)
    np.testing.assert_allclose(p3["W"], p2["W"] - 0.1 * grads["W"])


def test_sgd_clips_before_momentum_and_records_norm():
    params = {"w": np.zeros(2)}
    grads = {"w": np.array([30.0, 40.0])}
    opt = optim.SGD(1.0, momentum=0.5, clip_norm=5.0)
    p1 = opt.step(params, grads)
    assert opt.last_grad_norm == pytest.approx(50.0)
    np.testing.assert_allclose(p1["w"], [-3.0, -4.0])
    p2 = opt.step(p1, grads)
    np.testing.assert_allclose(p2["w"], p1["w"] - (0.5 * np.array([3.0, 4.0]) + [3.0, 4.0]))


@pytest.mark.parametrize("momentum", (0.0, 0.9))
def test_sgd_keeps_float32(momentum):
    params = {"w": np.ones(3, dtype=np.float32)}
    grads = {"w": np.full(3, 0.5, dtype=np.float32)}
    opt = optim.SGD(0.1, momentum=momentum, clip_norm=0.1)
    assert opt.step(opt.step(params, grads), grads)["w"].dtype == np.float32


@pytest.mark.parametrize("grads,match", (
    ({"W": np.zeros((2, 2))}, "grads must have the keys of params"),
    ({"W": np.zeros((2, 2)), "b": np.zeros(2), "c": np.zeros(1)}, "keys of params"),
    ({"W": np.zeros((2, 3)), "b": np.zeros(2)}, r"grads\['W'\] has shape \(2, 3\)"),
))
def test_sgd_mismatched_grads(grads, match):
    params, _ = _pg()
    with pytest.raises(ValueError, match=match):
        optim.SGD(0.1).step(params, grads)


@pytest.mark.parametrize("kwargs,exc,match", (
    ({"learning_rate": 0}, ValueError, "learning_rate must be > 0"),
    ({"learning_rate": -0.1}, ValueError, "learning_rate must be > 0"),
    ({"learning_rate": float("nan")}, ValueError, "learning_rate must be finite"),
    ({"learning_rate": float("inf")}, ValueError, "learning_rate must be finite"),
    ({"learning_rate": "0.1"}, TypeError, "learning_rate must be a real number"),
    ({"learning_rate": True}, TypeError, "learning_rate must be a real number"),
    ({"learning_rate": 0.1, "momentum": -0.1}, ValueError, r"momentum must lie in \[0, 1\)"),
    ({"learning_rate": 0.1, "momentum": 1.0}, ValueError, r"momentum must lie in \[0, 1\)"),
    ({"learning_rate": 0.1, "momentum": 1.5}, ValueError, r"momentum must lie in \[0, 1\)"),
    ({"learning_rate": 0.1, "momentum": None}, TypeError, "momentum must be a real number"),
    ({"learning_rate": 0.1, "clip_norm": 0}, ValueError, "clip_norm must be None or > 0"),
    ({"learning_rate": 0.1, "clip_norm": -1.0}, ValueError, "clip_norm must be None or > 0"),
))
def test_sgd_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        optim.SGD(**kwargs)


# --------------------------------------------------------------------------------- train

def _linear_problem(seed=0, n=64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    return x, y


def _mlp_fn():
    return functools.partial(mlp.loss_and_grads, loss="mse", activation="relu")


def test_train_fits_a_linear_model():
    x, y = _linear_problem()
    params = mlp.init_params([3, 1], rng=0, init="glorot_uniform")
    trained, history = optim.train(_mlp_fn(), params, x, y, epochs=40, batch_size=8,
                                   optimizer=optim.SGD(0.05, momentum=0.5), rng=0)
    assert len(history["loss"]) == 40
    assert history["loss"][-1] < 1e-4 < history["loss"][0]
    np.testing.assert_allclose(trained["W0"].ravel(), [1.0, -2.0, 0.5], atol=1e-2)
    np.testing.assert_allclose(trained["b0"], [0.3], atol=1e-2)
    assert not np.allclose(params["W0"].ravel(), [1.0, -2.0, 0.5])  # input params untouched


def test_train_same_seed_same_run_different_seed_different_run():
    x, y = _linear_problem()
    params = mlp.init_params([3, 4, 1], rng=0, init="he_normal")

    def run(seed):
        return optim.train(_mlp_fn(), params, x, y, epochs=5, batch_size=10,
                           optimizer=optim.SGD(0.01, momentum=0.9, clip_norm=1.0), rng=seed)

    (p1, h1), (p2, h2), (p3, h3) = run(5), run(5), run(6)
    assert h1 == h2
    for key in p1:
        np.testing.assert_array_equal(p1[key], p2[key])
    assert h1 != h3


def test_train_epoch_loss_is_sample_weighted_mean_of_batch_losses():
    x = np.arange(10.0)[:, None]

    def fake(params, xb, yb):  # loss of a batch = mean of its x; no learning
        return xb.mean(), {"w": np.zeros(1)}

    _, history = optim.train(fake, {"w": np.zeros(1)}, x, x, epochs=3, batch_size=4,
                             optimizer=optim.SGD(0.1), rng=0)
    np.testing.assert_allclose(history["loss"], [4.5] * 3)


def test_train_without_shuffle_sees_batches_in_order():
    seen = []

    def record(params, xb, yb):
        seen.append(xb.ravel().tolist())
        return 0.0, {"w": np.zeros(1)}

    x = np.arange(5.0)[:, None]
    optim.train(record, {"w": np.zeros(1)}, x, x, epochs=1, batch_size=2,
                optimizer=optim.SGD(0.1), shuffle=False)
    assert seen == [[0.0, 1.0], [2.0, 3.0], [4.0]]


def test_train_callback_every_epoch_and_early_stop():
    x, y = _linear_problem()
    params = mlp.init_params([3, 1], rng=0)
    calls = []

    def callback(epoch, p, loss):
        calls.append((epoch, loss, sorted(p)))
        return epoch == 2  # stop after the third epoch

    _, history = optim.train(_mlp_fn(), params, x, y, epochs=10, batch_size=16,
                             optimizer=optim.SGD(0.01), rng=0, callback=callback)
    assert [c[0] for c in calls] == [0, 1, 2]
    assert [c[1] for c in calls] == history["loss"]
    assert calls[0][2] == ["W0", "b0"]


def test_train_diverging_raises_floating_point_error():
    def blow_up(params, xb, yb):
        return np.inf, {"w": np.zeros(1)}

    with pytest.raises(FloatingPointError, match="diverged"):
        optim.train(blow_up, {"w": np.zeros(1)}, np.zeros((4, 1)), np.zeros((4, 1)), epochs=1,
                    batch_size=2, optimizer=optim.SGD(0.1))


def test_train_parameters_overflowing_raise_floating_point_error():
    def huge(params, xb, yb):  # a finite loss, but a step that overflows to inf
        return 0.0, {"w": np.full(1, 1e308)}

    with np.errstate(over="ignore"):
        with pytest.raises(FloatingPointError, match="parameters hold NaN or inf .* epoch 0"):
            optim.train(huge, {"w": np.zeros(1)}, np.zeros((4, 1)), np.zeros((4, 1)), epochs=1,
                        batch_size=4, optimizer=optim.SGD(10.0))


def test_train_passes_the_optimizer_state_across_epochs():
    """Momentum carries over from one epoch to the next: with a constant gradient g, the
    k-th step moves by lr * g * (1 + m + ... + m^(k-1))."""
    def constant(params, xb, yb):
        return 0.0, {"w": np.ones(1)}

    trained, _ = optim.train(constant, {"w": np.zeros(1)}, np.zeros((2, 1)), np.zeros((2, 1)),
                             epochs=3, batch_size=2, optimizer=optim.SGD(0.1, momentum=0.5))
    np.testing.assert_allclose(trained["w"], [-0.1 * (1 + 1.5 + 1.75)])


@pytest.mark.parametrize("kwargs,exc,match", (
    ({"y": np.zeros((5, 1))}, ValueError, "x and y must have the same number of samples; got 64 and 5"),
    ({"x": np.zeros((0, 3)), "y": np.zeros((0, 1))}, ValueError, "x and y are empty"),
    ({"y": 1.0}, ValueError, "y must be an array with one entry per sample; got 1.0"),
    ({"epochs": 0}, ValueError, "epochs must be >= 1"),
    ({"epochs": 1.5}, TypeError, "epochs must be an int"),
    ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
    ({"optimizer": 0.1}, TypeError, "optimizer must be a training.optim.SGD"),
    ({"loss_and_grads": None}, TypeError, "loss_and_grads must be callable"),
))
def test_train_bad_arguments(kwargs, exc, match):
    x, y = _linear_problem()
    args = {"loss_and_grads": _mlp_fn(), "params": mlp.init_params([3, 1], rng=0), "x": x, "y": y,
            "epochs": 2, "batch_size": 8, "optimizer": optim.SGD(0.1)}
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        optim.train(args.pop("loss_and_grads"), args.pop("params"), args.pop("x"), args.pop("y"),
                    **args)
