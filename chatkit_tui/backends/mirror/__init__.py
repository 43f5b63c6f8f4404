"""A mirror file read in process (``--mirror PATH``): a read-only copy of a deployment."""

from chatkit_tui.backends.mirror.deployment import MIRROR, MirrorDeployment

__all__ = ["MIRROR", "MirrorDeployment"]
