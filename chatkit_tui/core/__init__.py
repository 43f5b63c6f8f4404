"""What the app, the script CLI and the jobs to come share, each written once.

Textual-free (import-linter and ``tests/unit/test_import_hygiene.py`` prove it): paths and
atomic writes (:mod:`.paths`), API text made safe for people (:mod:`.text`), times
(:mod:`.times`), error wording (:mod:`.errors`), fetching a whole thread (:mod:`.fetch`),
the archive (:mod:`.archive`), export (:mod:`.export`, :mod:`.transcript`), the one
archive-then-delete operation (:mod:`.delete`), the bulk runner over it (:mod:`.bulk`) and
session-parameter checks (:mod:`.session_params`).
"""
