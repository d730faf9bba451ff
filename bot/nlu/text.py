"""Text folding shared by NLU steps that compare what visitors type with written lists."""
from __future__ import annotations

import unicodedata


def unaccented(text: str) -> str:
    """Lowercase, accents dropped: visitors write "qué" and "que", "días" and "dias" alike."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))
