"""NomicBERT's reference implementation, for scripts/make-transformers-models.py and
scripts/reference-fixtures.py: NomicBertConfig and NomicBertModel as nomic-ai publishes
them (configuration_hf_nomic_bert.py and modeling_hf_nomic_bert.py, the Hub remote code of
nomic-embed-text-v1.5 via nomic-ai/nomic-bert-2048; their source is nomic-ai/contrastors,
src/contrastors/models/huggingface/). Nothing of that code is in this repository: it is
read at run time from PAIRLENS_NOMIC_BERT_CODE, either

  * a folder holding the two files (e.g. a snapshot of the Hub repo nomic-ai/nomic-bert-2048), or
  * a git clone of nomic-ai/contrastors, read at PAIRLENS_NOMIC_BERT_COMMIT (default HEAD)
    with `git show`, without a work tree,

copied into a temporary package (the modeling file imports its configuration relatively)
and imported unchanged. The classes are registered with transformers' AutoConfig/AutoModel
for model_type nomic_bert, so that sentence-transformers loads a folder whose config.json
names them in auto_map (as the published one does) without trust_remote_code or a network.
"""
import atexit
import hashlib
import importlib
import os
import shutil
import subprocess
import sys
import tempfile

FILES = ("configuration_hf_nomic_bert.py", "modeling_hf_nomic_bert.py")
CONTRASTORS_PATH = "src/contrastors/models/huggingface"
PACKAGE = "nomic_bert_hub_code"

_loaded = None


def _read_sources(source):
    if all(os.path.isfile(os.path.join(source, f)) for f in FILES):
        out = {}
        for f in FILES:
            with open(os.path.join(source, f), "rb") as fh:
                out[f] = fh.read()
        return out, f"files in {os.path.basename(os.path.normpath(source))}"
    commit = os.environ.get("PAIRLENS_NOMIC_BERT_COMMIT", "HEAD")
    git = ["git", "-C", source]
    sha = subprocess.run(git + ["rev-parse", commit], check=True, capture_output=True, text=True).stdout.strip()
    out = {f: subprocess.run(git + ["show", f"{sha}:{CONTRASTORS_PATH}/{f}"], check=True, capture_output=True).stdout for f in FILES}
    return out, f"nomic-ai/contrastors@{sha}:{CONTRASTORS_PATH}"


def load():
    """(modeling module, a line saying where the code came from and its SHA-256)."""
    global _loaded
    if _loaded is not None:
        return _loaded
    source = os.environ.get("PAIRLENS_NOMIC_BERT_CODE")
    if not source:
        raise RuntimeError("PAIRLENS_NOMIC_BERT_CODE is not set: point it at NomicBERT's reference code (scripts/nomic_bert_reference.py)")
    sources, origin = _read_sources(source)
    root = tempfile.mkdtemp(prefix="nomic-bert-reference-")
    atexit.register(shutil.rmtree, root, True)
    package = os.path.join(root, PACKAGE)
    os.makedirs(package)
    open(os.path.join(package, "__init__.py"), "w").close()
    for name, data in sources.items():
        with open(os.path.join(package, name), "wb") as fh:
            fh.write(data)
    sys.path.insert(0, root)
    modeling = importlib.import_module(f"{PACKAGE}.modeling_hf_nomic_bert")

    from transformers import AutoConfig, AutoModel

    AutoConfig.register("nomic_bert", modeling.NomicBertConfig)
    AutoModel.register(modeling.NomicBertConfig, modeling.NomicBertModel)
    digest = hashlib.sha256(sources["modeling_hf_nomic_bert.py"]).hexdigest()[:16]
    _loaded = (modeling, f"{origin} (modeling_hf_nomic_bert.py sha256 {digest}…)")
    return _loaded
