"""Model cards of evaluated checkpoint folders: rendered from eval.json, checked against it.

    python -m imagination.cards FOLDER [--evaluate] [--repo-id ORG/NAME]   # rewrite a folder's card

``build_card`` / ``write_card`` render a folder's card (``render``); ``eval_results`` and
``mismatches`` are its model-index and the check that the card still says what eval.json holds
(``scores``). The card of an unevaluated model (``save_pretrained``) is ``imagination.modelcard``'s.
"""

from imagination.cards.render import RELATION, build_card, write_card
from imagination.cards.scores import card_eval_metrics, eval_results, mismatches, step_pairings

__all__ = ["RELATION", "build_card", "card_eval_metrics", "eval_results", "mismatches", "step_pairings", "write_card"]
