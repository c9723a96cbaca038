"""symgrad audit (work in progress)."""
