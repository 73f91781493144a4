"""A deliberately wrong MLP gradient, for the CLI tests (``--manual``)."""
import manual


def wrong_sign(params, x, y, **options):
    value, grads = manual.mlp.loss_and_grads(params, x, y, **options)
    return value, {**grads, "b0": -grads["b0"]}
