"""resnet.py (system D): the residual CPPN's initialisation and the accuracy-gated rule."""

import numpy as np
import pytest

from conftest import digit_like
from resnet import ResidualCPPNVAE


def test_resnet_blocks_start_near_the_identity():
    """Each block's last layer has weights N(0, 0.001²): H barely changes through 24 blocks at first."""
    g = ResidualCPPNVAE().generator
    block = g.hidden.layers[0].layer.layers
    assert [layer.activation.__name__ for layer in block] == ["relu"] * 4 + ["tanh"]
    assert 0.5 < float(np.std(block[0].kernel.numpy())) < 2.0
    assert float(np.std(block[-1].kernel.numpy())) < 0.01

def test_resnet_rule_follows_the_accuracy_gates():
    images, labels = digit_like(8)
    x = images[:, 1:27, 1:27, None] / 255.0
    small = dict(batch_size=8, net_depth_g=2, net_size_q=16, df_dim=4, seed=0)
    # Never stop G early; D's whole-loss branch always open, never stopped: 3 G + 2 D steps.
    model = ResidualCPPNVAE(**small, n_handicap=3, g_stop_accuracy=2.0, d_fake_low=2.0, g_gate_accuracy=-1.0,
                            d_fake_stop=2.0, n_d_steps=2)
    assert model.partial_train(x, labels)[3] == 5
    assert int(model.d_optimizer.iterations) == 2 and int(model.d_real_optimizer.iterations) == 0
    # Whole-loss branch shut, real branch open: the real-only optimizer steps instead.
    model = ResidualCPPNVAE(**small, n_handicap=1, d_fake_low=-1.0, d_real_low=2.0, d_real_stop=2.0, n_d_steps=3)
    assert model.partial_train(x, labels)[3] == 4
    assert int(model.d_real_optimizer.iterations) == 3 and int(model.d_optimizer.iterations) == 0
    assert {m.name for m in model.metrics} >= {"g_accuracy", "d_real_accuracy", "d_fake_accuracy"}
    with pytest.raises(ValueError, match="one label in 0..9 per image"):
        model.partial_train(x, labels[:3])
