"""The app on a real chatkit-python deployment (slow to import: only here)."""

from tests.fixtures.chatkit_python import *  # noqa: F403  (fixtures)
