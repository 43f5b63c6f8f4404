"""Configuration: the TOML file + the environment + the flags -> one frozen Config.

:mod:`.file` reads and validates the file (every error names its line, found by
:mod:`.lines`); :mod:`.resolve` merges it with the environment and the flags;
:mod:`.names` checks the names only the app knows (binding ids, themes), which the app
passes in. Never imports Textual.
"""

from chatkit_tui.config.file import (
    ConfigError,
    ConfigFile,
    ProfileFile,
    parse_config_text,
    read_config_file,
)
from chatkit_tui.config.names import check_names
from chatkit_tui.config.options import BackendOption
from chatkit_tui.config.resolve import (
    Config,
    config_path,
    default_config_path,
    ignored_note,
    load_config,
    resolve,
    run_key_command,
)

__all__ = [
    "BackendOption",
    "Config",
    "ConfigError",
    "ConfigFile",
    "ProfileFile",
    "check_names",
    "config_path",
    "default_config_path",
    "ignored_note",
    "load_config",
    "parse_config_text",
    "read_config_file",
    "resolve",
    "run_key_command",
]
