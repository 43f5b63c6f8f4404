"""chatkit-tui: a terminal app for OpenAI ChatKit deployments."""

__version__ = "0.1.0"

APP_NAME = "chatkit-tui"  # the directory name under the user's config and data directories
