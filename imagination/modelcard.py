"""The model card's template and the words every card shares, evaluated or not.

A card is rendered by huggingface_hub's ``ModelCard.from_template`` from ``templates/modelcard.md``
(package data). ``save_pretrained`` / ``push_to_hub`` render it from the config alone (no scores: a
save never evaluates); ``imagination.cards`` renders it with the scores eval.json holds. A card
names where it can be loaded from (the Hub repo, the zoo name, or the folder; never a path of the
machine that wrote it) and links the paper as an arXiv URL and a code URL only when one is
configured (``IMAGINATION_CODE_URL`` or the installed package's ``project.urls``).
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import os
from pathlib import Path

from huggingface_hub import ModelCard, ModelCardData

from imagination import registry
from imagination.config import ModelConfig
from imagination.provenance import portable, stage_of

PAPER_URL = "https://arxiv.org/abs/2405.06409"
PAPER = f'Wichers et al., "Visualizing Neural Network Imagination", [arXiv:2405.06409]({PAPER_URL})'
TAGS = ["interpretability", "recurrent", "pytorch_model_hub_mixin"]
TEMPLATE = importlib.resources.files("imagination") / "templates" / "modelcard.md"


def tags(config: ModelConfig) -> list[str]:
    """The Hub tags of a card: the project's, the environment's (``game-of-life``) and the regime."""
    return [*TAGS[:1], config.env.tag(), *TAGS[1:], config.regime]


def code_url() -> str | None:
    """The project's code URL where one is configured, else None (a card never links a guessed URL)."""
    url = os.environ.get("IMAGINATION_CODE_URL", "").strip()
    if url:
        return url
    try:
        meta = importlib.metadata.metadata("imagination")
    except importlib.metadata.PackageNotFoundError:
        return None
    for line in meta.get_all("Project-URL") or []:
        label, _, value = line.partition(",")
        if label.strip().lower() in ("repository", "source", "code", "homepage") and value.strip():
            return value.strip()
    return None


def intro(cfg: ModelConfig) -> str:
    url = code_url()
    lib = f"[imagination]({url})" if url else "`imagination`"
    task_note = ""
    if cfg.task != "board":
        task_note = f", asked only for a summary of that {cfg.env.frame_word} (`{cfg.task}`, size {cfg.task_size})"
    env = cfg.env
    return (
        f"An {lib} checkpoint: an encoder, a weight-{'tied' if cfg.tied else 'untied (ablation)'} recurrent "
        f"convolutional core and a decoder trained on {env.describe()} to predict the {env.frame_word} "
        f"{cfg.game_steps} {env.step_word}s ahead{task_note}. The decoder applied to each *intermediate* hidden "
        f"state shows what the network imagines between the start and the answer ({PAPER})."
    )


def architecture(cfg: ModelConfig) -> str:
    core = (
        f"3x3 conv to {cfg.core_hidden} channels + 1x1 conv back (residual)"
        if cfg.core_hidden > 0
        else f"{cfg.core_layers} 3x3 convs (residual)"
    )
    if cfg.recall:
        core += ", the input recalled at every step"
    if cfg.state_act == "tanh":
        core += ", every state bounded by tanh (h_0 and each h_t+1 = tanh(h_t + block))"
    head = ""
    if cfg.task != "board":
        head = f";\n  task head: {cfg.task_layers} layer(s) of 1x1 convs, averaged over each region"
    return (
        f"- architecture: {cfg.channels} hidden channels; encoder: {cfg.encoder_layers} layer(s) of 3x3 convs;"
        f" core block: {core};\n"
        f"  decoder: {cfg.decoder_layers} layer(s) of {cfg.decoder_kernel}x{cfg.decoder_kernel} convs{head}"
    )


def regime_line(cfg: ModelConfig) -> str:
    return (
        f"- regime: **{cfg.regime}**; model steps: {cfg.model_steps}; {cfg.env.frame_word}s trained against a decoding "
        f"at model steps {cfg.trained_steps}"
    )


def usage(cfg: ModelConfig, target: str, where: str, size: int | None = None, revision: str | None = None) -> str:
    """The card's snippet: load the checkpoint and decode every hidden state of a few episodes of ``size``."""
    size = cfg.env.eval_size if size is None else size
    at = f', revision="{revision}"' if revision else ""
    return f"""\
```python
from imagination import ImaginationModel

model = ImaginationModel.from_pretrained("{target}"{at})  # {where}
env = model.config.env                  # {cfg.env.describe().replace("`", "")}
episodes = env.eval_episodes(n=8, steps={cfg.game_steps}, size={size}, seed=0)
hidden = model(episodes[:, 0])          # h_0 .. h_T
imagined = model.decode_all(hidden)     # {cfg.env.frame_word} probabilities per step
```"""


def target(folder: Path | None, name: str, repo_id: str | None) -> tuple[str, str, str | None]:
    """What the usage snippet loads, a note on where that is, and at which revision (a stage's; else None)."""
    stage = stage_of(folder) if folder is not None else None
    if stage is not None:
        owner, rev = stage
        if repo_id:
            return repo_id, f"this repo's revision {rev}, the run it was continued from", rev
        if registry.in_zoo(owner):
            return owner.name, f"bundled: the run the zoo entry {owner.name} was continued from", rev
        return *target(owner, owner.name, None)[:2], rev
    return (*_target(folder, name, repo_id), None)


def _target(folder: Path | None, name: str, repo_id: str | None) -> tuple[str, str]:
    if repo_id:
        return repo_id, "this repo on the Hugging Face Hub"
    if folder is None:
        return ".", "the folder this card is in, from inside it (or its path from elsewhere)"
    if registry.in_zoo(folder):
        return name, "bundled with the package: the zoo name loads offline"
    local = portable(str(folder.resolve())) if folder.is_absolute() else folder.as_posix()
    if not local.startswith("."):
        local = f"./{local}"  # never read as a zoo name or an ORG/NAME repo id
    push = f"python -m training.push {local} --repo-id ORG/NAME"
    return local, f"this folder; once pushed ({push}) the card names the repo"


UNMEASURED = (
    "This card was written by `save_pretrained` / `push_to_hub`, which do not evaluate: it carries no "
    "scores, and whether the checkpoint meets the zoo's bar (task error <= 1% on the fixed eval set) is "
    "unknown. To measure them from the weights and rewrite this card with them, run "
    "`python -m imagination.cards FOLDER --evaluate` on the saved folder (it writes eval.json and "
    "README.md); `python -m training.push FOLDER --repo-id ORG/NAME` then publishes the scored folder."
)


def render(
    card_data: ModelCardData,
    cfg: ModelConfig,
    name: str,
    where: tuple[str, str, str | None],
    summary: str,
    scores: str = "",
    training: str = "",
    eval_size: int | None = None,
    picture: str = "",
) -> ModelCard:
    """The card from the template: ``summary``, ``scores``, ``training`` and ``picture`` (the checkpoint
    imagining an episode, ``imagination.cards.picture``) are Markdown blocks.

    Without ``scores`` the card says plainly that the checkpoint is unevaluated and how to measure it.
    """
    return ModelCard.from_template(
        card_data,
        template_str=TEMPLATE.read_text(),
        model_name=name,
        intro=intro(cfg),
        summary=summary,
        scores=scores,
        unmeasured=UNMEASURED,
        usage=usage(cfg, where[0], where[1], eval_size, where[2]),
        training=training,
        picture=picture,
    )


def unevaluated_card(cfg: ModelConfig, repo_id: str | None = None, folder: Path | None = None) -> ModelCard:
    """The card ``save_pretrained`` / ``push_to_hub`` write: architecture and use, no scores."""
    name = repo_id.split("/")[-1] if repo_id else folder.resolve().name if folder else "imagination checkpoint"
    data = ModelCardData(license="apache-2.0", library_name="imagination", tags=[*tags(cfg), "unevaluated"])
    return render(data, cfg, name, target(folder, name, repo_id), regime_line(cfg) + "\n" + architecture(cfg))
