"""A self-hosted ChatKit deployment: the operator's chatkit-python server, over its own
protocol (``--chatkit-url URL --header 'Name: value'``)."""

from chatkit_tui.backends.chatkit_python.client import CHATKIT_PYTHON, ChatKitPython

__all__ = ["CHATKIT_PYTHON", "ChatKitPython"]
