"""Model cards of evaluated checkpoint folders: rendered from eval.json, checked against it.

    python -m imagination.cards FOLDER [--evaluate] [--repo-id ORG/NAME]   # rewrite a folder's card and picture

``build_card`` / ``write_card`` render a folder's card (``render``), and ``write_card`` draws the picture it
embeds, the checkpoint imagining the first episode of its eval set (``picture``); ``eval_results`` and
``mismatches`` are its model-index and the check that the card still says what eval.json holds
(``scores``). The card of an unevaluated model (``save_pretrained``) is ``imagination.modelcard``'s.
"""

from imagination.cards.picture import PICTURE, picture_png, write_picture
from imagination.cards.render import RELATION, build_card, write_card
from imagination.cards.scores import card_eval_metrics, eval_results, mismatches, step_pairings

__all__ = [
    "PICTURE",
    "RELATION",
    "build_card",
    "card_eval_metrics",
    "eval_results",
    "mismatches",
    "picture_png",
    "step_pairings",
    "write_card",
    "write_picture",
]
