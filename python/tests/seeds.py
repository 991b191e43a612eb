"""The seed of every randomized Python test. Fixed by default (repeatable CI) and printed in
pytest's header; ANDA_TEST_SEED=<n> replays or changes it, ANDA_TEST_SEED=random draws a fresh one.
Each test mixes it with its own salt, so streams stay independent."""

import os
import secrets

import numpy as np

DEFAULT = 20261202


def _seed():
    text = os.environ.get("ANDA_TEST_SEED", "")
    if text == "":
        return DEFAULT
    if text == "random":
        return secrets.randbelow(2**32)
    try:
        value = int(text, 0)
    except ValueError:
        value = -1
    if not 0 <= value < 2**32:
        raise ValueError(f"ANDA_TEST_SEED: expected an integer below 2^32 or 'random', got {text!r}")
    return value


SEED = _seed()


def rng(salt):
    """A NumPy generator for one stream: the run's seed mixed with `salt`."""
    return np.random.default_rng([SEED, salt])


def torch_seed(salt):
    """A torch.manual_seed value for one stream."""
    return int(np.random.SeedSequence([SEED, salt]).generate_state(1, np.uint64)[0])
