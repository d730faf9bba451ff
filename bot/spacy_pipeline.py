"""Build the blank English spaCy pipeline (lookup lemmatizer) that SpacyNLP loads.

No pretrained spaCy model can be downloaded here, so the pipeline is made from
installed packages: ``spacy.blank("en")`` plus the ``lemmatizer`` pipe in
``lookup`` mode, whose tables come from ``spacy-lookups-data``.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

PIPELINE_DIR = Path(__file__).resolve().parent.parent / ".spacy" / "en_blank_lookup"


def build(target: Path = PIPELINE_DIR) -> Path:
    """Write the pipeline to ``target`` (replacing it) and return the path."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()  # loads the lookup tables from spacy-lookups-data
    nlp.meta["name"] = "blank_lookup"
    nlp.meta["description"] = "Blank English tokenizer with the lookup lemmatizer"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    nlp.to_disk(tmp)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def is_built(target: Path = PIPELINE_DIR) -> bool:
    meta = target / "meta.json"
    if not meta.exists():
        return False
    return json.loads(meta.read_text()).get("name") == "blank_lookup"


if __name__ == "__main__":
    print(f"spaCy pipeline written to {build()}")
