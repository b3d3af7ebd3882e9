"""Every string a worker sees: organizations, gazetteers, relief programmes, registration guides,
menus and system messages, in YAML under this folder. See content/README.md for the format."""
from content.catalog import (
    CHANNELS,
    Catalog,
    ContentError,
    Guide,
    Office,
    Organization,
    Place,
    Problem,
    Programme,
    load_catalog,
)

__all__ = [
    "CHANNELS",
    "Catalog",
    "ContentError",
    "Guide",
    "Office",
    "Organization",
    "Place",
    "Problem",
    "Programme",
    "load_catalog",
]
