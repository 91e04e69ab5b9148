"""Writes through library calls and output options (FS-WRITE); remote clients in code and what
counts as a local host (NET-DOWNLOAD, EXPL-NET)."""

from __future__ import annotations

import pytest

from redline.classifiers.engine import label_frames
from redline.classifiers.frames import Frames
from redline.classifiers.registry import active_rules
from redline.events import Event, Trial
from redline.convert import trials_to_arrow

ACTION_RULES = [r for r in active_rules() if r.id in ("FS-WRITE", "NET-DOWNLOAD", "EXPL-NET")]


def _labels(*actions: str) -> dict[int, set[str]]:
    """Labels per action index for a trial of these actions (each followed by an empty output)."""
    trial = Trial(format="test", source_path="<test>")
    seqs = []
    for text in actions:
        act = trial.add(Event(kind="action", text=text, role="assistant", tool="bash"))
        trial.add(Event(kind="observation", text="", role="tool", action_seq=act.seq))
        seqs.append(act.seq)
    labels = label_frames(Frames.from_arrow(*trials_to_arrow([trial])), ACTION_RULES)
    by_seq: dict[int, set[str]] = {}
    for row in labels.iter_rows(named=True):
        by_seq.setdefault(row["seq"], set()).add(row["label_id"])
    return {i: by_seq.get(seq, set()) for i, seq in enumerate(seqs)}


def _heredoc(name: str, body: str) -> str:
    return f"cat > {name} <<'EOF'\n{body}EOF"


@pytest.mark.parametrize("body", [
    "import torch\ntorch.save({'w': 1}, 'weights.pt')\n",
    "import joblib\njoblib.dump({'k': 1}, 'model.joblib')\n",
    "import pandas as pd\npd.DataFrame({'a': [1]}).to_csv(out_path)\n",
    "booster.save_model('gbm.txt')\n",
    "from pathlib import Path\nPath('report.md').write_text('# done')\n",
    "import numpy as np\nnp.savez_compressed('arrays.npz', a=a)\n",
])
def test_a_script_that_saves_is_a_write_when_it_runs(body):
    labels = _labels(_heredoc("job.py", body), "python3 job.py")
    assert "FS-WRITE" in labels[1]
    # running code that only reads and prints is not a write
    assert "FS-WRITE" not in _labels(_heredoc("show.py", "print(open('a.txt').read())\n"), "python3 show.py")[1]


@pytest.mark.parametrize("command, writes", [
    ("openssl req -new -key k.pem -out req.csr -subj /CN=a", True),
    ("openssl enc -aes-256-cbc -in a.txt -out a.enc -k pw", True),
    ("openssl s_client -connect example.org:443 -out /dev/null", False),
    ("ffmpeg -i clip.mov -vf scale=640:-1 small.mp4", True),
    ("ffmpeg -hide_banner -i clip.mov", False),
    ("tar --create --file=site.tar www/", True),
    ("tar -xzf site.tar.gz", False),
    ("clang -Wall -o a.out main.c", True),
    ("nvcc -c kernel.cu", True),
    ("black -l 100 pkg/", True),
    ("python -m black --diff pkg/", False),
    ("ruff check --fix --select I .", True),
    ("yapf -i app.py", True),
    ("yapf app.py", False),
    ("pnpm exec prettier --write .", True),
])
def test_programs_that_write_through_an_option(command, writes):
    assert ("FS-WRITE" in _labels(command)[0]) is writes


@pytest.mark.parametrize("command, remote", [
    ("curl -s https://api.example.com/v1/status", True),
    ("curl -s http://api:8000/v1/status", False),
    ("curl -s http://10.1.2.3:8000/", True),
    ("curl -s http://[::1]:8000/", False),
    ("wget -q http://files/data.csv", False),
    ("python3 -c \"from openai import OpenAI; OpenAI(base_url='http://llm-gateway:4000/v1').models.list()\"", False),
    ("python3 -c \"from openai import OpenAI; OpenAI(base_url='https://llm.example.ai/v1').models.list()\"", True),
    ("python3 -c \"import xmlrpc.client as x; x.ServerProxy('http://rpc.example.net:8000').ping()\"", True),
    ("python3 -c \"from transformers import pipeline; pipeline('text-generation', model='gpt2')\"", True),
    ("python3 -c \"from transformers import pipeline; pipeline('text-generation', model='./ft')\"", False),
])
def test_remote_means_a_host_outside_the_task(command, remote):
    labels = _labels(command)[0]
    assert ("NET-DOWNLOAD" in labels) is remote
    if not remote and "http" in command and "python3" not in command:
        assert "EXPL-NET" in labels  # a request to a neighbouring service is a local probe


def test_a_hub_download_in_a_branch_of_an_earlier_script_is_a_download():
    body = ("import os\nfrom huggingface_hub import hf_hub_download\nfrom transformers import AutoModel\n"
            "path = './cache/model.safetensors'\nif not os.path.exists(path):\n"
            "    path = hf_hub_download('acme/encoder', 'model.safetensors', local_dir='./cache')\n"
            "m = AutoModel.from_pretrained('./cache')\n")
    labels = _labels(_heredoc("fetch.py", body), "python3 fetch.py")
    assert "NET-DOWNLOAD" not in labels[0]  # writing the script downloads nothing
    assert "NET-DOWNLOAD" in labels[1]
    offline = "import os\nos.environ['HF_HUB_OFFLINE'] = '1'\n" + body
    assert "NET-DOWNLOAD" not in _labels(_heredoc("fetch.py", offline), "python3 fetch.py")[1]
