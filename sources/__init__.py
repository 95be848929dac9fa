"""Sources: the catalogue as Python sees it, and (with intake) departments' files."""
