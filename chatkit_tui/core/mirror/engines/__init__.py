"""The mirror's storage engines, each the SQL of one database behind
:class:`chatkit_tui.core.mirror.store.Mirror`: :mod:`.sqlite` (a file, the default) and
:mod:`.postgres` (a ``postgresql://`` URL; psycopg imported only when one is opened)."""
