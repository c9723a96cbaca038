"""Custom activations and costs from user-typed expressions (being written)."""
__all__ = ["looks_like_expression"]


def looks_like_expression(text: str) -> bool:
    return False
