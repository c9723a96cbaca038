"""The sub-commands of ``symgrad``; each module exposes ``register(subparsers)``."""
__all__: list[str] = []
