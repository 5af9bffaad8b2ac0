"""How the demo's page looks and reads: its introduction, stylesheet, and the text that says what each picture shows.

Kept apart from the layout (page.py) because none of it changes what an event does; the words
that name the environment (its title, what a frame is called) come from the environment.
"""

from __future__ import annotations

import json

from imagination.envs import Environment

INTRO = """\
# What does the network imagine?

A recurrent network is trained to predict {task}; its decoder, applied
to every *intermediate* hidden state, shows the {frames} it imagines on the way (Wichers et al.,
[arXiv 2405.06409](https://arxiv.org/abs/2405.06409)). Below: one such episode, already run.
"""

# Images are shown at their own size (whole pixels per cell, text drawn at the size it is read),
# never scaled down; a wide one scrolls sideways inside its box rather than shrinking.
CSS = """
.natural img, .natural canvas { width: auto !important; height: auto !important; max-width: none !important;
  max-height: none !important; object-fit: none !important; }
.natural .image-container, .natural .image-frame, .natural button { overflow-x: auto !important;
  justify-content: flex-start !important; }
.natural { overflow-x: auto; }
#run-btn { min-height: 44px; }
#checkpoint input, #rule input, #pattern input { padding-right: 2.2em !important; text-overflow: ellipsis; }
#load-btn { align-self: center; }
@media (max-width: 600px) {
  #step-scores { --text-md: 12px; --size-2: 3px; }
}
/* contrast (WCAG AA, checked by axe-core in tests/test_app_browser.py): hints, slider bounds, primary buttons */
.info-text, [data-testid="min-value"], [data-testid="max-value"], .show-api, .show-api * { color: #4b5563 !important;
  opacity: 1 !important; }
button.primary { background: #c2410c !important; border-color: #c2410c !important; color: #fff !important; }
button.primary:hover { background: #9a3412 !important; }
/* messages at the bottom: at the top right they would cover the Run button */
.toast-wrap { top: auto !important; bottom: var(--size-3); pointer-events: none; }
.toast-wrap > * { pointer-events: auto; }
"""

# Images get alt text that says what they show (gradio renders alt=""): set from each image box's
# data-alt attribute whenever the page changes.
HEAD = """
<script>
(() => {
  const ALT = %s;
  const apply = () => {
    for (const [id, alt] of Object.entries(ALT)) {
      const box = document.getElementById(id);
      if (!box) continue;
      for (const img of box.querySelectorAll('img')) { if (img.alt !== alt) img.alt = alt; }
      for (const b of box.querySelectorAll('button')) {
        if (!b.getAttribute('aria-label') && !b.innerText.trim()) b.setAttribute('aria-label', alt);
      }
      // a picture wider than its box scrolls inside it: the box takes the keyboard focus to scroll
      for (const f of box.querySelectorAll('.image-frame')) {
        if (!f.hasAttribute('tabindex')) { f.setAttribute('tabindex', '0'); f.setAttribute('aria-label', alt); }
      }
    }
  };
  const fixEmpty = () => {  // gradio's empty-image placeholder: an aria-label needs a role to be valid
    for (const d of document.querySelectorAll('div.empty[aria-label]:not([role])')) d.setAttribute('role', 'img');
  };
  const all = () => { apply(); fixEmpty(); };
  new MutationObserver(all).observe(document.documentElement, {subtree: true, childList: true, attributes: true,
    attributeFilter: ['src', 'aria-label']});
  document.addEventListener('DOMContentLoaded', all);
})();
</script>
"""

ALT_TEXT = {
    "board-preview": "The start board: dark cells are alive (in a maze: open, light ones walls). Click a cell to "
    "flip it.",
    "episode-panel": "The episode, one column per model step: the true game board, the network's decoded "
    "probability of each cell being alive, the board it imagines (above 0.5), and its errors in red.",
    "score-matrix": "Score matrix: how well the board decoded at each model step matches the true board at each "
    "game step (MCC, yellow = 1).",
    "animation": "Animation of the episode: the true board, the decoded and imagined boards and the errors, "
    "step by step.",
    "compare-panel": "The same start board through each compared checkpoint: the true frames on top, then one row "
    "per checkpoint of the boards it imagines at each model step, with each step's MCC.",
    "intervene-board": "The board the network imagines at step i; click a cell to flip it. Blue: made alive by "
    "your edit; pale red: killed.",
    "intervene-panel": "The intervened episode, one column per model step; the edited step is framed in blue.",
    "analysis-curve": "Decoded accuracy and MCC of the checkpoint at each model step, past the steps it was "
    "trained for.",
}


def intro(env: Environment, task: str | None = None) -> str:
    """The page's first paragraph, in the words of its environment (``task``: what the network predicts)."""
    task = task or f"a {env.title or env.name} {env.frame_word} a few steps ahead"
    return INTRO.format(task=task, frames=f"{env.frame_word}s")


def head() -> str:
    """The page's <head> addition: the script that gives each picture its alt text."""
    return HEAD % json.dumps(ALT_TEXT)
