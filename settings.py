"""Every setting of every trained system, written once: its meaning, its kind, each system's default.

No TensorFlow here, so `train.py --help` answers at once. The model classes
take their constructor signature from `DEFAULTS` (`bind`), `get_config`
returns the same names, train.py builds its flags and their help from
`SETTINGS`, and `TRAIN_PRESETS` holds the posts' train.py defaults where
they differ from the constructors'.

Kinds: "network" settings shape the weights, so a run resumes only with the
same ones; "training" settings (batch, optimizers) and "rule" settings (the
per-batch training rule, handed to it as tensors) may change on resume.
"""

import argparse
import collections
import functools
import inspect


def number(kind, low, high=None, low_open=False, high_open=False):
    """An argparse type: `kind` within [low, high] (ends open if asked), else an error naming the range."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from None
        if value != value:  # NaN passes every comparison below
            raise argparse.ArgumentTypeError(f"{text!r} is not a number")
        too_low = value <= low if low_open else value < low
        too_high = high is not None and (value >= high if high_open else value > high)
        if too_low or too_high:
            left, right = "(" if low_open else "[", ")" if high_open else "]"
            raise argparse.ArgumentTypeError(
                f"{text} is out of range: expected a value in {left}{low}, {'∞' if high is None else high}{right}"
            )
        return value

    parse.__name__ = kind.__name__
    return parse


positive_int = number(int, 1)
count = number(int, 0)
positive_float = number(float, 0.0, low_open=True)
threshold = number(float, 0.0)
probability = number(float, 0.0, 1.0, low_open=True)
momentum = number(float, 0.0, 1.0, high_open=True)
finite = number(float, -1e30, 1e30)

# The generator's layer plans (cppn.Generator builds them); a name here is the `architecture` setting.
# first: activation of U. steps: the hidden layers' activations for each of the
# depth - 1 steps, cycled (a step of several activations is several layers).
# residual: each step adds to H instead of replacing it (H = H + step(H)).
# stddevs: per layer of a step, the N(0, s²) of its weights and biases (default: the generator's).
# blocks: depth counts the steps (residual blocks), not the layers with U's among them.
Architecture = collections.namedtuple("Architecture", "first steps output residual stddevs blocks",
                                      defaults=(False, None, False))
ARCHITECTURES = {
    "cppnvae": Architecture("softplus", (("tanh",),), "sigmoid"),  # system B, trained on MNIST
    "tanh": Architecture("tanh", (("tanh",),), "sigmoid"),  # system A's default; C's smooth, curved frogs; E
    "softplus_tanh": Architecture("tanh", (("softplus",), ("tanh",)), "sigmoid"),
    "sinusoid": Architecture("tanh", (("softplus",), ("tanh",)), "sinusoid"),
    "sqrt_abs_tanh": Architecture("tanh", (("tanh",),), "sqrt_abs_tanh"),
    "residual": Architecture("tanh", (("tanh",),), "sigmoid", residual=True),  # H = H + tanh(FC(H))
    "relu_tanh": Architecture("relu", (("tanh",),), "sigmoid"),  # system C's trucks: rigid lines
    "frog": Architecture("relu", (("tanh", "relu"),), "sigmoid"),  # system C's frogs: tanh then relu per step
    # System D: 4 relu layers with large weights, then a tanh layer with tiny ones, added to H.
    "resnet": Architecture("tanh", (("relu",) * 4 + ("tanh",),), "sigmoid", True, (1.0,) * 4 + (0.001,), True),
}

# kind, parse (argparse type, or a tuple of choices; None: not a train.py flag), help.
Setting = collections.namedtuple("Setting", "kind parse help")
SETTINGS = {
    "batch_size": Setting("training", positive_int, "images per batch"),
    "z_dim": Setting("network", positive_int, "latent size"),
    "x_dim": Setting("network", positive_int, "side of the square training images"),
    "y_dim": Setting("network", None, "height of the training images (train.py: = x_dim)"),
    "c_dim": Setting("network", None, "1 grey, 3 colour (train.py: from the data, or --c_dim)"),
    "scale": Setting("network", positive_float, "zoom of the training images: coordinates span ±scale"),
    "learning_rate": Setting("training", positive_float, "generator optimizer's learning rate"),
    "learning_rate_d": Setting("training", positive_float, "discriminator's (wgan-gp: critic's) learning rate"),
    "learning_rate_vae": Setting("training", positive_float, "VAE optimizer's learning rate"),
    "beta1": Setting("training", momentum, "Adam beta1 of all optimizers"),
    "beta2": Setting("training", momentum, "Adam beta2 of all optimizers"),
    "net_size_g": Setting("network", positive_int, "generator units per layer"),
    "net_depth_g": Setting("network", positive_int, "generator depth (resnet: residual blocks)"),
    "net_size_q": Setting("network", positive_int, "encoder units per layer"),
    "keep_prob": Setting("training", probability, "encoder dropout keep probability while training"),
    "df_dim": Setting("network", positive_int, "discriminator filters of its first layer"),
    "critic_dim": Setting("network", positive_int, "wgan-gp: critic filters of its first layer"),
    "model_name": Setting("network", None, "the Keras model's name"),
    "architecture": Setting("network", tuple(ARCHITECTURES), "the generator's layer plan (settings.ARCHITECTURES)"),
    "use_radius": Setting("network", bool, "feed the generator r = sqrt(x² + y²) besides x and y"),
    "reconstruction": Setting("training", ("bernoulli", "l2"), "cppnvae's pixel loss"),
    "n_classes": Setting("network", None, "resnet: classes of the data (train.py: from the data)"),
    "clip_norm": Setting("training", positive_float, "resnet: clip each optimizer's gradients to this global norm"),
    "n_vae_steps": Setting("rule", count, "VAE steps per batch"),
    "n_handicap": Setting("rule", count, "max generator steps per batch"),
    "g_stop_loss": Setting("rule", threshold, "stop generator steps once g_loss is below this"),
    "th_low": Setting("rule", threshold, "train D only while d_loss is above this"),
    "th_high": Setting("rule", threshold, "train D only while g_loss is below this"),
    "n_d_steps": Setting("rule", count, "max D steps per batch"),
    "prior_samples": Setting("rule", threshold, "not upstream: add this share of the batch, drawn from the "
                             "prior, to the images D and G judge, so prior samples learn to look like digits too"),
    "vae_weight": Setting("rule", threshold, "resnet: weight of the KL term in G's loss"),
    "g_stop_accuracy": Setting("rule", threshold, "resnet: stop G steps once D labels its fakes this well"),
    "d_fake_low": Setting("rule", threshold, "resnet: train D while its accuracy on fakes is below this ..."),
    "g_gate_accuracy": Setting("rule", threshold, "resnet: ... and G's accuracy above this"),
    "d_fake_stop": Setting("rule", threshold, "resnet: stop those D steps once fake accuracy is above this"),
    "d_real_low": Setting("rule", threshold, "resnet: else train D on real images while their accuracy is below this"),
    "d_real_stop": Setting("rule", threshold, "resnet: stop those steps once real accuracy is above this"),
    "n_critic": Setting("training", positive_int, "wgan-gp: critic steps per generator step"),
    "gp_lambda": Setting("training", threshold, "wgan-gp: weight of the gradient penalty"),
}

# Each system's constructor defaults, in its constructor's order (Ha's for CPPNVAE).
DEFAULTS = {
    "cppnvae": dict(
        batch_size=1, z_dim=32, x_dim=26, y_dim=26, c_dim=1, scale=8.0, learning_rate=0.01, learning_rate_d=0.001,
        learning_rate_vae=0.0001, beta1=0.9, net_size_g=128, net_depth_g=4, net_size_q=512, keep_prob=1.0,
        df_dim=24, model_name="cppnvae", n_vae_steps=4, n_handicap=4, g_stop_loss=0.6, th_low=0.6, th_high=0.75,
        n_d_steps=1, prior_samples=0.0, architecture="cppnvae", use_radius=True, reconstruction="bernoulli",
    ),
    "resnet": dict(
        batch_size=1, z_dim=32, x_dim=26, y_dim=26, c_dim=1, scale=8.0, learning_rate=0.01, learning_rate_d=0.001,
        learning_rate_vae=0.0001, beta1=0.9, net_size_g=6, net_depth_g=24, net_size_q=512, keep_prob=1.0,
        df_dim=32, model_name="rescppnvae", n_classes=10, clip_norm=5.0, vae_weight=10.0, n_vae_steps=0,
        n_handicap=16, g_stop_accuracy=0.98, d_fake_low=0.7, g_gate_accuracy=0.6, d_fake_stop=0.75,
        d_real_low=0.6, d_real_stop=0.7, n_d_steps=8, architecture="resnet", use_radius=True,
    ),
    "wgan-gp": dict(
        batch_size=50, z_dim=128, x_dim=28, y_dim=28, c_dim=1, scale=8.0, learning_rate=1e-4, learning_rate_d=1e-4,
        beta1=0.5, beta2=0.9, net_size_g=128, net_depth_g=4, architecture="tanh", use_radius=True, critic_dim=64,
        n_critic=5, gp_lambda=10.0, model_name="cppnwgangp",
    ),
}
# Where each system's class lives (imported only when a model is built) and the post it comes from.
System = collections.namedtuple("System", "module class_name post")
SYSTEMS = {
    "cppnvae": System("model", "CPPNVAE", "Ha's CPPN-GAN-VAE: digits (post 000), colour (post 003)"),
    "resnet": System("resnet", "ResidualCPPNVAE", "residual CPPN with a classifier critic (post 001)"),
    "wgan-gp": System("wgan_gp", "CPPNWGANGP", "CPPN-WGAN-GP (post 004)"),
}
# The posts' train.py defaults where they differ from the constructors' (REFERENCE.md B, C, D; E's post).
# "cppnvae-colour" is system C: cppnvae on colour images.
TRAIN_PRESETS = {
    "cppnvae": dict(batch_size=500, learning_rate=0.005, learning_rate_vae=0.001, learning_rate_d=0.001, beta1=0.65),
    "cppnvae-colour": dict(x_dim=30, y_dim=30, net_size_g=64, net_depth_g=8, df_dim=20, architecture="frog",
                           reconstruction="l2", n_vae_steps=16, n_handicap=16, batch_size=1000, learning_rate=0.0025,
                           learning_rate_vae=0.0005, learning_rate_d=0.0001, beta1=0.5, keep_prob=0.65),
    "resnet": dict(batch_size=1000, learning_rate=0.001, learning_rate_vae=0.0001, learning_rate_d=0.001,
                   beta1=0.75, keep_prob=0.65),
    "wgan-gp": {},
}


def preset(system, c_dim=1):
    """The train.py defaults of `system` (and system C's for cppnvae on colour): constructor defaults + the post's."""
    variant = "cppnvae-colour" if system == "cppnvae" and c_dim == 3 else system
    return {**DEFAULTS[system], **TRAIN_PRESETS[system], **TRAIN_PRESETS[variant]}


def of_kind(system, kind):
    """The names of `system`'s settings of one kind, in constructor order."""
    return tuple(name for name in DEFAULTS[system] if SETTINGS[name].kind == kind)


def signature(system):
    """The constructor signature of `system`'s class: its settings with defaults, then `seed`."""
    parameters = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=value)
                  for name, value in DEFAULTS[system].items()]
    parameters.append(inspect.Parameter("seed", inspect.Parameter.KEYWORD_ONLY, default=None))
    parameters.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
    return inspect.Signature(parameters)


def bind(system, args, kwargs):
    """Constructor arguments → (settings with defaults filled in, the Keras keyword arguments left over).

    Positional arguments follow the constructor order; a misspelt name is an
    error naming the settings there are (Keras' own, e.g. `name`, pass through).
    """
    defaults = DEFAULTS[system]
    if len(args) > len(defaults):
        raise TypeError(f"{system} takes at most {len(defaults)} positional settings, got {len(args)}")
    settings = dict(zip(defaults, args))
    keras_kwargs = {}
    for name, value in kwargs.items():
        if name in settings:
            raise TypeError(f"{name} given twice")
        if name in defaults:
            settings[name] = value
        elif name in ("name", "dtype", "trainable"):
            keras_kwargs[name] = value
        else:
            raise TypeError(f"{name!r} is not a {system} setting; the settings are: {', '.join(defaults)}")
    return {**defaults, **settings}, keras_kwargs


def defaults_text(name):
    """How `name`'s train.py default depends on the system, for --help: e.g. "cppnvae 0.005; colour 0.0025"."""
    shown = {}
    for label, system, c_dim in (("cppnvae", "cppnvae", 1), ("colour", "cppnvae", 3), ("resnet", "resnet", 1),
                                 ("wgan-gp", "wgan-gp", 1)):
        values = preset(system, c_dim)
        if name in values:
            shown.setdefault(values[name], []).append(label)
    if len(shown) == 1:
        return f"{next(iter(shown))}"
    return "; ".join(f"{'/'.join(labels)} {value}" for value, labels in shown.items())


@functools.lru_cache(maxsize=None)
def rule_tuple(system):
    """A named tuple of `system`'s rule settings (defaults filled in): what its `rule` reads as `s.<name>`."""
    names = of_kind(system, "rule")
    return collections.namedtuple(f"{system.replace('-', '_')}_rule", names,
                                  defaults=[DEFAULTS[system][name] for name in names])
