"""The backends' tests: a real chatkit-python server (slow to import: only here)."""

from tests.fixtures.chatkit_python import *  # noqa: F403  (fixtures)
from tests.fixtures.scripted import scripted_server  # noqa: F401  (a fixture)
