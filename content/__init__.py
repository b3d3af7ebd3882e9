"""Every string a worker sees: organizations, gazetteers, relief programmes, registration guides,
menus and system messages, in YAML under this folder. See content/README.md for the format.

content/types.py holds what the content is made of, content/loader*.py read it from disk,
content/catalog.py is the Catalog the rest of the code asks; content/validate*.py check it."""
from content.catalog import Catalog, load_catalog
from content.loader import default_root
from content.types import (
    CHANNELS,
    PLACE_KINDS,
    ContentError,
    Guide,
    Office,
    Organization,
    Place,
    Problem,
    Programme,
)

__all__ = [
    "CHANNELS",
    "PLACE_KINDS",
    "Catalog",
    "ContentError",
    "Guide",
    "Office",
    "Organization",
    "Place",
    "Problem",
    "Programme",
    "default_root",
    "load_catalog",
]
