"""Layers are checked on their own, against autograd's vector-Jacobian product, for drawn
upstream gradients: a backward pass that is right only for the gradient a loss makes is
caught."""
import numpy as np

import crosscheck
from crosscheck import catalog, vjp
from manual.layers import linear, recurrent
from modelspec import table


def _layer_check(entry, backward):
    check = catalog.CHECKS[entry]
    forward = entry.manual_module().forward
    return vjp.manual_vjp(forward, backward, check.get("input_grads", ("x",)), check.get("upstream", ()))


def test_a_recurrent_backward_that_reads_only_the_last_state_gradient_is_caught():
    # right for a many-to-one head, whose gradient reaches h_T only; wrong for any other dout
    def last_only(params, cache, dout, *, dh_last=None, truncate=None, input_grads=True):
        if dout is not None:
            dh_last = dout[:, -1] if dh_last is None else dh_last + dout[:, -1]
        return recurrent.backward(params, cache, None, dh_last=dh_last, truncate=truncate,
                                  input_grads=input_grads)

    result = crosscheck.verify("recurrent", manual=_layer_check(table.RECURRENT, last_only),
                               max_examples=60, seed=0)
    assert not result.ok and result.case.args[1] is not None, result.summary()


def test_a_linear_backward_written_for_2d_input_is_caught_on_more_leading_axes():
    def bias_over_first_axis(params, cache, dout, *, input_grads=True):
        grads, dx = linear.backward(params, cache, dout, input_grads=input_grads)
        return {**grads, "b": dout.sum(axis=0).reshape(-1)[:params["b"].shape[0]]}, dx

    result = crosscheck.verify("linear", manual=_layer_check(table.LINEAR, bias_over_first_axis),
                               max_examples=60, seed=0)
    assert not result.ok and result.report.worst()[1].key == "b", result.summary()
    assert result.case.args[0].ndim > 2


def test_the_layer_value_is_the_inner_product_of_dout_and_the_output():
    model = crosscheck.get("linear")
    case = model.examples[0]
    value, grads, inputs = model.manual(case.params, *case.args, return_input_grads=True)
    out, _ = linear.forward(case.params, case.args[0])
    assert np.isclose(value, np.sum(case.args[1] * out), rtol=1e-14)
    assert np.isclose(model.auto(case.params, *case.args), value, rtol=1e-14)
    assert set(inputs) == {"x"}
