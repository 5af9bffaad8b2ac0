"""Encoder -> weight-tied recurrent core -> decoder, as in Wichers et al. (arXiv 2405.06409).

The decoder is applied to every hidden state h_0..h_T, which is what lets us look at what the
network "imagines" between the frame it saw and the frame it was asked for. Only the network is
here (nanoGPT's ``model.py`` shape); its config is ``imagination.config`` and its Hub I/O
``imagination.pretrained``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from imagination.config import ModelConfig
from imagination.errors import CheckpointError
from imagination.hooks import Cache, Hook, HookPoint, attached
from imagination.pretrained import PreTrainedImagination
from imagination.tasks import pool_summary

__all__ = ["CheckpointError", "ImaginationModel", "ModelConfig", "make_core_block", "make_decoder"]


def _act(cfg: ModelConfig) -> nn.Module:
    return nn.LeakyReLU(cfg.negative_slope)


def _conv_stack(cfg: ModelConfig, in_ch: int, layers: int, kernel: int, out_ch: int) -> nn.Sequential:
    """``layers - 1`` conv+activation blocks at ``channels`` width, then a plain conv to ``out_ch``."""
    mods: list[nn.Module] = []
    ch = in_ch
    for _ in range(layers - 1):
        mods += [nn.Conv2d(ch, cfg.channels, kernel, padding=kernel // 2), _act(cfg)]
        ch = cfg.channels
    mods.append(nn.Conv2d(ch, out_ch, kernel, padding=kernel // 2))
    return nn.Sequential(*mods)


def make_core_block(cfg: ModelConfig) -> nn.Sequential:
    """One recurrent step's residual branch: h_{t+1} = h_t + block(h_t) (or block([h_t, x]) with recall)."""
    c = cfg.channels
    c_in = c + (cfg.env.input_channels if cfg.recall else 0)
    if cfg.core_hidden > 0:
        return nn.Sequential(
            nn.Conv2d(c_in, cfg.core_hidden, 3, padding=1), _act(cfg), nn.Conv2d(cfg.core_hidden, c, 1)
        )
    mods: list[nn.Module] = []
    for k in range(cfg.core_layers):
        mods += [nn.Conv2d(c_in if k == 0 else c, c, 3, padding=1), _act(cfg)]
    return nn.Sequential(*mods)


def make_decoder(cfg: ModelConfig) -> nn.Sequential:
    """Hidden state -> one frame logit (or value) per cell."""
    return _conv_stack(cfg, cfg.channels, cfg.decoder_layers, cfg.decoder_kernel, 1)


class ImaginationModel(PreTrainedImagination):
    """The whole network. ``model(frames)`` returns every hidden state h_0..h_T.

    Load with ``ImaginationModel.from_pretrained(zoo name | local folder | Hub repo id)``; only
    ``model.safetensors`` is ever read, and keys are checked strictly.
    """

    def __init__(self, config: ModelConfig | dict[str, Any] | None = None) -> None:
        super().__init__(config)
        cfg = self.config
        enc: list[nn.Module] = []
        ch = cfg.env.input_channels
        for _ in range(cfg.encoder_layers):
            enc += [nn.Conv2d(ch, cfg.channels, 3, padding=1), _act(cfg)]
            ch = cfg.channels
        self.encoder = nn.Sequential(*enc)
        n_blocks = 1 if cfg.tied else cfg.model_steps
        self.core = nn.ModuleList(make_core_block(cfg) for _ in range(n_blocks))
        self.decoder = make_decoder(cfg)
        self.task_head: nn.Sequential | None = None
        if cfg.task != "board":
            self.task_head = _conv_stack(cfg, cfg.channels, cfg.task_layers, 1, 1)
        self.hook_state = HookPoint()  # every h_t passes here: forward hooks and nnsight read and edit it

    # -- forward -----------------------------------------------------------------------------------
    def observe(self, frames: torch.Tensor) -> torch.Tensor:
        """What the encoder sees of frames [B, H, W]: [B, C_in, H, W] (the environment decides)."""
        return self.config.env.observe(frames)

    def encode(self, frames: torch.Tensor) -> torch.Tensor:
        """[B, H, W] frames -> h_0 [B, C, H, W]."""
        return self._bounded(self.encoder(self.observe(frames)))

    def _bounded(self, h: torch.Tensor) -> torch.Tensor:
        """What every state passes through (``config.state_act``): itself, or tanh's bounded copy."""
        return torch.tanh(h) if self.config.state_act == "tanh" else h

    def core_step(self, h: torch.Tensor, t: int, recall: torch.Tensor | None = None) -> torch.Tensor:
        """h_t -> h_{t+1}. A tied core runs any number of steps; an untied one only its own.

        ``recall`` is the observed input [B, C_in, H, W], fed beside the state when the model recalls it.
        """
        if self.config.tied:
            block = self.core[0]
        elif t < len(self.core):
            block = self.core[t]
        else:
            raise ValueError(f"this untied model has {len(self.core)} separate step blocks; it cannot run step {t + 1}")
        if self.config.recall:
            if recall is None:
                raise ValueError("this model recalls its input at every step: pass recall=model.observe(frames)")
            return self._bounded(h + block(torch.cat([h, recall], dim=1)))
        return self._bounded(h + block(h))

    def forward(self, frames: torch.Tensor, steps: int | None = None) -> torch.Tensor:
        """Hidden states h_0..h_steps, stacked: [B, steps+1, C, H, W]."""
        steps = self.config.model_steps if steps is None else steps
        recall = self.observe(frames) if self.config.recall else None
        h = self.hook_state(self.encode(frames), 0)
        hidden = [h]
        for t in range(steps):  # not continue_from: a subclass may redefine what an intervention continues with
            h = self.hook_state(self.core_step(h, t, recall), t + 1)
            hidden.append(h)
        return torch.stack(hidden, dim=1)

    def continue_from(
        self, h: torch.Tensor, start: int, steps: int, recall: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Run the core from h_start for ``steps`` more steps: [B, steps+1, C, H, W].

        This is what interventions use: replace h_i and watch the rest of the imagination.
        """
        hidden = [h]
        for t in range(start, start + steps):
            h = self.hook_state(self.core_step(h, t, recall), t + 1)
            hidden.append(h)
        return torch.stack(hidden, dim=1)

    # -- hooks (imagination.hooks) ---------------------------------------------------------------
    @torch.no_grad()
    def run_with_cache(self, frames: torch.Tensor, steps: int | None = None) -> tuple[torch.Tensor, Cache]:
        """(decoded frames [B, T+1, H, W], every state and decoding by name: ``state.{t}``, ``decoded.{t}``)."""
        hidden = self(frames, steps)
        decoded = self.decode(hidden)
        cache = Cache({f"state.{t}": hidden[:, t] for t in range(hidden.shape[1])})
        cache.update({f"decoded.{t}": decoded[:, t] for t in range(hidden.shape[1])})
        return decoded, cache

    def run_with_hooks(self, frames: torch.Tensor, hooks: dict[str, Hook], steps: int | None = None) -> torch.Tensor:
        """The hidden states of a run in which ``hooks`` (``{"state.k": fn(h, k)}``) edit the state at step k.

        ``fn`` returns the new state (or None to keep it); the core goes on from the edited one.
        ``imagination.hooks`` has ``replace``, ``add`` and ``patch`` (from another run's cache).
        """
        with attached(self.hook_state, hooks):
            return self(frames, steps)

    # -- readouts ----------------------------------------------------------------------------------
    def decode_logits(self, hidden: torch.Tensor, decoder: nn.Module | None = None) -> torch.Tensor:
        """Raw decoder output for hidden states [..., C, H, W] -> [..., H, W]."""
        dec = self.decoder if decoder is None else decoder
        lead = hidden.shape[:-3]
        flat = hidden.reshape(-1, *hidden.shape[-3:])
        return dec(flat).reshape(*lead, *hidden.shape[-2:])

    def to_probs(self, raw: torch.Tensor) -> torch.Tensor:
        """Decoder output -> frame probabilities (what is thresholded at 0.5)."""
        return torch.sigmoid(raw) if self.config.output == "logit" else raw.clamp(0.0, 1.0)

    def decode(self, hidden: torch.Tensor, decoder: nn.Module | None = None) -> torch.Tensor:
        """Frame probabilities for hidden states of any leading shape: [..., C, H, W] -> [..., H, W].

        ``decode_all`` is the same function under the name the paper's readers look for (every step).
        """
        return self.to_probs(self.decode_logits(hidden, decoder))

    decode_all = decode

    def summarize_raw(self, hidden: torch.Tensor) -> torch.Tensor:
        """Unclamped summary-task outputs (fractions of live cells) for hidden states [..., C, H, W].

        The task head maps each hidden cell to one value, averaged linearly over each summary
        region as the target is (whole board, k x k patch: its in-board cells, or g x g grid cell): the
        head stays convolutional, works at any board size, and a sum of per-cell values can represent
        a count exactly, which a sigmoid of pooled logits could not. Trained with MSE, as the
        reference's summary tasks. The task error reads this, unclamped, as the authors' metric does.
        """
        if self.task_head is None:
            raise ValueError("this model was trained on the board task; it has no summary head")
        lead = hidden.shape[:-3]
        flat = self.task_head(hidden.reshape(-1, *hidden.shape[-3:]))
        pooled = pool_summary(flat, self.config.task, self.config.task_size)
        return pooled.reshape(*lead, *pooled.shape[-2:])

    def summarize(self, hidden: torch.Tensor) -> torch.Tensor:
        """Summary-task predictions (fractions of live cells per region)."""
        return self.summarize_raw(hidden).clamp(0.0, 1.0)
