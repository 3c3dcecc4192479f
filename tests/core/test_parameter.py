"""Parameter: a handle on a layer's array; updates through it must reach the layer."""

import numpy as np
import pytest

from backprop_lab.layers import Linear
from backprop_lab.parameter import Point


def test_augmented_assignment_updates_the_layer_in_place():
    lin = Linear(3, 2, rng=np.random.default_rng(0))
    W = lin.W
    before = W.copy()
    lin.dW[...] = 1.0
    p = lin.parameters()[0]
    p.value -= 0.1 * p.grad  # the line students write in a hand-made SGD step
    assert lin.W is W
    np.testing.assert_allclose(lin.W, before - 0.1)


def test_assignment_copies_into_the_array_and_checks_the_shape():
    pt = Point([1.0, 2.0])
    arr = pt.value
    pt.param.value = np.array([5.0, 6.0])
    assert pt.value is arr and arr.tolist() == [5.0, 6.0]
    with pytest.raises(ValueError):
        pt.param.value = np.zeros(3)
