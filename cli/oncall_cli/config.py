"""Where the CLI connects: `ONCALL_URL` / `ONCALL_TOKEN`, else the file `oncall login` writes.

The file is `$XDG_CONFIG_HOME/oncall/config.toml` (default `~/.config/oncall/config.toml`), mode 0600 in a
0700 directory, holding `url` and `token`. Environment variables win. The file's token is only sent to the
file's URL: with `ONCALL_URL` pointing elsewhere and no `ONCALL_TOKEN`, the CLI is not configured.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Connection:
    url: str
    token: str
    source: str  # "environment", the config file's path, or "environment + <path>"


class ConfigurationError(Exception):
    """The CLI's own configuration (file, environment) cannot be used."""


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "oncall" / "config.toml"


def read_file(path: Path | None = None) -> dict[str, str]:
    path = path or config_path()
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigurationError(f"Cannot read {path}: {error}") from error
    return {k: v for k, v in data.items() if k in ("url", "token") and isinstance(v, str)}


def resolve() -> Connection | None:
    env_url = os.environ.get("ONCALL_URL", "").strip().rstrip("/")
    env_token = os.environ.get("ONCALL_TOKEN", "").strip()
    if env_url and env_token:
        return Connection(env_url, env_token, "environment")
    stored = read_file()
    file_url, file_token = stored.get("url", "").rstrip("/"), stored.get("token", "")
    path = str(config_path())
    if env_token and file_url and not env_url:
        return Connection(file_url, env_token, f"environment + {path}")
    if env_url and not env_token:
        # never send the stored token to another server than the one it was stored for
        return Connection(env_url, file_token, f"environment + {path}") if env_url == file_url else None
    if file_url and file_token:
        return Connection(file_url, file_token, path)
    return None


def write_file(url: str, token: str, path: Path | None = None) -> Path:
    """Store the connection, readable by the owner only (0600; the directory 0700)."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = f"# written by `oncall login`\nurl = {json.dumps(url)}\ntoken = {json.dumps(token)}\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)  # an existing file keeps its old mode through O_CREAT
        os.write(descriptor, text.encode())
    finally:
        os.close(descriptor)
    return path


def remove_file(path: Path | None = None) -> bool:
    path = path or config_path()
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
