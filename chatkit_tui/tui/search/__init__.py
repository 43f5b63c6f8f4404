"""Search every conversation: a screen over a mirror's full-text index (core.mirror)."""
