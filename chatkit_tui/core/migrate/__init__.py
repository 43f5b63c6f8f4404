"""``chatkit-tui migrate``: a hosted deployment's threads into a chatkit-python Store.

:mod:`.mapping` converts (pure: hosted JSON -> chatkit-python's validated models),
:mod:`.run` writes, dry-runs and verifies thread by thread, :mod:`.report` keeps the
record. chatkit-python (``openai-chatkit``, the ``self-hosted`` extra) is imported only
when a conversion runs.
"""
