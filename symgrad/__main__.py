"""``python -m symgrad``: the same as the ``symgrad`` command."""
from symgrad.cli.main import entry_point

__all__: list[str] = []

if __name__ == "__main__":  # pragma: no cover
    entry_point()
