"""chatkit-tui: a terminal app for OpenAI ChatKit deployments."""

__version__ = "0.1.0"
