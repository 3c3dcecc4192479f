"""MNIST results that lessons share, each with one home (NumPy only).

A number that two lessons quote lives here, so the two cannot drift apart, and every number here is
reproduced by ``benchmarks/tune_lesson07.py`` (seeded; run it to check or to update them):

* :data:`MAIN_NET_TEST_ACCURACY` (and the measurements behind it) — the range that lesson 07's main network must land in on any
  machine and seed (lesson 07 checks its own run against it, lesson 12 quotes it);
* :data:`ABLATION_LR` — the learning rate of each row of lesson 07's change-by-change table, tuned
  per row on the validation split;
* :func:`ablation_net` — the 784-64-10 networks of that table.
"""

from __future__ import annotations

import numpy as np

from backprop_lab.layers import Linear, ReLU, Sigmoid
from backprop_lab.model import Sequential

__all__ = ["MAIN_NET_TEST_ACCURACY", "MAIN_NET_SEED_ACCURACIES", "ABLATION_GRID", "ABLATION_LR", "ablation_net"]

#: Test accuracy of lesson 07's main network (784-256-128-10 ReLU, Adam η₀ = 2e-3 with a cosine
#: schedule, 10 epochs, batch 128, float32, 55,000 training images), as (low, high).
#: Measured by ``benchmarks/tune_lesson07.py --part seeds`` (seeds 0-4, Intel Xeon, one thread):
#: 0.9824, 0.9844, 0.9842, 0.9824, 0.9830 (mean 0.9833, standard deviation 0.0010); seed 0 gave
#: 0.9816 on the AMD EPYC that first stored lesson 07 (another CPU sums in another order, and 4,300
#: steps amplify the last bits about as much as a new seed does). The bounds sit about 5 standard
#: deviations from the mean, so a correct run on any machine stays inside, while a real regression
#: (a lost half point of accuracy) falls outside.
MAIN_NET_TEST_ACCURACY: tuple[float, float] = (0.978, 0.988)

#: The five measured test accuracies behind :data:`MAIN_NET_TEST_ACCURACY`, seeds 0-4 (see above).
MAIN_NET_SEED_ACCURACIES: tuple[float, ...] = (0.9824, 0.9844, 0.9842, 0.9824, 0.9830)

#: The learning rates tried for every row of the change-by-change table (factors of about 3).
ABLATION_GRID: dict[str, tuple[float, ...]] = {
    "A": (0.1, 0.3, 1.0, 3.0, 10.0, 30.0),
    "B": (0.1, 0.3, 1.0, 3.0, 10.0, 30.0),
    "C": (0.03, 0.1, 0.3, 1.0, 3.0, 10.0),
    "D": (0.03, 0.1, 0.3, 1.0),
    "E": (3e-4, 1e-3, 3e-3, 1e-2),
}

#: The rate of each row with the best validation accuracy (5,000 held-out training images) over
#: :data:`ABLATION_GRID`, as chosen by ``benchmarks/tune_lesson07.py --part grid`` (seed 0). Its run
#: on an Intel Xeon (one thread), validation accuracy at the best rate and at 0.1 (1e-3 for Adam):
#: A 0.7986 vs 0.1896, B 0.9356 vs 0.5606, C 0.9532 vs 0.9110, D 0.9590 vs 0.9446, E 0.9676 vs
#: 0.9604. Every best rate lies inside its grid (the next rate up is worse).
ABLATION_LR: dict[str, float] = {"A": 10.0, "B": 10.0, "C": 3.0, "D": 0.3, "E": 3e-3}


def ablation_net(hidden: str, output: str, seed: int = 0) -> Sequential:
    """The 784-64-10 float32 network of one row of lesson 07's change-by-change table.

    Args:
        hidden: ``"sigmoid"`` (Xavier-uniform init) or ``"relu"`` (He-normal init).
        output: ``"sigmoid"`` (a final ``Sigmoid`` layer, for the MSE rows) or ``"logits"``
            (no output activation, for ``SoftmaxCrossEntropy``).
        seed: seeds the weights.

    Returns:
        Linear(784→64), the hidden activation, Linear(64→10) (Xavier-uniform), and a ``Sigmoid``
        if ``output == "sigmoid"``; input (batch, 784), output (batch, 10).
    """
    if hidden not in ("sigmoid", "relu"):
        raise ValueError(f"ablation_net: hidden must be 'sigmoid' or 'relu', got {hidden!r}")
    if output not in ("sigmoid", "logits"):
        raise ValueError(f"ablation_net: output must be 'sigmoid' or 'logits', got {output!r}")
    rng = np.random.default_rng(seed)
    init = "xavier_uniform" if hidden == "sigmoid" else "he_normal"
    layers = [Linear(784, 64, rng=rng, dtype=np.float32, init=init),
              Sigmoid() if hidden == "sigmoid" else ReLU(),
              Linear(64, 10, rng=rng, dtype=np.float32, init="xavier_uniform")]
    if output == "sigmoid":
        layers.append(Sigmoid())
    return Sequential(*layers)
